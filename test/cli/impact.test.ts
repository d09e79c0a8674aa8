/**
 * `impact` on a generated org (bench/generate-org.mjs at 5 teams, 20
 * projects, 200 users; 600 targets) made into a real git repo: for each kind
 * of change, the targets impact reports are exactly those whose rendered
 * outputs differ between the two revisions, found by brute force (every
 * target of the repo rendered at base and at head), with the same files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Repo } from '../../src/repo/repo.js';
import { createMergeCache } from '../../src/merge/target.js';
import { renderTarget } from '../../src/render/index.js';
import { gitSource } from '../../src/blocking/sources.js';
import { cli, ROOT, tempDir } from '../helpers.js';
import { impactText } from '../../src/impact/report.js';
import { OutputDiffs } from '../../src/impact/impact.js';

const tmp = tempDir('claude-env-impact-');
after(() => tmp.cleanup());
const repo = join(tmp.dir, 'org');
const ORG = { teams: 5, projects: 20, users: 200, seed: 7 };
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { env: gitEnv, encoding: 'utf8' });

interface ImpactJson {
  counts: { total: number; developers: number; added: number; removed: number; modified: number; by_env: Record<string, number>; by_team: Record<string, number>; by_project: Record<string, number>; by_user: Record<string, number> };
  rendered: { base: number; head: number };
  changed_files: Array<{ path: string; status: string; old_path?: string }>;
  targets: Array<{ target: { env: string; team: string | null; project: string | null; user: string | null }; change: string; files: Array<{ path: string; status: string; diff: string }> }>;
  omitted: number;
}

const rendered = new Map<string, Map<string, Record<string, string>>>();
/** Every target of the repo at a revision (branches here never move), rendered: target key → {path: content}. */
function renderEverything(rev: string): Map<string, Record<string, string>> {
  const hit = rendered.get(rev);
  if (hit) return hit;
  const r = new Repo(gitSource(repo, rev));
  const cache = createMergeCache(r);
  const out = new Map<string, Record<string, string>>();
  for (const t of r.targets()) {
    const files: Record<string, string> = {};
    for (const o of renderTarget(r, t, { cache }).outputs) files[o.path] = `${o.mode}:${o.content}`;
    out.set(`${t.env}|${t.team ?? ''}|${t.project ?? ''}|${t.user ?? ''}`, files);
  }
  rendered.set(rev, out);
  return out;
}

/** The brute-force answer: target key → changed output paths with their status. */
function bruteForce(base: string, head: string): Map<string, string[]> {
  const a = renderEverything(base);
  const b = renderEverything(head);
  const out = new Map<string, string[]>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? {};
    const y = b.get(key) ?? {};
    const files: string[] = [];
    for (const p of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (x[p] === y[p]) continue;
      files.push(`${p} ${x[p] === undefined ? 'added' : y[p] === undefined ? 'removed' : 'modified'}`);
    }
    if (files.length > 0 || !a.has(key) || !b.has(key)) out.set(key, files);
  }
  return out;
}

function reported(j: ImpactJson): Map<string, string[]> {
  return new Map(j.targets.map((t) => [`${t.target.env}|${t.target.team ?? ''}|${t.target.project ?? ''}|${t.target.user ?? ''}`, t.files.map((f) => `${f.path} ${f.status}`)]));
}

async function impactJson(base: string, head: string, ...extra: string[]): Promise<ImpactJson> {
  const r = await cli(['impact', '--repo', repo, '--base', base, '--head', head, '--json', '--limit', '0', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ImpactJson;
}

/** A branch from main with one commit made by `edit`. */
function change(branch: string, edit: () => void): string {
  git('checkout', '-q', '-b', branch, 'main');
  edit();
  git('add', '-A');
  git('commit', '-q', '-m', branch);
  git('checkout', '-q', 'main');
  return branch;
}

const membersOf = (team: string): string[] => readFileSync(join(repo, 'teams', team, 'members.yml'), 'utf8').match(/user: (u\d+)/g)!.map((m) => m.slice(6));

before(async () => {
  const gen = (await import(pathToFileURL(join(ROOT, 'bench', 'generate-org.mjs')).href)) as { generateOrg(dir: string, o: object): unknown };
  gen.generateOrg(repo, ORG);
  execFileSync('git', ['init', '-q', '--initial-branch=main', repo]);
  git('add', '-A');
  git('commit', '-q', '-m', 'org');
});

describe('impact', () => {
  it("reports exactly one team's targets for a change to that team's file, as a full render before and after shows", async () => {
    change('team-change', () => {
      const file = join(repo, 'teams/team-002/base-config.yml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('settings:\n', 'settings:\n  cleanupPeriodDays: 21\n'));
    });
    const j = await impactJson('main', 'team-change');
    const expected = bruteForce('main', 'team-change');
    // every target of team-002 in every environment, and nothing else
    assert.deepEqual(reported(j), expected);
    assert.deepEqual(Object.keys(j.counts.by_team), ['team-002']);
    assert.equal(j.counts.total, membersOf('team-002').length * 3);
    assert.equal(j.counts.developers, membersOf('team-002').length);
    assert.deepEqual(j.counts.by_env, { development: j.counts.total / 3, production: j.counts.total / 3, staging: j.counts.total / 3 });
    // only the affected targets were rendered, not the org's 600
    assert.deepEqual(j.rendered, { base: j.counts.total, head: j.counts.total });
    assert.equal(j.targets[0]!.files[0]!.path, '.claude/settings.json');
    assert.match(j.targets[0]!.files[0]!.diff, /^--- a\/\.claude\/settings\.json\n\+\+\+ b\/\.claude\/settings\.json\n@@ [^\n]+\n(?:.*\n)*-  "cleanupPeriodDays": 30,\n\+  "cleanupPeriodDays": 21,\n/);
  });

  it('reports every target for a change to the base layer', async () => {
    change('base-change', () => {
      const file = join(repo, 'base/config.yml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('cleanupPeriodDays: 30', 'cleanupPeriodDays: 14'));
    });
    const j = await impactJson('main', 'base-change');
    assert.deepEqual(reported(j), bruteForce('main', 'base-change'));
    assert.equal(j.counts.total, 600);
    assert.equal(j.counts.developers, 200);
  });

  it('shows how far rendering has got on a terminal, and nothing when piped', async () => {
    const args = ['impact', '--repo', repo, '--base', 'main', '--head', 'base-change', '--limit', '1'];
    const tty = await cli(args, { tty: true, env: { HOME: tmp.dir, PATH: process.env['PATH'], CLAUDE_ENV_CACHE: 'off' } });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /\rrendering \d+\/(\d+) \(\d+%\)[\s\S]*\rrendering (\d+)\/\2 \(100%\)/);
    const piped = await cli(args, { env: { HOME: tmp.dir, PATH: process.env['PATH'], CLAUDE_ENV_CACHE: 'off' } });
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout, tty.stdout);
  });

  it("reports one developer's targets for a change to their user override", async () => {
    const user = readdirSync(join(repo, 'users')).sort()[0]!;
    change('user-change', () => appendFileSync(join(repo, 'users', user, 'overrides.yml'), 'instructions:\n  - Write tests first.\n'));
    const j = await impactJson('main', 'user-change');
    assert.deepEqual(reported(j), bruteForce('main', 'user-change'));
    assert.deepEqual(Object.keys(j.counts.by_user), [user]);
    assert.equal(j.counts.total, 3);
  });

  it('counts both paths of a renamed user layer', async () => {
    const users = readdirSync(join(repo, 'users')).sort();
    const from = users[1]!;
    const to = [...new Set(Array.from({ length: 200 }, (_, i) => `u${String(i + 1).padStart(5, '0')}`))].find((u) => !users.includes(u))!;
    change('rename', () => git('mv', `users/${from}`, `users/${to}`));
    const j = await impactJson('main', 'rename');
    assert.deepEqual(j.changed_files, [{ path: `users/${to}/overrides.yml`, status: 'renamed', old_path: `users/${from}/overrides.yml` }]);
    assert.deepEqual(reported(j), bruteForce('main', 'rename'));
    assert.deepEqual(Object.keys(j.counts.by_user).sort(), [from, to].sort());
  });

  it('reports the targets of a new member as added', async () => {
    change('new-user', () => appendFileSync(join(repo, 'teams/team-004/members.yml'), '- { user: newcomer, role: developer, projects: [p0017] }\n'));
    const j = await impactJson('main', 'new-user');
    assert.deepEqual(reported(j), bruteForce('main', 'new-user'));
    assert.deepEqual(
      j.targets.map((t) => [t.target.env, t.change]),
      [
        ['development', 'added'],
        ['production', 'added'],
        ['staging', 'added'],
      ],
    );
    assert.ok(j.targets[0]!.files.every((f) => f.status === 'added' && f.diff.startsWith('--- /dev/null\n')));
  });

  it("reports one team in one environment for a change to that team's entry of the environment's teams.yml", async () => {
    const text = readFileSync(join(repo, 'environments/staging/teams.yml'), 'utf8');
    const team = /^(team-\d+):/m.exec(text)![1]!;
    change('env-team', () => writeFileSync(join(repo, 'environments/staging/teams.yml'), text.replace(`${team}-staging`, `${team}-staging-2`)));
    const j = await impactJson('main', 'env-team');
    assert.deepEqual(reported(j), bruteForce('main', 'env-team'));
    assert.deepEqual(Object.keys(j.counts.by_env), ['staging']);
    assert.deepEqual(Object.keys(j.counts.by_team), [team]);
    assert.equal(j.rendered.base, j.counts.total);
  });

  it("reports the targets whose agents change for a change to a team's personas, and none for a security policy change", async () => {
    change('personas', () => {
      const file = join(repo, 'teams/team-003/personas.yml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('tools:\n', 'tools:\n    - WebSearch\n'));
    });
    const j = await impactJson('main', 'personas');
    assert.deepEqual(reported(j), bruteForce('main', 'personas'));
    assert.ok(j.counts.total > 0);
    assert.ok(j.targets.every((t) => t.files.every((f) => f.path.startsWith('.claude/agents/'))));
    // security policies are checked, not written: no developer's files change
    change('security', () => appendFileSync(join(repo, 'environments/production/security.yml'), 'mcp:\n  require_https: true\n'));
    const s = await impactJson('main', 'security');
    assert.deepEqual(reported(s), bruteForce('main', 'security'));
    assert.equal(s.counts.total, 0);
  });

  it('reports every target whose files change for a change of the merge rules in claude-env.yml', async () => {
    change('merge-rules', () => {
      const file = join(repo, 'claude-env.yml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/settings\.permissions\.allow: \w+/, 'settings.permissions.allow: replace'));
    });
    const j = await impactJson('main', 'merge-rules');
    assert.deepEqual(reported(j), bruteForce('main', 'merge-rules'));
    assert.ok(j.counts.total > 0);
  });

  it('reports no target and renders none for a change outside the layers', async () => {
    change('access-only', () => appendFileSync(join(repo, 'access.yml'), '# reviewed\n'));
    const j = await impactJson('main', 'access-only');
    assert.deepEqual(j.targets, []);
    assert.equal(j.counts.total, 0);
    assert.deepEqual(j.rendered, { base: 0, head: 0 });
  });

  it('prints the number of developers, the counts and the first diffs as text, --limit and --target narrowing them', async () => {
    const r = await cli(['impact', '--repo', repo, '--base', 'main', '--head', 'team-change', '--limit', '1']);
    assert.equal(r.code, 0, r.stderr);
    const n = membersOf('team-002').length;
    assert.match(r.stdout, /^impact of main \([0-9a-f]{12}\) → team-change \([0-9a-f]{12}\): 1 file changed\n  M teams\/team-002\/base-config\.yml\n/);
    assert.match(r.stdout, new RegExp(`this change alters the settings of ${n} developers: ${n * 3} targets \\(${n * 3} modified\\)\\n  by env:     development ${n}, production ${n}, staging ${n}\\n  by team:    team-002 ${n * 3}\\n`));
    assert.equal(r.stdout.match(/^=== /gm)!.length, 1);
    assert.match(r.stdout, new RegExp(`… and ${n * 3 - 1} more targets \\(--limit N shows more`));
    // one target, by its render --all path
    const user = membersOf('team-002')[0]!;
    const j = await impactJson('main', 'team-change', '--target', `production/team-002/${user}`);
    assert.equal(j.targets.length, 1);
    assert.deepEqual(j.targets[0]!.target.user, user);
    assert.equal(j.counts.total, 1);
  });

  it('defaults --head to HEAD and exits 2 for a revision that does not exist or a bad flag', async () => {
    git('checkout', '-q', 'user-change');
    try {
      const j = await impactJson('main', 'HEAD');
      const r = await cli(['impact', '--repo', repo, '--base', 'main', '--json', '--limit', '0']);
      assert.deepEqual(JSON.parse(r.stdout).counts, j.counts);
    } finally {
      git('checkout', '-q', 'main');
    }
    const bad = await cli(['impact', '--repo', repo, '--base', 'no-such-branch']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown revision "no-such-branch" \(--base\)/);
    const dash = await cli(['impact', '--repo', repo, '--base', '--output=/tmp/x']);
    assert.equal(dash.code, 2);
    const limit = await cli(['impact', '--repo', repo, '--base', 'main', '--limit', 'many']);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit must be a whole number/);
    const none = await cli(['impact', '--repo', repo]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /impact needs --base REV/);
  });

  it('gives the same report with no document cache, an empty one, a warm one and a damaged one', async () => {
    const branches = ['team-change', 'rename', 'new-user', 'env-team', 'personas', 'merge-rules'];
    const run = async (cache: string, head: string): Promise<string> => {
      const r = await cli(['impact', '--repo', repo, '--base', 'main', '--head', head, '--json', '--limit', '0'], { env: { HOME: tmp.dir, PATH: process.env['PATH'], CLAUDE_ENV_CACHE: cache } });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const dir = join(tmp.dir, 'impact-cache');
    for (const head of branches) {
      const off = await run('off', head);
      assert.equal(await run(dir, head), off, `${head}: empty cache`);
      assert.equal(await run(dir, head), off, `${head}: warm cache`);
    }
    // Damage every entry of the cache, whatever it holds.
    const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.name.startsWith('.'));
    assert.ok(entries.length > 0, 'the runs above kept something to damage');
    for (const e of entries) {
      const path = join(e.parentPath, e.name);
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    }
    for (const head of branches) assert.equal(await run(dir, head), await run('off', head), `${head}: damaged cache`);
  });

  it('writes counts with thousands separators', () => {
    const counts = { total: 60000, developers: 20000, added: 0, removed: 1234, modified: 58766, by_env: { development: 20000 }, by_team: { 'team-001': 1500 }, by_project: {}, by_user: {} };
    const run = { base: { rev: 'main', commit: 'a'.repeat(40) }, head: { rev: 'next', commit: 'b'.repeat(40) }, changes: [{ status: 'modified' as const, path: 'base/config.yml' as never }], sections: 'all' as const, scopes: [], rendered: { base: 60000, head: 60000 }, targets: [], counts };
    const text = impactText(run, [], new OutputDiffs(), {});
    assert.match(text, /alters the settings of 20,000 developers: 60,000 targets \(58,766 modified, 1,234 removed\)/);
    assert.match(text, /by env: {5}development 20,000\n {2}by team: {4}team-001 1,500\n/);
    assert.match(text, /60,000 at base, 60,000 at head\n/);
  });
});
