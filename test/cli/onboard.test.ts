/**
 * `onboard` end to end on a scaffolded config repo (a real git repo in a
 * temp dir) and a sandbox home: the new user's machine gets working Claude
 * Code files and its identity, the repo gets exactly one new commit on a new
 * branch (members.yml changed by one line, the user layer created), the
 * current branch and working tree stay as they were, and every refused
 * onboarding leaves the repo and the home untouched.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir('claude-env-onboard-');
after(() => tmp.cleanup());
let n = 0;

/** A fresh scaffolded config repo and an empty home. */
async function setup(): Promise<{ repo: string; home: string; run(args: string[]): ReturnType<typeof cli>; git(...args: string[]): string }> {
  const repo = join(tmp.dir, `repo${n}`);
  const home = join(tmp.dir, `home${n++}`);
  mkdirSync(home);
  const env = { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'Bearer test-token' };
  const init = await cli(['init', repo], { env });
  assert.equal(init.code, 0, init.stderr);
  return {
    repo,
    home,
    run: (args) => cli(['onboard', ...args, '--repo', repo, '--home', home], { env }),
    git: (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }),
  };
}

const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));

/** The repo as a user sees it: every file of the working tree, the refs, HEAD and the status. */
function repoState(s: { repo: string; git(...a: string[]): string }): unknown {
  const files = snapshot(s.repo);
  for (const k of [...files.keys()]) if (k.startsWith('.git/')) files.delete(k);
  return { files: [...files], refs: s.git('for-each-ref'), head: s.git('symbolic-ref', 'HEAD'), status: s.git('status', '--porcelain', '--untracked-files=all') };
}

describe('onboard', () => {
  it("sets up the new user's machine with working Claude Code files and puts one commit on a new branch", async () => {
    const s = await setup();
    const membersBefore = readFileSync(join(s.repo, 'teams/frontend-team/members.yml'), 'utf8');
    const r = await s.run(['zed', '--team', 'frontend-team', '--role', 'developer', '--projects', 'web-application']);
    assert.equal(r.code, 0, r.stderr);
    // the summary names the branch, the identity and the time it took
    assert.match(r.stdout, /^onboarded zed into frontend-team as developer \(projects: web-application\)\n  branch onboard\/zed at [0-9a-f]{12} \(one commit over [0-9a-f]{12}\): teams\/frontend-team\/members\.yml, users\/zed\/overrides\.yml\n/);
    assert.match(r.stdout, /  machine identity: development\/frontend-team\/zed\/web-application\n/);
    assert.match(r.stdout, /\ndone in \d+\.\d s \(by hand: about 30 minutes\)\n$/);

    // the machine: Claude Code's files as render shows them for the new target, and the identity
    const rendered = await cli(['render', '--repo', s.repo, '--rev', 'onboard/zed', '--env', 'development', '--team', 'frontend-team', '--project', 'web-application', '--user', 'zed', '--outputs', '--json']);
    assert.equal(rendered.code, 0, rendered.stderr);
    const outputs = JSON.parse(rendered.stdout) as Record<string, string>;
    assert.deepEqual(json(join(s.home, '.claude', 'settings.json')), JSON.parse(outputs['.claude/settings.json']!));
    const servers = json(join(s.home, '.claude.json'))['mcpServers'];
    // (render shows the docs token as its reference; apply wrote the machine's value)
    assert.deepEqual(servers, JSON.parse(outputs['.claude.json']!.replace('«secret:env:DOCS_MCP_TOKEN»', 'Bearer test-token'))['mcpServers']);
    assert.ok(Object.keys(servers).length > 0);
    assert.equal(readFileSync(join(s.home, '.claude', 'CLAUDE.md'), 'utf8'), outputs['.claude/CLAUDE.md']);
    assert.ok(readdirSync(join(s.home, '.claude', 'agents')).includes('accessibility-reviewer.md'), 'the team persona is there');
    assert.deepEqual(json(join(s.home, '.claude-env', 'identity.json')), { env: 'development', team: 'frontend-team', project: 'web-application', user: 'zed' });
    // drift on the machine: nothing to report, with no flags (the identity answers)
    const drift = await cli(['drift', '--repo', s.repo, '--rev', 'onboard/zed', '--home', s.home], { env: { HOME: s.home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'Bearer test-token' } });
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);

    // the repo: one new commit on onboard/zed; main, the index and the working tree as they were
    assert.equal(s.git('rev-list', '--count', 'main..onboard/zed').trim(), '1');
    assert.equal(s.git('rev-parse', 'onboard/zed~1').trim(), s.git('rev-parse', 'main').trim());
    assert.equal(s.git('diff', '--name-status', 'main', 'onboard/zed'), 'M\tteams/frontend-team/members.yml\nA\tusers/zed/overrides.yml\n');
    assert.equal(s.git('symbolic-ref', '--short', 'HEAD').trim(), 'main');
    assert.equal(s.git('status', '--porcelain', '--untracked-files=all'), '');
    // members.yml: the old bytes and one new line
    assert.equal(s.git('show', 'onboard/zed:teams/frontend-team/members.yml'), `${membersBefore}- { user: zed, role: developer, projects: [web-application] }\n`);
    // the branch validates
    const v = await cli(['validate', '--repo', s.repo, '--rev', 'onboard/zed']);
    assert.equal(v.code, 0, v.stdout);
  });

  it('reports as JSON, and onboards a member with no project', async () => {
    const s = await setup();
    const r = await s.run(['yan', '--team', 'platform-team', '--role', 'security_reviewer', '--env', 'staging', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Record<string, any>;
    assert.equal(report['branch'], 'onboard/yan');
    assert.equal(report['target'], 'staging/platform-team/yan');
    assert.deepEqual(report['files'], ['teams/platform-team/members.yml', 'users/yan/overrides.yml']);
    assert.equal(report['commit'], s.git('rev-parse', 'onboard/yan').trim());
    assert.equal(typeof report['seconds'], 'number');
    assert.equal(report['by_hand_minutes'], 30);
    assert.ok(report['apply']['written'].some((w: { path: string }) => w.path === '.claude/settings.json'));
    assert.match(s.git('show', 'onboard/yan:teams/platform-team/members.yml'), /\n- \{ user: yan, role: security_reviewer \}\n$/);
  });

  it('refuses bad input with a clear error and changes nothing: no branch, no file, no identity', async () => {
    const s = await setup();
    const cases: Array<[string, string[], RegExp]> = [
      ['unknown team', ['zed', '--team', 'nope', '--role', 'developer'], /unknown team "nope"\n  teams: backend-team, devops-team, frontend-team, platform-team/],
      ['existing member', ['alice', '--team', 'frontend-team', '--role', 'developer'], /teams\/frontend-team\/members\.yml:3:\d+  member-exists  alice is already a member of frontend-team \(role team_lead\)/],
      ['path in the user name', ['../evil', '--team', 'frontend-team', '--role', 'developer'], /invalid user name "\.\.\/evil"/],
      ['slash in the user name', ['a/b', '--team', 'frontend-team', '--role', 'developer'], /invalid user name "a\/b"/],
      ['space in the user name', ['ev il', '--team', 'frontend-team', '--role', 'developer'], /invalid user name "ev il"/],
      ['non-ASCII user name', ['zoë', '--team', 'frontend-team', '--role', 'developer'], /invalid user name "zoë"/],
      ['option-like user name', ['x.lock', '--team', 'frontend-team', '--role', 'developer'], /invalid user name "x\.lock"/],
      ['unknown role', ['zed', '--team', 'frontend-team', '--role', 'wizard'], /unknown role "wizard"\n  roles of access\.yml: admin, team_lead, developer, security_reviewer/],
      ['unknown project', ['zed', '--team', 'frontend-team', '--role', 'developer', '--projects', 'web-application,moon-base'], /unknown project "moon-base"/],
      ['no team', ['zed', '--role', 'developer'], /onboard needs --team T/],
      ['unknown environment', ['zed', '--team', 'frontend-team', '--role', 'developer', '--env', 'qa'], /unknown environment "qa"/],
    ];
    const before = repoState(s);
    for (const [what, args, message] of cases) {
      const r = await s.run(args);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.deepEqual(repoState(s), before, `${what}: the repo is unchanged`);
      assert.equal(existsSync(join(s.home, '.claude-env')), false, `${what}: no identity`);
      assert.equal(existsSync(join(s.home, '.claude')), false, `${what}: no files`);
    }
  });

  it('refuses when the files it writes have uncommitted changes, when the branch exists, or when the machine belongs to someone else', async () => {
    const s = await setup();
    const args = ['zed', '--team', 'frontend-team', '--role', 'developer'];
    // an uncommitted edit of members.yml
    appendFileSync(join(s.repo, 'teams/frontend-team/members.yml'), '# edited\n');
    let before = repoState(s);
    let r = await s.run(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /teams\/frontend-team\/members\.yml  dirty-tree  uncommitted changes in teams\/frontend-team\/members\.yml/);
    assert.deepEqual(repoState(s), before);
    s.git('checkout', '--', 'teams/frontend-team/members.yml');
    // an untracked user layer
    mkdirSync(join(s.repo, 'users/zed'));
    writeFileSync(join(s.repo, 'users/zed/overrides.yml'), 'settings: {}\n');
    before = repoState(s);
    r = await s.run(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /uncommitted changes in users\/zed\/overrides\.yml/);
    assert.deepEqual(repoState(s), before);
    execFileSync('rm', ['-r', join(s.repo, 'users/zed')]);
    // the branch exists already
    s.git('branch', 'onboard/zed');
    before = repoState(s);
    r = await s.run(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the branch onboard\/zed already exists/);
    assert.deepEqual(repoState(s), before);
    s.git('branch', '-D', 'onboard/zed');
    // the home already belongs to another developer
    mkdirSync(join(s.home, '.claude-env'));
    writeFileSync(join(s.home, '.claude-env', 'identity.json'), JSON.stringify({ env: 'development', team: 'backend-team', user: 'erin' }));
    before = repoState(s);
    r = await s.run(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /this machine \(home .*\) already belongs to development\/backend-team\/erin/);
    assert.deepEqual(repoState(s), before);
    assert.equal(existsSync(join(s.home, '.claude')), false);
  });
});
