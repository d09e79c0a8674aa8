/**
 * `claude-env access check|codeowners`.
 *
 * check: may `--author` make the change from `--base` to `--head` (default
 * HEAD)? The rules come from the BASE revision (access.yml and every
 * members.yml), so a change can never grant itself permissions. The change
 * is the difference of the two trees (`git diff --raw -M base head`): what a
 * merge commit brings in is there like any other change, and a rename counts
 * as both its paths. Symlinks are read as git objects (mode 120000), never
 * followed. A change that adds, alters or removes executable content for
 * any target (found on the merged result with the impact machinery, see
 * src/access/executable.ts) is at least of the `security` class. Exit 0
 * allowed; 1 denied or approvals missing; 2 usage (no
 * --author or --base, a revision that names no commit, an unreadable
 * access.yml). An author who holds no role is denied (exit 1), not a usage
 * error: CI must fail closed.
 *
 * codeowners: CODEOWNERS from access.yml and the members of the repo (see
 * src/access/codeowners.ts), to stdout or `--out FILE`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, usageError, type ExitCode } from '../errors.js';
import { checkAccess, type AccessResult, type ChangedFile, type ChangedKey } from '../access/check.js';
import { executableChanges, mayChangeExecutable, unknownReason, widerCommandLayers, type DocumentVersions, type ExecutableReport } from '../access/executable.js';
import { toPlain } from '../provenance/tree.js';
import { computeImpact, scopePaths } from '../impact/impact.js';
import { scopesOf } from '../impact/changes.js';
import type { ParsedYaml } from '../repo/yaml.js';
import { diskDocumentCache, readOnly } from '../system/doc-cache-store.js';
import { gitRevisions } from '../system/git-changes.js';
import type { RepoSource } from '../repo/source.js';
import { describeTarget } from './context.js';
import { codeownersRules, formatCodeowners } from '../access/codeowners.js';
import { changedKeyPaths, isLayerDocument } from '../access/keys.js';
import { parsePolicy, type AccessPolicy } from '../access/policy.js';
import type { Directory } from '../access/principals.js';
import { Repo, chainErrorToThrow } from '../repo/repo.js';
import { parseYaml } from '../repo/yaml.js';
import { catBlobs, git, gitSource, resolveCommit } from '../system/repo-source.js';
import { writeFileAtomic } from '../system/atomic.js';
import { locate } from '../validate/rule.js';
import type { RepoPath } from '../vocabulary.js';
import { openRepo, repoDir, type RepoOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export interface AccessOptions extends RepoOptions {
  author?: string;
  base?: string;
  head?: string;
  approvedBy?: string | string[];
  out?: string;
  json?: boolean;
}

const ZERO = /^0+$/;
const decoder = new TextDecoder();

/** access.yml of a repo as a policy; a usage error at its file:line:col when it can't be read. */
export function loadPolicy(repo: Repo): AccessPolicy {
  const doc = repo.document('access.yml');
  if (!doc) throw new ClaudeEnvError('access-policy', `${repo.source.description} has no access.yml`, { file: 'access.yml', exitCode: EXIT_USAGE, hint: 'claude-env init writes one; see SPEC.md access.yml' });
  const errors = doc.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const e = chainErrorToThrow(errors);
    // access-policy (exit 2: access refuses to decide on a policy it cannot read), the finding's rule in the message.
    throw new ClaudeEnvError('access-policy', `${e.code}: ${e.message}`, { file: 'access.yml', ...(e.line ? { line: e.line } : {}), ...(e.column ? { column: e.column } : {}) });
  }
  const { policy, problems } = parsePolicy(doc.value);
  if (problems.length > 0) {
    const p = problems[0]!;
    const { line, column } = locate(doc, p.at);
    throw new ClaudeEnvError('access-policy', `${p.at.join('.') || 'access.yml'}: ${p.message}`, {
      file: 'access.yml',
      line,
      column,
      exitCode: EXIT_USAGE,
      ...(problems.length > 1 ? { hint: `${problems.length - 1} more problem(s); run \`claude-env validate\`` } : {}),
    });
  }
  return policy;
}

/** Teams, projects and members of a repo. */
export function loadDirectory(repo: Repo): Directory {
  const teams = repo.teams();
  // One read for every members.yml (a git revision reads them in one batch).
  repo.prefetch(teams.map((t) => `teams/${t}/members.yml`));
  return {
    teams,
    projects: repo.projects(),
    members: teams.flatMap((team) => repo.members(team).map((m) => ({ team, user: m.user, role: m.role, projects: m.projects }))),
  };
}

interface RawChange {
  status: string;
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  path: string;
  from?: string;
}

/** `git diff --raw -z -M` of two trees. */
function treeDiff(dir: string, base: string, head: string): RawChange[] {
  const out = git(dir, ['diff', '--raw', '-z', '-M', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head]).toString('utf8');
  const fields = out.split('\0');
  const changes: RawChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const meta = fields[i++];
    if (!meta) continue;
    const [oldMode, newMode, oldOid, newOid, status] = meta.slice(1).split(' ') as [string, string, string, string, string];
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[i++]!;
      const path = fields[i++]!;
      changes.push({ status: status[0]!, oldMode, newMode, oldOid, newOid, path, from });
    } else changes.push({ status: status[0]!, oldMode, newMode, oldOid, newOid, path: fields[i++]! });
  }
  return changes;
}

const listTree = (dir: string, commit: string): string[] => git(dir, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit]).toString('utf8').split('\0').filter(Boolean);

export interface AccessCheckOptions {
  author: string;
  base: string;
  head: string;
  approvers: string[];
  /** For the document cache of the impact machinery (`$CLAUDE_ENV_CACHE`). */
  env?: NodeJS.ProcessEnv;
  /** Render the affected targets even when the quick look finds no key that can hold executable content (tests compare both). */
  exhaustive?: boolean;
}

/**
 * The executable content the change from `base` to `head` (commits) alters:
 * nothing rendered when the quick look finds no changed key that can hold
 * any; else the impact of the change, as `claude-env impact` computes it.
 */
async function executableReport(
  dir: string,
  base: string,
  head: string,
  paths: readonly string[],
  docs: readonly DocumentVersions[],
  settings: { before: unknown; after: unknown } | undefined,
  opts: AccessCheckOptions,
): Promise<ExecutableReport> {
  const reason = opts.exhaustive ? 'every affected target is rendered (exhaustive)' : mayChangeExecutable(paths, docs, settings);
  if (reason === undefined) return { targets: [] };
  const disk = opts.env ? diskDocumentCache(opts.env) : undefined;
  const revs = await gitRevisions(dir, { rev: base, flag: '--base' }, { rev: head, flag: '--head' }, disk ? { cache: disk } : {});
  const scopes = scopesOf(revs.changes);
  // As impact does: a change that reaches every target only reads the cache.
  const cache = disk && scopes.some((s) => s.kind === 'all') ? readOnly(disk) : disk;
  const shared = new Map<string, ParsedYaml>();
  const first = scopePaths(revs.base, scopes, revs.changes);
  const open = (source: RepoSource): Repo => new Repo(source, { shared, prefetch: first, ...(cache ? { cache } : {}) });
  const baseRepo = open(revs.base);
  const headRepo = open(revs.head);
  try {
    return executableChanges(computeImpact(baseRepo, headRepo, revs.changes), baseRepo, headRepo, reason);
  } catch (err) {
    if (!(err instanceof ClaudeEnvError) || err.exitCode === EXIT_USAGE) throw err;
    return { targets: [], unknown: unknownReason(err), reason };
  }
}

export async function accessCheck(dir: string, opts: AccessCheckOptions): Promise<AccessResult & { base: string; head: string }> {
  const base = resolveCommit(dir, opts.base);
  const head = resolveCommit(dir, opts.head);
  const repo = new Repo(gitSource(dir, base));
  const policy = loadPolicy(repo);
  const directory = loadDirectory(repo);

  const raw = treeDiff(dir, base, head);
  const files: ChangedFile[] = [];
  const links = raw.filter((c) => c.newMode === '120000' && !ZERO.test(c.newOid));
  const linkBlobs = catBlobs(dir, links.map((l) => l.newOid));
  const linkTargets = new Map(links.map((c, i) => [c, decoder.decode(linkBlobs[i])]));
  for (const c of raw) {
    const symlink = linkTargets.get(c);
    const extra = symlink !== undefined ? { symlink } : {};
    if (c.status === 'R') {
      files.push({ path: c.from!, status: 'renamed-from' }, { path: c.path, status: 'renamed-to', ...extra });
    } else {
      const status = c.status === 'A' || c.status === 'C' ? 'added' : c.status === 'D' ? 'deleted' : c.status === 'T' ? 'type-changed' : 'modified';
      files.push({ path: c.path, status, ...extra });
    }
  }

  // Keys: both versions of every changed layer document (a symlink or a submodule has no keys of its own).
  const docs: Array<{ path: string; before?: string; after?: string }> = [];
  const isBlob = (mode: string): boolean => mode.startsWith('100');
  // Layer documents that are not a file at one revision (a symlink, a submodule): the quick look renders for them.
  const notFiles = new Set<string>();
  for (const c of raw) {
    if (!isBlob(c.newMode) && !ZERO.test(c.newOid) && isLayerDocument(c.path)) notFiles.add(c.path);
    if (!isBlob(c.oldMode) && !ZERO.test(c.oldOid) && isLayerDocument(c.from ?? c.path)) notFiles.add(c.from ?? c.path);
  }
  for (const c of raw) {
    if (c.status === 'R') {
      if (isLayerDocument(c.from!) && isBlob(c.oldMode)) docs.push({ path: c.from!, before: c.oldOid });
      if (isLayerDocument(c.path) && isBlob(c.newMode)) docs.push({ path: c.path, after: c.newOid });
    } else if (isLayerDocument(c.path)) {
      docs.push({
        path: c.path,
        ...(isBlob(c.oldMode) && !ZERO.test(c.oldOid) ? { before: c.oldOid } : {}),
        ...(isBlob(c.newMode) && !ZERO.test(c.newOid) ? { after: c.newOid } : {}),
      });
    }
  }
  // claude-env.yml too: a wider secrets.commands_from lets more run.
  const settingsBefore = raw.find((c) => (c.from ?? c.path) === 'claude-env.yml')?.oldOid;
  const settingsAfter = raw.find((c) => c.path === 'claude-env.yml')?.newOid;
  const settingsChanged = settingsBefore !== undefined || settingsAfter !== undefined;
  const settingsOids = [settingsBefore, settingsAfter].filter((o): o is string => o !== undefined && !ZERO.test(o));
  const oids = [...new Set([...docs.flatMap((d) => [d.before, d.after]), ...settingsOids].filter((o): o is string => o !== undefined))];
  const blobs = new Map(catBlobs(dir, oids).map((b, i) => [oids[i]!, decoder.decode(b)]));
  const keys: ChangedKey[] = [];
  const versions: DocumentVersions[] = [];
  for (const d of docs) {
    const parse = (oid: string | undefined): { value: unknown; ok: boolean } => {
      if (oid === undefined) return { value: undefined, ok: true };
      const p = parseYaml(blobs.get(oid)!, d.path as RepoPath, 'base');
      return { value: p.value ?? undefined, ok: p.value !== undefined || !p.findings.some((f) => f.severity === 'error') };
    };
    const before = parse(d.before);
    const after = parse(d.after);
    if (!before.ok || !after.ok) keys.push({ file: d.path });
    else for (const segments of changedKeyPaths(d.path, before.value, after.value)) keys.push({ file: d.path, segments });
    versions.push({ path: d.path, before: before.value, after: after.value, parsed: before.ok && after.ok && !notFiles.has(d.path) });
  }
  const paths = raw.flatMap((c) => (c.from !== undefined ? [c.from, c.path] : [c.path]));
  const settingsAt = (oid: string | undefined): unknown => (oid === undefined || ZERO.test(oid) ? undefined : toPlain(parseYaml(blobs.get(oid)!, 'claude-env.yml' as RepoPath, 'base').value ?? undefined));
  // An absent side is the revision's claude-env.yml as it stands (unchanged): read it from the other side's tree.
  const unchanged = (rev: string): unknown => {
    try {
      return toPlain(parseYaml(decoder.decode(git(dir, ['cat-file', 'blob', `${rev}:claude-env.yml`])), 'claude-env.yml' as RepoPath, 'base').value ?? undefined);
    } catch {
      return undefined; // none at that revision: the defaults
    }
  };
  const settings = settingsChanged ? { before: settingsBefore !== undefined ? settingsAt(settingsBefore) : unchanged(base), after: settingsAfter !== undefined ? settingsAt(settingsAfter) : unchanged(head) } : undefined;
  const widened = settings ? widerCommandLayers(settings.before, settings.after) : undefined;
  const rendered = await executableReport(dir, base, head, paths, versions, settings, opts);
  const executable = widened ? { ...rendered, settings: widened } : rendered;

  const treePaths = new Set([...repo.source.list(''), ...listTree(dir, head)]);
  const result = checkAccess({ policy, directory, author: opts.author, approvers: opts.approvers, files, keys, treePaths, executable });
  return { base, head, ...result };
}

function checkText(r: AccessResult & { base: string; head: string }, baseRev: string, headRev: string): string {
  const lines: string[] = [];
  lines.push(`access check: ${r.author}, ${baseRev} (${r.base.slice(0, 7)}) → ${headRev} (${r.head.slice(0, 7)}): ${r.files.length} changed file(s)`);
  lines.push(`  roles: ${r.roles.length ? r.roles.map((h) => `${h.role} (${h.via})`).join(', ') : 'none'}`);
  const width = Math.min(60, Math.max(0, ...r.files.map((f) => f.path.length)));
  for (const f of r.files) {
    const verdict = f.allowed ? 'allowed' : 'DENIED ';
    lines.push(`  ${verdict}  ${f.path.padEnd(width)}  ${f.status}  [${f.class ?? 'no class'}]`);
    lines.push(`           ${f.allowed ? `by ${f.rule} — ${f.message}` : `${f.rule}: ${f.message}`}`);
  }
  for (const n of r.ignored_names) lines.push(`  note: ${n.kind} name "${n.name}" ${n.reason}: it never stands for a path segment`);
  lines.push(...executableText(r));
  const keyClasses = r.keys.filter((k) => k.class !== null && k.class === r.class);
  const fileClasses = r.files.filter((f) => f.class !== null && f.class === r.class);
  const execWhy =
    r.executable_class !== undefined && r.executable_class === r.class
      ? [r.executable.length > 0 ? `executable content of ${plural(r.executable.length, 'target')}` : r.executable_settings !== undefined ? 'secrets.commands_from' : 'executable content it may alter']
      : [];
  const why = [...execWhy, ...fileClasses.map((f) => f.path), ...keyClasses.map((k) => `key ${k.key}`)];
  lines.push(`class: ${r.class ?? 'none'}${why.length ? ` (from ${why.slice(0, 5).join(', ')}${why.length > 5 ? `, … ${why.length - 5} more` : ''})` : ''}`);
  const a = r.approvals;
  if (a.auto_approved_by) lines.push(`approvals: none needed: ${a.auto_approved_by} changes of class ${r.class} are approved automatically`);
  else lines.push(`approvals: ${a.needed} needed${a.roles ? ` (${a.roles.join(' or ')})` : ''}, ${a.have} counted, ${a.missing} missing`);
  for (const p of a.approvers) lines.push(`  ${p.counted ? 'counted    ' : 'not counted'}  ${p.user}: ${p.reason}`);
  const denied = r.files.filter((f) => !f.allowed).length;
  lines.push(r.allowed ? 'ALLOWED' : `DENIED: ${[denied ? `${denied} file(s) denied` : '', a.missing ? `${a.missing} approval(s) missing` : ''].filter(Boolean).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** Groups of targets shown with their items, targets named per group, items per group. */
const SHOW_GROUPS = 10;
const SHOW_TARGETS = 3;
const SHOW_ITEMS = 20;

/**
 * The executable content per target, targets with the same change grouped
 * (a base change alters thousands of targets the same way): each group names
 * a few of its targets and lists its items, `+` added, `~` changed (before →
 * after), `-` removed.
 */
function executableText(r: AccessResult): string[] {
  const lines: string[] = [];
  if (r.executable_unknown !== undefined) lines.push(`executable content: could not be worked out (${r.executable_unknown}): the change counts as altering it`);
  if (r.executable_settings !== undefined) lines.push(`executable content: ${r.executable_settings}`);
  if (r.executable.length === 0) return lines;
  const groups = new Map<string, { targets: string[]; entry: AccessResult['executable'][number] }>();
  for (const e of r.executable) {
    const k = JSON.stringify([e.added, e.changed, e.removed]);
    const name = describeTarget({ env: e.target.env, ...(e.target.team !== null ? { team: e.target.team } : {}), ...(e.target.project !== null ? { project: e.target.project } : {}), ...(e.target.user !== null ? { user: e.target.user } : {}) });
    const g = groups.get(k);
    if (g) g.targets.push(name);
    else groups.set(k, { targets: [name], entry: e });
  }
  lines.push(`executable content: the change adds, alters or removes what runs on the machines of ${plural(r.executable.length, 'target')}`);
  let shownGroups = 0;
  for (const { targets, entry } of groups.values()) {
    if (shownGroups++ === SHOW_GROUPS) {
      lines.push(`  … ${plural(groups.size - SHOW_GROUPS, 'more group')} (--json lists every target)`);
      break;
    }
    const more = targets.length > SHOW_TARGETS ? ` and ${plural(targets.length - SHOW_TARGETS, 'more target')}` : '';
    lines.push(`  ${targets.slice(0, SHOW_TARGETS).join(', ')}${more}:`);
    const items = [
      ...entry.added.map((i) => `    + ${i.key}  [${i.kind}]  ${i.description}`),
      ...entry.changed.map((i) => `    ~ ${i.key}  [${i.kind}]  ${i.before} → ${i.after}`),
      ...entry.removed.map((i) => `    - ${i.key}  [${i.kind}]  ${i.description}`),
    ];
    lines.push(...items.slice(0, SHOW_ITEMS));
    if (items.length > SHOW_ITEMS) lines.push(`    … ${plural(items.length - SHOW_ITEMS, 'more item')}`);
  }
  return lines;
}

async function check(io: CliIO, opts: AccessOptions): Promise<ExitCode> {
  if (!opts.author) throw usageError('access check needs --author USER', 'claude-env access check --author U --base REV [--head REV] [--approved-by U,…]');
  if (!opts.base) throw usageError('access check needs --base REV', 'the revision the change starts from, e.g. the merge base of the pull request');
  // --approved-by a,b and --approved-by a --approved-by b alike.
  const given: unknown[] = [opts.approvedBy ?? []].flat();
  if (given.some((v) => typeof v !== 'string' || v.trim() === '')) throw usageError('--approved-by needs a value: users who approved, comma-separated');
  const approvers = (given as string[]).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const head = opts.head ?? 'HEAD';
  const result = await accessCheck(repoDir(io, opts), { author: opts.author, base: opts.base, head, approvers, env: io.env });
  if (opts.json) printJson(io, result);
  else io.stdout.write(checkText(result, opts.base, head));
  return result.allowed ? EXIT_OK : EXIT_FINDINGS;
}

async function codeowners(io: CliIO, opts: AccessOptions): Promise<ExitCode> {
  const repo = openRepo(io, opts);
  const policy = loadPolicy(repo);
  const rules = codeownersRules(policy, loadDirectory(repo), repo.source.list(''));
  const text = formatCodeowners(rules);
  if (opts.out) {
    const out = resolve(io.cwd, opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomic(out, text, 0o644);
  }
  if (opts.json) printJson(io, { ...(opts.out ? { out: resolve(io.cwd, opts.out) } : {}), rules });
  else if (!opts.out) io.stdout.write(text);
  else io.stdout.write(`wrote ${opts.out}: ${rules.length} rule(s)\n`);
  return EXIT_OK;
}

export async function run(io: CliIO, opts: AccessOptions, args: string[]): Promise<ExitCode> {
  const action = args[0];
  if (action === 'check') return check(io, opts);
  if (action === 'codeowners') return codeowners(io, opts);
  throw usageError(action === undefined ? 'access needs an action: check or codeowners' : `unknown access action "${action}": use check or codeowners`);
}
