/**
 * access.yml → GitHub CODEOWNERS. The owners of a path are everyone whose
 * role grants write on it: `team:<t>` members of a role as `@<org>/<t>`
 * (access.yml `codeowners.org`; without it, the team's members one by one),
 * users as `@<login>` (`codeowners.logins`, default the user name).
 *
 * CODEOWNERS gives a file the owners of its LAST matching line, so owners
 * can't simply be added up line by line. The file has two parts:
 * 1. one line per write grant, placeholders expanded per team and project
 *    (`/teams/frontend-team/**`), least specific first, owned by everyone
 *    whose grants cover that pattern: these cover files added later;
 * 2. one line per existing file whose owners by part 1 are not exactly the
 *    owners access.yml gives it (a file two grants of different patterns
 *    reach, such as `teams/x/security.yml`).
 * So for every file of the repo, CODEOWNERS and access.yml agree exactly.
 */
import { compileGlob, memoized } from './glob.js';
import { unsafeNames, type Directory } from './principals.js';
import type { AccessPolicy, Grant } from './policy.js';

export interface CodeownersRule {
  readonly pattern: string;
  readonly owners: readonly string[];
}

interface Owner {
  readonly handle: string;
  readonly teams: readonly string[];
  readonly projects: readonly string[];
  readonly grants: readonly Grant[];
}

/** Every (handle, context, write grants) that can own a path. */
function owners(policy: AccessPolicy, dir: Directory): Owner[] {
  const unsafe = unsafeNames(dir);
  const okTeam = (t: string): boolean => !unsafe.has(`team:${t}`);
  const okProject = (p: string): boolean => !unsafe.has(`project:${p}`);
  const login = (u: string): string => `@${policy.codeowners.logins[u] ?? u}`;
  const writes = (role: string): Grant[] => (policy.roles.get(role)?.grants ?? []).filter((g) => g.permission === 'write');
  const out: Owner[] = [];
  for (const m of dir.members) {
    if (!policy.roles.has(m.role)) continue;
    out.push({ handle: login(m.user), teams: okTeam(m.team) ? [m.team] : [], projects: m.projects.filter(okProject), grants: writes(m.role) });
  }
  for (const role of policy.roles.values()) {
    for (const member of role.members) {
      if (!member.startsWith('team:')) {
        const entries = dir.members.filter((e) => e.user === member);
        out.push({ handle: login(member), teams: entries.map((e) => e.team).filter(okTeam), projects: entries.flatMap((e) => e.projects).filter(okProject), grants: writes(role.name) });
        continue;
      }
      const team = member.slice('team:'.length);
      const inTeam = dir.members.filter((e) => e.team === team);
      const perUser = writes(role.name).filter((g) => g.placeholders.includes('assigned-projects'));
      const shared = writes(role.name).filter((g) => !g.placeholders.includes('assigned-projects'));
      if (policy.codeowners.org && okTeam(team)) out.push({ handle: `@${policy.codeowners.org}/${team}`, teams: [team], projects: [], grants: shared });
      for (const e of inTeam) {
        out.push({ handle: login(e.user), teams: okTeam(team) ? [team] : [], projects: e.projects.filter(okProject), grants: policy.codeowners.org && okTeam(team) ? perUser : [...shared, ...perUser] });
      }
    }
  }
  return out;
}

interface CompiledOwner {
  readonly handle: string;
  readonly tests: ReadonlyArray<(p: string) => boolean>;
  readonly patterns: readonly string[];
}

function compileOwners(list: readonly Owner[]): CompiledOwner[] {
  return list.map((o) => {
    const vars = { 'their-team': o.teams, 'assigned-projects': o.projects };
    const tests: Array<(p: string) => boolean> = [];
    const patterns: string[] = [];
    for (const g of o.grants) {
      if (g.glob === undefined) {
        tests.push(() => true);
        patterns.push('**');
        continue;
      }
      const re = compileGlob(g.glob, vars);
      tests.push((p) => re.test(p));
      patterns.push(...expand(g.glob, vars));
    }
    return { handle: o.handle, tests, patterns };
  });
}

/** A glob with its placeholders and `{a,b}` alternatives written out: one pattern per combination. */
function expand(glob: string, vars: Readonly<Record<string, readonly string[]>>): string[] {
  const m = /\{([^{}]*)\}/.exec(glob);
  if (!m) return [glob];
  const body = m[1]!;
  const values = body.includes(',') ? body.split(',') : (vars[body] ?? []);
  return values.flatMap((v) => expand(glob.slice(0, m.index) + v + glob.slice(m.index + m[0].length), vars));
}

const GLOB_META = /[*?[\]{}\\!#\s]/g;
const escapePath = (p: string): string => p.replace(GLOB_META, '\\$&');

/** Our glob (anchored, `**` any depth) as a CODEOWNERS pattern; undefined when CODEOWNERS can't say it (character classes). */
function toCodeownersPattern(glob: string): string | undefined {
  if (/[[\]]/.test(glob)) return undefined;
  if (glob === '**') return '*';
  return glob.startsWith('**/') ? glob : `/${glob.replace(/^\/+/, '')}`;
}

/** A path that a pattern matches, to ask which grants cover the pattern. */
const sampleOf = (glob: string): string => glob.replace(/\*\*/g, '__any__').replace(/\*/g, '__any__').replace(/\?/g, '_');

const specificity = (glob: string): number => glob.replace(/\*\*|\*|\?/g, '').length + glob.split('/').filter((s) => s !== '**').length * 1000;

/** The CODEOWNERS rules for access.yml, exact for every path of `files`. */
export function codeownersRules(policy: AccessPolicy, dir: Directory, files: readonly string[]): CodeownersRule[] {
  const compiled = compileOwners(owners(policy, dir));
  const ownersOfPath = (p: string): string[] => [...new Set(compiled.filter((o) => o.tests.some((t) => t(p))).map((o) => o.handle))].sort();

  const globs = [...new Set(compiled.flatMap((o) => o.patterns))].sort((a, b) => specificity(a) - specificity(b) || (a < b ? -1 : a > b ? 1 : 0));
  const rules: CodeownersRule[] = [];
  const matcher = memoized(codeownersMatcher);
  for (const g of globs) {
    const pattern = toCodeownersPattern(g);
    if (pattern === undefined) continue;
    const who = ownersOfPath(sampleOf(g));
    if (who.length > 0) rules.push({ pattern, owners: who });
  }
  for (const f of [...files].sort()) {
    const want = ownersOfPath(f);
    const got = ownersByRules(rules, f, matcher);
    if (want.join(' ') !== (got ?? []).join(' ')) rules.push({ pattern: `/${escapePath(f)}`, owners: want });
  }
  return rules;
}

export function formatCodeowners(rules: readonly CodeownersRule[]): string {
  const head = [
    '# CODEOWNERS: generated by `claude-env access codeowners` from access.yml.',
    '# Do not edit: change access.yml and generate it again. The last matching line wins.',
    '',
  ];
  // A file nobody may write gets a line with no owner, so an earlier line's owners do not apply to it.
  return `${[...head, ...rules.map((r) => (r.owners.length ? `${r.pattern} ${r.owners.join(' ')}` : r.pattern))].join('\n')}\n`;
}

/** Read a CODEOWNERS file back: its rules in order (comments and blank lines dropped). */
export function parseCodeowners(text: string): CodeownersRule[] {
  const out: CodeownersRule[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const parts = t.match(/(?:\\.|\S)+/g) ?? [];
    out.push({ pattern: parts[0]!, owners: parts.slice(1).filter((o) => !o.startsWith('#')) });
  }
  return out;
}

/** GitHub's rule: the owners of the last line whose pattern matches the path (undefined: no line matches). */
export function ownersByRules(rules: readonly CodeownersRule[], path: string, matcher: (pattern: string) => (p: string) => boolean = codeownersMatcher): string[] | undefined {
  let hit: string[] | undefined;
  for (const r of rules) if (matcher(r.pattern)(path)) hit = [...r.owners].sort();
  return hit;
}

/** A CODEOWNERS pattern as a path predicate (gitignore rules: `/x` anchored, `x/` a folder, no slash matches at any depth). */
export function codeownersMatcher(pattern: string): (p: string) => boolean {
  let glob = pattern;
  const dirOnly = glob.endsWith('/') && !glob.endsWith('\\/');
  if (dirOnly) glob = `${glob}**`;
  const anchored = glob.startsWith('/') || /[^\\]\/./.test(glob.replace(/\/\*\*$/, '/x'));
  glob = glob.replace(/^\/+/, '');
  if (!anchored && !glob.startsWith('**/')) glob = `**/${glob}`;
  const re = compileGlob(glob);
  // A pattern names a file or a folder: `/a/b` owns `a/b/c` too.
  const inside = glob.endsWith('**') ? undefined : compileGlob(`${glob}/**`);
  return (p: string): boolean => re.test(p) || (inside?.test(p) ?? false);
}
