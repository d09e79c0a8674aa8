/**
 * `history`: the config repo's git log per file or per merged key, joined
 * with the machine's audit log written by a real `apply`; and
 * `--verify-signatures` on commits really signed with ssh-keygen keys.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const repo = join(tmp.dir, 'org');
const home = join(tmp.dir, 'home');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** ssh-keygen comes with openssh-client; a fresh machine without it gets it here (CI runs as root). */
function ensureSshKeygen(): void {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return; // it exists (-? exits non-zero)
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client'], { stdio: 'inherit', timeout: 300_000 });
  }
}

function keypair(name: string): { priv: string; pub: string } {
  const priv = join(tmp.dir, `${name}_ed25519`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, 'utf8').trim() };
}

function commit(message: string, signWith?: string): string {
  git('add', '-A');
  const sign = signWith ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${signWith}`] : [];
  execFileSync('git', ['-C', repo, ...sign, 'commit', '-q', '--no-verify', ...(signWith ? ['-S'] : []), '-m', message], { env: GIT_ENV });
  return git('rev-parse', 'HEAD');
}

const edit = (path: string, from: string, to: string): void => {
  const abs = join(repo, path);
  const text = readFileSync(abs, 'utf8');
  assert.ok(text.includes(from), `${path} has ${from}`);
  writeFileSync(abs, text.replace(from, to));
};

let init = '';
let cleanup = '';
let comment = '';
let signed = '';
let strangerSigned = '';

before(async () => {
  ensureSshKeygen();
  assert.equal((await cli(['init', repo])).code, 0);
  init = git('rev-parse', 'HEAD');
  const alice = keypair('alice');
  const stranger = keypair('stranger');
  appendFileSync(join(repo, 'access.yml'), `signing_keys:\n  alice: "${alice.pub}"\n`);
  commit('List signing keys', alice.priv);
  edit('base/config.yml', 'cleanupPeriodDays: 30', 'cleanupPeriodDays: 45');
  cleanup = commit('Keep transcripts for 45 days', alice.priv);
  appendFileSync(join(repo, 'teams/backend-team/workflows.yml'), '# reviewed\n');
  comment = commit('Note a review', alice.priv);
  edit('teams/frontend-team/base-config.yml', 'Bash(npm run storybook)', 'Bash(npm run storybook:*)');
  mkdirSync(join(repo, 'users/bob'), { recursive: true });
  writeFileSync(join(repo, 'users/bob/overrides.yml'), 'settings:\n  model: sonnet\n');
  signed = commit('Storybook with arguments', alice.priv);
  appendFileSync(join(repo, 'teams/frontend-team/workflows.yml'), '# stranger\n');
  strangerSigned = commit('Signed by a key nobody listed', stranger.priv);
  // A real apply of the cleanup revision writes the machine's audit log.
  const applied = await cli(['apply', '--repo', repo, '--rev', cleanup, '--env', 'development', '--team', 'frontend-team', '--user', 'bob', '--home', home], { env: { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'Bearer test-token' } });
  assert.equal(applied.code, 0, applied.stderr);
});

interface Entry {
  time: string;
  source: 'git' | 'machine';
  commit?: string;
  subject?: string;
  files?: string[];
  keys?: string[];
  event?: string;
  revision?: string;
  applied_here?: string;
  signature?: { status: string; signer?: string };
}

async function history(args: string[]): Promise<{ code: number; entries: Entry[]; out: Record<string, unknown>; stdout: string }> {
  const r = await cli(['history', '--repo', repo, '--home', home, ...args], { env: { HOME: home, PATH: process.env['PATH'] } });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  if (!args.includes('--json')) return { code: r.code, entries: [], out: {}, stdout: r.stdout };
  const out = JSON.parse(r.stdout) as { entries: Entry[] };
  return { code: r.code, entries: out.entries, out, stdout: r.stdout };
}

describe('history', () => {
  it("joins the git log with the machine's audit log, newest first", async () => {
    const { code, entries } = await history(['--json']);
    assert.equal(code, 0);
    const commits = entries.filter((e) => e.source === 'git').map((e) => e.commit);
    assert.deepEqual(commits, [strangerSigned, signed, comment, cleanup, git('rev-parse', `${cleanup}^`), init]);
    const apply = entries.find((e) => e.source === 'machine' && e.event === 'apply');
    assert.ok(apply, 'the apply of the audit log is there');
    assert.equal(apply.revision, cleanup);
    // ordered by time, newest first
    const times = entries.map((e) => e.time);
    assert.deepEqual(times, [...times].sort().reverse());
    // commits contained in the applied revision say when this machine applied them; later ones do not
    assert.equal(entries.find((e) => e.commit === cleanup)?.applied_here, apply.time);
    assert.equal(entries.find((e) => e.commit === init)?.applied_here, apply.time);
    assert.equal(entries.find((e) => e.commit === signed)?.applied_here, undefined);
  });

  it('keeps the commits that changed one file', async () => {
    const { entries } = await history(['--file', 'base/config.yml', '--json']);
    assert.deepEqual(entries.filter((e) => e.source === 'git').map((e) => e.commit), [cleanup, init]);
  });

  it('keeps the commits that changed one merged key in any layer file, and names the key', async () => {
    const { entries } = await history(['--key', 'settings.cleanupPeriodDays', '--json']);
    const commits = entries.filter((e) => e.source === 'git');
    assert.deepEqual(commits.map((e) => [e.commit, e.keys]), [
      [cleanup, ['settings.cleanupPeriodDays']],
      [init, ['settings.cleanupPeriodDays']],
    ]);
    // a key set in a team file: a comment-only change to another file does not count
    const allow = await history(['--key', 'settings.permissions.allow', '--json']);
    const hits = allow.entries.filter((e) => e.source === 'git').map((e) => e.commit);
    assert.ok(hits.includes(signed));
    assert.ok(!hits.includes(comment) && !hits.includes(cleanup));
  });

  it('verifies SSH commit signatures against the keys of access.yml and exits 1 when one is not good', async () => {
    const { code, entries, out } = await history(['--verify-signatures', '--json']);
    assert.equal(code, 1);
    const sig = (c: string): Entry['signature'] => entries.find((e) => e.commit === c)?.signature;
    assert.deepEqual(sig(signed), { ...sig(signed), status: 'good', signer: 'alice' });
    assert.equal(sig(cleanup)?.status, 'good');
    assert.notEqual(sig(strangerSigned)?.status, 'good');
    assert.equal(sig(init)?.status, 'unsigned');
    assert.deepEqual((out['signatures'] as { unverified: string[] }).unverified, [strangerSigned, init]);
    // only the signed range: everything good, exit 0
    const text = await history(['--verify-signatures', '--rev', signed, '--file', 'users/bob/overrides.yml']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /commit [0-9a-f]{7} {2}Alice <alice@example\.com> {2}Storybook with arguments {2}\[signature: good, alice\]/);
    assert.match(text.stdout, /signatures: all 1 commit\(s\) signed with keys of access\.yml signing_keys\n$/);
  });

  it('prints a readable timeline', async () => {
    const { stdout } = await history(['--file', 'base/config.yml']);
    assert.match(stdout, /machine apply {2}revision [0-9a-f]{7} {2}development\/frontend-team\/bob/);
    assert.match(stdout, /commit [0-9a-f]{7} {2}Alice <alice@example\.com> {2}Keep transcripts for 45 days\n {4}base\/config\.yml\n {4}applied on this machine: /);
  });

  it('exits 2 for a key that is not a dotted key', async () => {
    const r = await cli(['history', '--repo', repo, '--home', home, '--key', 'settings.'], { env: { HOME: home, PATH: process.env['PATH'] } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--key: key "settings\." ends with a dot/);
  });
});
