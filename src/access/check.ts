/**
 * May this author make this change? For each changed file: the write grant
 * that allows it, or the rule that denies it; the change class (the highest
 * of its files' classes and of the merged keys it changes, and at least the
 * `security` class when it adds, alters or removes executable content for
 * any target, whatever its files); and the approvals it has and still needs.
 * The result is data: the CLI turns `allowed: false` into exit 1.
 */
import { globSubject, pathGlob } from '../merge/path-glob.js';
import { joinKeyPath } from '../provenance/tree.js';
import type { ExecutableDiff } from '../render/executable.js';
import type { Target } from '../vocabulary.js';
import { changesExecutable, type ExecutableReport } from './executable.js';
import { compileGlob, memoized } from './glob.js';
import { foldName } from './names.js';
import { holdingsOf, unsafeNames, type Directory, type Holding, type NameRejection } from './principals.js';
import type { AccessPolicy, ChangeClass, Grant } from './policy.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed-from' | 'renamed-to' | 'type-changed';

export interface ChangedFile {
  readonly path: string;
  readonly status: ChangeStatus;
  /** The link target when the file is a symlink (git mode 120000) after the change. */
  readonly symlink?: string;
}

/** A changed key of the merged tree; `segments` undefined: the document could not be parsed, so any key may have changed. */
export interface ChangedKey {
  readonly file: string;
  readonly segments?: readonly string[];
}

export interface CheckInput {
  readonly policy: AccessPolicy;
  readonly directory: Directory;
  readonly author: string;
  readonly approvers: readonly string[];
  readonly files: readonly ChangedFile[];
  readonly keys: readonly ChangedKey[];
  /** Every path of the repo before and after the change (to find names that alias another). */
  readonly treePaths: Iterable<string>;
  /** The executable content the change adds, alters or removes per target (src/access/executable.ts); none when undefined. */
  readonly executable?: ExecutableReport;
}

export interface FileVerdict {
  readonly path: string;
  readonly status: ChangeStatus;
  readonly permission: 'write';
  readonly allowed: boolean;
  /** Allowed: the grant (`developer: projects/{assigned-projects}/**:write`). Denied: the rule id that denied it. */
  readonly rule: string;
  readonly role?: string;
  readonly message: string;
  readonly class: string | null;
}

export interface KeyVerdict {
  readonly file: string;
  readonly key: string;
  readonly class: string | null;
}

export interface ApproverVerdict {
  readonly user: string;
  readonly counted: boolean;
  readonly role?: string;
  readonly reason: string;
}

/** An item of executable content as reported: never its identity, which may hold a hidden value. */
export interface ExecutableItemVerdict {
  readonly key: string;
  readonly kind: string;
  readonly description: string;
}

export interface ExecutableVerdict {
  readonly target: { readonly env: string; readonly team: string | null; readonly project: string | null; readonly user: string | null };
  readonly added: readonly ExecutableItemVerdict[];
  readonly changed: ReadonlyArray<{ readonly key: string; readonly kind: string; readonly before: string; readonly after: string }>;
  readonly removed: readonly ExecutableItemVerdict[];
}

export interface AccessResult {
  readonly allowed: boolean;
  readonly class: string | null;
  readonly author: string;
  readonly roles: ReadonlyArray<{ role: string; via: string; teams: readonly string[]; projects: readonly string[] }>;
  readonly files: readonly FileVerdict[];
  readonly keys: readonly KeyVerdict[];
  readonly approvals: {
    readonly needed: number;
    readonly have: number;
    readonly missing: number;
    /** Roles that may approve this class (undefined: any member holding a role). */
    readonly roles?: readonly string[];
    readonly auto_approved_by?: string;
    readonly approvers: readonly ApproverVerdict[];
  };
  /** Team and project names that were not used for a placeholder, and why. */
  readonly ignored_names: readonly NameRejection[];
  /** Per target, the executable content the change adds, alters or removes (any makes the class at least `security`). */
  readonly executable: readonly ExecutableVerdict[];
  /** Why the executable content of the change could not be worked out (the change then counts as altering it). */
  readonly executable_unknown?: string;
  /** A change of the repo settings that lets more run (a wider `secrets.commands_from`). */
  readonly executable_settings?: string;
  /** The class executable content asks for (`security`, else the highest), when the change has any. */
  readonly executable_class?: string;
}

const itemVerdict = (i: { key: string; kind: string; description: string }): ExecutableItemVerdict => ({ key: i.key, kind: i.kind, description: i.description });

export function executableVerdict(t: { readonly target: Target } & ExecutableDiff): ExecutableVerdict {
  return {
    target: { env: t.target.env, team: t.target.team ?? null, project: t.target.project ?? null, user: t.target.user ?? null },
    added: t.added.map(itemVerdict),
    changed: t.changed.map((c) => ({ key: c.key, kind: c.kind, before: c.before, after: c.after })),
    removed: t.removed.map(itemVerdict),
  };
}

/** The class a change of executable content takes at least: the one named `security`, else the highest. */
export function executableClass(classes: readonly ChangeClass[]): ChangeClass | undefined {
  return classes.find((c) => c.name === 'security') ?? classes[0];
}

/** A repo-relative link target, resolved against the link's folder; undefined when it leaves the repo. */
export function resolveLink(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/') || target.includes('\\') || /^[A-Za-z]:/.test(target) || target.includes('\0')) return undefined;
  const parts = linkPath.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  if (parts.length === 0 || parts[0] === '.git') return undefined;
  return parts.join('/');
}

/**
 * Why a changed path could name another file on some checkout, or undefined:
 * a backslash is a separator on Windows, NTFS drops trailing dots and spaces,
 * and a `.git` segment in any case is git's own folder on a case-insensitive disk.
 */
export function unsafePath(path: string): string | undefined {
  if (path.includes('\\')) return 'has a backslash, a path separator on Windows';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'has control characters';
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return `has the segment "${seg}"`;
    if (/[. ]$/.test(seg)) return `has the segment "${seg}", which NTFS would read without its trailing dot or space`;
    if (seg.toLowerCase() === '.git') return 'is inside a .git folder';
  }
  return undefined;
}

const grantLabel = (g: Grant): string => `${g.role}: ${g.text}`;

interface Matcher {
  readonly holding: Holding;
  readonly grant: Grant;
  readonly test: (path: string) => boolean;
}

function matchers(holdings: readonly Holding[], policy: AccessPolicy, permission: 'read' | 'write'): Matcher[] {
  const out: Matcher[] = [];
  for (const h of holdings) {
    for (const g of policy.roles.get(h.role)?.grants ?? []) {
      if (permission === 'write' && g.permission !== 'write') continue;
      if (g.glob === undefined) {
        out.push({ holding: h, grant: g, test: () => true });
        continue;
      }
      const re = compileGlob(g.glob, { 'their-team': h.teams, 'assigned-projects': h.projects });
      out.push({ holding: h, grant: g, test: (p) => re.test(p) });
    }
  }
  return out;
}

/** The first class (highest) whose path globs match; `glob` compiles one (give a `memoized` one for many paths). */
export function classOfPath(classes: readonly ChangeClass[], path: string, glob: (g: string) => RegExp = compileGlob): ChangeClass | undefined {
  return classes.find((c) => c.paths.some((g) => glob(g).test(path)));
}

/** The first class (highest) whose key globs match; an unparsable document matches every class that has keys. */
export function classOfKey(classes: readonly ChangeClass[], segments: readonly string[] | undefined): ChangeClass | undefined {
  if (segments === undefined) return classes.find((c) => c.keys.length > 0);
  const subject = globSubject(segments);
  return classes.find((c) => c.keys.some((g) => pathGlob(g)(subject)));
}

function describeHoldings(user: string, holdings: readonly Holding[]): string {
  if (holdings.length === 0) return `${user} holds no role (no members.yml entry, no access.yml member)`;
  return `${user} holds ${holdings.map((h) => `${h.role} (${h.via})`).join(', ')}`;
}

export function checkAccess(input: CheckInput): AccessResult {
  const { policy, directory, author } = input;
  const unsafe = unsafeNames(directory);
  const mine = holdingsOf(author, policy, directory, unsafe);
  const writes = matchers(mine.holdings, policy, 'write');

  // Paths that a case-insensitive or normalising file system would take for another path of the repo.
  const byFold = new Map<string, Set<string>>();
  const addPath = (p: string): void => {
    const f = foldName(p);
    let s = byFold.get(f);
    if (!s) byFold.set(f, (s = new Set()));
    s.add(p);
  };
  for (const p of input.treePaths) addPath(p);
  for (const f of input.files) addPath(f.path);

  const writeGrant = (path: string): Matcher | undefined => writes.find((m) => m.test(path));
  const noGrant = (path: string): string =>
    `no write grant matches ${path}: ${describeHoldings(author, mine.holdings)}${writes.length ? `; write grants: ${[...new Set(writes.map((m) => grantLabel(m.grant)))].join(', ')}` : ''}`;

  const classGlob = memoized((g) => compileGlob(g));
  const files: FileVerdict[] = input.files.map((f) => {
    const cls = classOfPath(policy.classes, f.path, classGlob)?.name ?? null;
    const base = { path: f.path, status: f.status, permission: 'write' as const, class: cls };
    if (f.symlink !== undefined) {
      const target = resolveLink(f.path, f.symlink);
      if (target === undefined) {
        return { ...base, allowed: false, rule: 'symlink-outside-repo', message: `${f.path} is a symlink to "${f.symlink}", outside the repo; it is never followed and may not be committed` };
      }
      if (!writeGrant(target)) {
        return { ...base, allowed: false, rule: 'symlink-target', message: `${f.path} is a symlink to ${target}, and ${noGrant(target)}` };
      }
    }
    const unsafe = unsafePath(f.path);
    if (unsafe) return { ...base, allowed: false, rule: 'unsafe-path', message: `${JSON.stringify(f.path)} ${unsafe}` };
    const aliases = [...(byFold.get(foldName(f.path)) ?? [])].filter((p) => p !== f.path);
    if (aliases.length > 0) {
      return { ...base, allowed: false, rule: 'path-alias', message: `${f.path} differs from ${aliases.join(', ')} only by case or Unicode form: on a case-insensitive or normalising file system they are one file` };
    }
    const m = writeGrant(f.path);
    if (!m) return { ...base, allowed: false, rule: 'no-write-grant', message: noGrant(f.path) };
    const vars = m.grant.placeholders.length ? ` (${m.grant.placeholders.map((p) => `{${p}} = ${(p === 'their-team' ? m.holding.teams : m.holding.projects).join(', ') || '(none)'}`).join('; ')})` : '';
    return { ...base, allowed: true, rule: grantLabel(m.grant), role: m.grant.role, message: `${m.grant.role} via ${m.holding.via}${vars}` };
  });

  const keys: KeyVerdict[] = input.keys.map((k) => ({ file: k.file, key: k.segments ? joinKeyPath(k.segments) : '(unparsable document: any key)', class: classOfKey(policy.classes, k.segments)?.name ?? null }));

  const rankOf = (name: string | null): number => (name === null ? Infinity : (policy.classes.find((c) => c.name === name)?.rank ?? Infinity));
  let top: ChangeClass | undefined;
  for (const name of [...files.map((f) => f.class), ...keys.map((k) => k.class)]) {
    if (rankOf(name) < (top?.rank ?? Infinity)) top = policy.classes.find((c) => c.name === name);
  }
  // Executable content: at least the security class, whatever the files.
  const exec = input.executable && changesExecutable(input.executable) ? executableClass(policy.classes) : undefined;
  if (exec && exec.rank < (top?.rank ?? Infinity)) top = exec;

  const auto = top ? mine.holdings.find((h) => policy.roles.get(h.role)?.autoApprovals.includes(top.name)) : undefined;
  const needed = top && !auto ? top.approvalCount : 0;
  const approvers: ApproverVerdict[] = [];
  for (const user of [...new Set(input.approvers)]) {
    if (user === author) {
      approvers.push({ user, counted: false, reason: 'is the author: nobody approves their own change' });
      continue;
    }
    const theirs = holdingsOf(user, policy, directory, unsafe).holdings;
    if (theirs.length === 0) {
      approvers.push({ user, counted: false, reason: `${describeHoldings(user, theirs)}` });
      continue;
    }
    if (!top) {
      approvers.push({ user, counted: false, reason: 'the change has no class that needs approval' });
      continue;
    }
    const able = theirs.find((h) => (top.approvalRoles ? top.approvalRoles.includes(h.role) : true) || policy.roles.get(h.role)?.approvalPower.includes(top.name));
    if (able) approvers.push({ user, counted: true, role: able.role, reason: `${able.role} (${able.via}) may approve ${top.name} changes` });
    else approvers.push({ user, counted: false, reason: `holds ${theirs.map((h) => h.role).join(', ')}, and ${top.name} changes need approval by ${(top.approvalRoles ?? []).join(' or ')}` });
  }
  const have = approvers.filter((a) => a.counted).length;
  const missing = Math.max(0, needed - have);
  return {
    allowed: files.every((f) => f.allowed) && missing === 0,
    class: top?.name ?? null,
    author,
    roles: mine.holdings.map((h) => ({ role: h.role, via: h.via, teams: h.teams, projects: h.projects })),
    files,
    keys,
    approvals: {
      needed,
      have,
      missing,
      ...(top?.approvalRoles ? { roles: top.approvalRoles } : {}),
      ...(auto ? { auto_approved_by: auto.role } : {}),
      approvers,
    },
    ignored_names: mine.rejected,
    executable: (input.executable?.targets ?? []).map(executableVerdict),
    ...(input.executable?.unknown !== undefined ? { executable_unknown: input.executable.unknown } : {}),
    ...(input.executable?.settings !== undefined ? { executable_settings: input.executable.settings } : {}),
    ...(exec ? { executable_class: exec.name } : {}),
  };
}
