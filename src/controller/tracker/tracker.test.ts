/**
 * RepoTracker: the tip of the tracked branch (a local repo read in place, a
 * URL or bare repo cloned once and fetched), each revision validated as
 * `claude-env validate --rev` judges it (no secret in any finding), and what
 * the controller asks of a revision: environments, targets, roles.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, ROOT, tempDir } from '../../../test/helpers.js';
import { FAKE } from '../../../test/support/fake-secrets.js';
import { git } from '../../../test/support/git-tree.js';
import { ClaudeEnvError } from '../../errors.js';
import { RepoTracker, redactUrl } from './tracker.js';

const run = promisify(execFile);
const tmp = tempDir('claude-env-tracker-');
after(() => tmp.cleanup());

let n = 0;
const fresh = (name: string): string => join(tmp.dir, `${name}-${n++}`);

/** The seed repo of `claude-env init`, committed on main. */
async function seed(): Promise<string> {
  const dir = fresh('seed');
  await run(process.execPath, [join(ROOT, 'bin/claude-env.js'), 'init', dir], { env: { ...process.env, HOME: tmp.dir } });
  return dir;
}

function commit(dir: string, files: Record<string, string>, message = 'change'): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-verify', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']).toString().trim();
}

const tipOf = (dir: string, branch = 'main'): string => git(dir, ['rev-parse', `refs/heads/${branch}`]).toString().trim();

describe('RepoTracker.head', () => {
  it('reads a local repo in place: the branch tip, never the working tree nor uncommitted changes', async () => {
    const dir = await seed();
    const tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: fresh('work') });
    const first = await tracker.head();
    assert.equal(first, tipOf(dir));
    // an uncommitted edit is not in the revision
    writeFileSync(join(dir, 'teams/frontend-team/workflows.yml'), 'not: [valid\n');
    const repo = await tracker.repoAt(first);
    assert.equal(repo.text('teams/frontend-team/workflows.yml'), git(dir, ['show', 'HEAD:teams/frontend-team/workflows.yml']).toString());
    git(dir, ['checkout', '-q', '--', '.']);
    // a commit moves the tip; no clone is made for a local repo
    const second = commit(dir, { 'projects/api-service/claude-config.yml': 'settings:\n  model: sonnet\n' });
    assert.equal(await tracker.head(), second);
    assert.notEqual(second, first);
  });

  it('clones a URL once into workDir/repo.git (bare, that branch only) and fetches after, forced', async () => {
    const dir = await seed();
    const bare = fresh('origin.git');
    git(tmp.dir, ['clone', '-q', '--bare', dir, bare]);
    git(dir, ['remote', 'add', 'origin', bare]);
    git(dir, ['branch', 'other']);
    git(dir, ['push', '-q', 'origin', 'other']);
    const workDir = fresh('work');
    const tracker = new RepoTracker({ repo: `file://${bare}`, branch: 'main', workDir });
    assert.equal(await tracker.head(), tipOf(bare));
    const clone = join(workDir, 'repo.git');
    assert.equal(git(clone, ['rev-parse', '--is-bare-repository']).toString().trim(), 'true');
    assert.deepEqual(git(clone, ['for-each-ref', '--format=%(refname)']).toString().trim().split('\n'), ['refs/heads/main']);
    // a push is seen at the next head()
    const pushed = commit(dir, { 'projects/api-service/claude-config.yml': 'settings:\n  model: sonnet\n' });
    git(dir, ['push', '-q', 'origin', 'main']);
    assert.equal(await tracker.head(), pushed);
    // a force-push that rewrites the branch is followed
    git(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    const rewritten = commit(dir, { 'projects/web-application/claude-config.yml': 'settings:\n  model: opus\n' });
    git(dir, ['push', '-q', '--force', 'origin', 'main']);
    assert.equal(await tracker.head(), rewritten);
    assert.equal((await tracker.repoAt(rewritten)).text('projects/web-application/claude-config.yml'), 'settings:\n  model: opus\n');
    // a second tracker over the same folder reuses the clone
    const again = new RepoTracker({ repo: `file://${bare}`, branch: 'main', workDir });
    assert.equal(await again.head(), rewritten);
  });

  it('clones a path to a bare repo, like a URL', async () => {
    const dir = await seed();
    const bare = fresh('plain.git');
    git(tmp.dir, ['clone', '-q', '--bare', dir, bare]);
    const workDir = fresh('work');
    const tracker = new RepoTracker({ repo: bare, branch: 'main', workDir });
    assert.equal(await tracker.head(), tipOf(dir));
    assert.ok(existsSync(join(workDir, 'repo.git')));
  });

  it('lets calls made during a fetch share the next one', async () => {
    const dir = await seed();
    const tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: fresh('work') });
    const got = await Promise.all([tracker.head(), tracker.head(), tracker.head()]);
    assert.deepEqual(got, [tipOf(dir), tipOf(dir), tipOf(dir)]);
  });

  it('fails with a git error naming the repo and the branch, never the password of its URL', async () => {
    const url = 'https://deploy:s3cr3t-PASSWORD@127.0.0.1:1/org/config.git';
    const tracker = new RepoTracker({ repo: url, branch: 'main', workDir: fresh('work'), env: { ...process.env, CANARY: 'x' } });
    const err = await tracker.head().then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClaudeEnvError);
    assert.equal(err.code, 'git');
    assert.match(err.message, /https:\/\/deploy:\*\*\*@127\.0\.0\.1:1\/org\/config\.git/);
    assert.match(err.message, /branch main/);
    assert.doesNotMatch(JSON.stringify({ message: err.message, hint: err.hint, json: err.toJSON() }), /s3cr3t/);
    assert.equal(tracker.shown, 'https://deploy:***@127.0.0.1:1/org/config.git');
    // an unknown branch of a local repo
    const dir = await seed();
    const other = new RepoTracker({ repo: dir, branch: 'nope', workDir: fresh('work') });
    await assert.rejects(other.head(), (e: unknown) => e instanceof ClaudeEnvError && e.code === 'git' && e.message.includes(dir) && e.message.includes('"nope"'));
    // a folder that is no git repository
    const none = new RepoTracker({ repo: fresh('none'), branch: 'main', workDir: fresh('work') });
    await assert.rejects(none.head(), (e: unknown) => e instanceof ClaudeEnvError && e.code === 'git');
  });

  it('redacts the user info of every URL in a text, keeping ssh user names', () => {
    assert.equal(redactUrl('fatal: https://u:p@h/x and http://tok@h/y'), 'fatal: https://u:***@h/x and http://***@h/y');
    assert.equal(redactUrl('ssh://git@github.com/o/r.git'), 'ssh://git@github.com/o/r.git');
    assert.equal(redactUrl('git@github.com:o/r.git'), 'git@github.com:o/r.git');
  });
});

describe('RepoTracker.validate', () => {
  let dir = '';
  let sha = '';
  let recipient = '';
  const CANARY_ENV = 'CANARY-ENV-4a1b2c3d';
  const CANARY_AGE = 'CANARY-AGE-9e8f7a6b';
  let armored = '';

  before(async () => {
    dir = await seed();
    const identity = join(tmp.dir, `identity-${n++}.txt`);
    execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    recipient = /public key: (age1\w+)/.exec(readFileSync(identity, 'utf8'))![1]!;
    armored = execFileSync('age', ['-e', '-a', '-r', recipient], { input: CANARY_AGE, encoding: 'utf8' });
    const settings = readFileSync(join(dir, 'claude-env.yml'), 'utf8').replace('secrets:\n  commands_from: [base, environments]', `secrets:\n  commands_from: [base, environments]\n  age: { recipients: [${recipient}] }`);
    sha = commit(dir, {
      'claude-env.yml': settings,
      // the canaries: references and ciphertext in a layer
      'users/alice/overrides.yml': ['settings:', '  env:', '    CANARY_TOKEN: !secret env:CANARY_X', '    AGE_TOKEN: !encrypted |', ...armored.trimEnd().split('\n').map((l) => `      ${l}`), ''].join('\n'),
      // a plain secret in a file, and a document with errors
      'docs/notes.md': `the token is ${FAKE.github}\n`,
      'teams/backend-team/base-config.yml': 'settings:\n  modle: opus\n  permissions:\n    allow: [Bash(rm -rf:*)]\n',
    });
  });

  it('gives the same findings as `claude-env validate --rev SHA`', async () => {
    const tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: fresh('work') });
    const v = await tracker.validate(sha);
    const r = await cli(['validate', '--repo', dir, '--rev', sha, '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const json = JSON.parse(r.stdout) as { findings: Array<{ rule: string; severity: string; file: string; line: number; column: number; message: string }>; summary: { errors: number; warnings: number } };
    assert.equal(v.ok, false);
    assert.equal(v.errors, json.summary.errors);
    assert.equal(v.warnings, json.summary.warnings);
    const errors = json.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message}`);
    assert.deepEqual(v.findings, errors.slice(0, 20));
    assert.ok(v.findings.some((f) => f.includes('secret-detected')), 'the plain token is found');
    assert.ok(v.duration_ms >= 0);
  });

  it('never holds a secret value in its findings', async () => {
    const tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: fresh('work'), env: { ...process.env, CANARY_X: CANARY_ENV } });
    const text = JSON.stringify(await tracker.validate(sha));
    for (const secret of [CANARY_ENV, CANARY_AGE, FAKE.github, ...armored.split('\n').filter((l) => l.length > 20)]) assert.ok(!text.includes(secret), `no ${secret.slice(0, 12)}… in the findings`);
  });

  it('passes the seed repo, and fails a revision that is no config repo with that one error', async () => {
    const seeded = await seed();
    const tracker = new RepoTracker({ repo: seeded, branch: 'main', workDir: fresh('work') });
    const v = await tracker.validate(await tracker.head());
    assert.deepEqual({ ok: v.ok, errors: v.errors, findings: v.findings }, { ok: true, errors: 0, findings: [] });
    git(seeded, ['rm', '-q', 'claude-env.yml']);
    git(seeded, ['commit', '-q', '--no-verify', '-m', 'gone']);
    const broken = await tracker.validate(await tracker.head());
    assert.equal(broken.ok, false);
    assert.equal(broken.errors, 1);
    assert.match(broken.findings[0]!, /not-config-repo/);
  });
});

describe('RepoTracker: environments, targets, roles', () => {
  let tracker: RepoTracker;
  let sha = '';
  before(async () => {
    tracker = new RepoTracker({ repo: await seed(), branch: 'main', workDir: fresh('work') });
    sha = await tracker.head();
  });

  it('lists the environments of claude-env.yml', async () => {
    assert.deepEqual(await tracker.environments(sha), ['development', 'staging', 'production']);
  });

  it('resolves an enrolling identity as members.yml has it, or says why not', async () => {
    assert.deepEqual(await tracker.resolveTarget(sha, { env: 'staging', user: 'alice' }), { env: 'staging', team: 'frontend-team', user: 'alice' });
    assert.deepEqual(await tracker.resolveTarget(sha, { env: 'production', team: 'backend-team', project: 'api-service', user: 'erin' }), { env: 'production', team: 'backend-team', project: 'api-service', user: 'erin' });
    const why = async (partial: { env: string; team?: string; project?: string; user: string }): Promise<string> =>
      tracker.resolveTarget(sha, partial).then(
        () => 'resolved',
        (e: unknown) => (e instanceof ClaudeEnvError ? `${e.code}: ${e.message}` : String(e)),
      );
    assert.equal(await why({ env: 'qa', user: 'alice' }), 'unknown-target: unknown environment "qa"');
    assert.equal(await why({ env: 'staging', user: 'mallory' }), 'unknown-target: unknown user "mallory": not a member of any team');
    assert.equal(await why({ env: 'staging', team: 'ghost-team', user: 'alice' }), 'unknown-target: unknown team "ghost-team"');
    assert.equal(await why({ env: 'staging', team: 'backend-team', user: 'alice' }), 'unknown-target: unknown user "alice" in team "backend-team"');
    assert.equal(await why({ env: 'staging', user: 'alice', project: 'moonshot' }), 'unknown-target: unknown project "moonshot"');
  });

  it('gives the roles a user holds from members.yml and access.yml', async () => {
    assert.deepEqual(await tracker.rolesOf(sha, 'alice'), ['team_lead']);
    // ivan leads devops-team, and access.yml makes every member of devops-team an admin
    assert.deepEqual(await tracker.rolesOf(sha, 'ivan'), ['admin', 'team_lead']);
    assert.deepEqual(await tracker.rolesOf(sha, 'nobody'), []);
    assert.equal(await tracker.isAdminRole(sha, 'admin'), true);
    assert.equal(await tracker.isAdminRole(sha, 'team_lead'), false);
  });

  it('keeps the last few revisions loaded, and no more', async () => {
    const dir = await seed();
    const small = new RepoTracker({ repo: dir, branch: 'main', workDir: fresh('work'), revisionsKept: 1 });
    const a = await small.head();
    const repoA = await small.repoAt(a);
    assert.equal(await small.repoAt(a), repoA);
    const b = commit(dir, { 'projects/api-service/claude-config.yml': 'settings:\n  model: sonnet\n' });
    await small.repoAt(b);
    assert.notEqual(await small.repoAt(a), repoA, 'the older revision was let go and is loaded again');
    await assert.rejects(small.repoAt('0'.repeat(40)), (e: unknown) => e instanceof ClaudeEnvError && e.code === 'git');
    await assert.rejects(small.repoAt('--output=/tmp/x'), (e: unknown) => e instanceof ClaudeEnvError && e.code === 'bad-request');
  });
});
