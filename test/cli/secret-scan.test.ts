/**
 * `claude-env validate` scans every file of the config repo for plain-text
 * secrets (secretlint's recommended rules): a finding per secret with its
 * place and fingerprint, never the secret; `!secret` and `!encrypted` values
 * are not plain text; `secrets.allow` in claude-env.yml accepts a secret by
 * fingerprint. The fake secrets are put together at run time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { initRepo } from '../../src/workspace/init.js';
import { encrypt, newIdentity } from '../../src/secrets/age.js';
import { runGit } from '../../src/system/git.js';
import type { Finding } from '../../src/vocabulary.js';
import { cli, tempDir } from '../helpers.js';
import { FAKE } from '../support/fake-secrets.js';

const tmp = tempDir();
after(() => tmp.cleanup());


const SECRETS = [FAKE.awsSecret[1], FAKE.github, FAKE.slack, FAKE.anthropic, FAKE.privateKey];

/** Where `needle` starts in a file's text, as validate reports it (1-based line and column). */
function place(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, needle);
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** The seed repo with a secret of each kind in files of every sort, and two tagged values. */
async function leakyRepo(): Promise<{ dir: string; expected: Array<{ file: string; line: number; column: number; kind: string }> }> {
  const dir = join(tmp.dir, 'leaky');
  await initRepo(dir, { PATH: process.env['PATH'] });
  const { recipient } = await newIdentity();
  const armored = await encrypt(FAKE.privateKey, [recipient]);
  const files: Record<string, string> = {
    'base/files/hooks/deploy.sh': `#!/bin/sh\n# deploy helper\nexport ${FAKE.awsSecret[0]}=${FAKE.awsSecret[1]}\n`,
    'base/files/skills/release-notes/token.md': `# Publishing\n\nThe release bot uses ${FAKE.github} to tag.\n`,
    // The same content twice: scanned once, reported at both places.
    'teams/backend-team/files/token.md': `# Publishing\n\nThe release bot uses ${FAKE.github} to tag.\n`,
    'base/files/keys/deploy_key': `${FAKE.privateKey}\n`,
    'projects/api-service/claude-config.yml': [
      'settings:',
      '  env:',
      `    ALERTS_WEBHOOK: ${FAKE.slack}`,
      `    ANTHROPIC_API_KEY: ${FAKE.anthropic}`,
      // Tagged values are references or ciphertext, whatever their text looks like.
      `    RELEASE_TOKEN: !secret "file:/run/secrets/${FAKE.github}"`,
      '    DEPLOY_KEY: !encrypted |',
      ...armored.trim().split('\n').map((l) => `      ${l}`),
      '',
    ].join('\n'),
  };
  for (const [path, text] of Object.entries(files)) write(dir, path, text);
  const at = (file: string, needle: string, kind: string) => ({ file, ...place(files[file]!, needle), kind });
  const expected = [
    at('base/files/hooks/deploy.sh', FAKE.awsSecret[1], 'AWSSecretAccessKey'),
    at('base/files/keys/deploy_key', '-----BEGIN', 'PrivateKey'),
    at('base/files/skills/release-notes/token.md', FAKE.github, 'GITHUB_TOKEN'),
    at('projects/api-service/claude-config.yml', FAKE.slack, 'IncomingWebhook'),
    at('projects/api-service/claude-config.yml', FAKE.anthropic, 'ANTHROPIC_API_KEY'),
    at('teams/backend-team/files/token.md', FAKE.github, 'GITHUB_TOKEN'),
  ];
  await runGit(dir, ['add', '--all']);
  await runGit(dir, ['commit', '--quiet', '--no-verify', '-m', 'add files with secrets']);
  return { dir, expected };
}

const secretFindings = (stdout: string): Finding[] => (JSON.parse(stdout) as { findings: Finding[] }).findings.filter((f) => f.rule.startsWith('secret-'));

describe('validate: secret scanning', () => {
  let repo: Awaited<ReturnType<typeof leakyRepo>>;
  before(async () => {
    repo = await leakyRepo();
  });

  it('reports each plain-text secret at its file:line:col, with its kind and fingerprint, and exits 1', async () => {
    const r = await cli(['validate', '--repo', repo.dir, '--format', 'json']);
    // Findings are errors, one per secret and place; the tagged values are not among them.
    assert.equal(r.code, 1, r.stderr);
    const found = secretFindings(r.stdout);
    assert.deepEqual(
      found.map((f) => ({ file: f.file, line: f.line, column: f.column, rule: f.rule, severity: f.severity })),
      repo.expected.map((e) => ({ file: e.file, line: e.line, column: e.column, rule: 'secret-detected', severity: 'error' })),
    );
    found.forEach((f, i) => {
      assert.match(f.message, new RegExp(`plain-text secret ${repo.expected[i]!.kind} \\(secretlint [a-z-]+\\), fingerprint sha256:[0-9a-f]{16}`));
    });
    // The same secret in two files has one fingerprint.
    const fp = (f: Finding) => /fingerprint (sha256:[0-9a-f]{16})/.exec(f.message)![1];
    assert.equal(fp(found[2]!), fp(found[5]!));
  });

  it('never prints a secret, in text, json or sarif', async () => {
    for (const format of ['text', 'json', 'sarif']) {
      const r = await cli(['validate', '--repo', repo.dir, '--format', format]);
      assert.equal(r.code, 1);
      assert.ok(r.stdout.includes('secret-detected'), format);
      for (const s of SECRETS) {
        // Any 12 characters of the secret's body would be a leak.
        const body = s.replace(/^-----BEGIN RSA PRIVATE KEY-----\n/, '').slice(4, 16);
        assert.ok(!r.stdout.includes(body) && !r.stderr.includes(body), `${format} shows part of a secret`);
      }
    }
  });

  it('scans a git revision (--rev) the same way as the working tree', async () => {
    const worktree = await cli(['validate', '--repo', repo.dir, '--format', 'json']);
    const rev = await cli(['validate', '--repo', repo.dir, '--rev', 'HEAD', '--format', 'json']);
    assert.equal(rev.code, 1, rev.stderr);
    assert.deepEqual(secretFindings(rev.stdout), secretFindings(worktree.stdout));
  });

  it('accepts a secret whose fingerprint claude-env.yml secrets.allow lists, and warns about an entry that matches nothing', async () => {
    const first = secretFindings((await cli(['validate', '--repo', repo.dir, '--format', 'json'])).stdout);
    const aws = first.find((f) => f.file === 'base/files/hooks/deploy.sh')!;
    const fingerprint = /fingerprint (sha256:[0-9a-f]{16})/.exec(aws.message)![1]!;
    const settingsPath = join(repo.dir, 'claude-env.yml');
    const original = readFileSync(settingsPath, 'utf8');
    const doc = parseDocument(original);
    doc.setIn(['secrets', 'allow'], [
      { fingerprint, reason: 'the sandbox account of the deploy example' },
      { fingerprint: 'sha256:00000000000000ff', reason: 'a key removed long ago' },
    ]);
    writeFileSync(settingsPath, doc.toString());
    try {
      const r = await cli(['validate', '--repo', repo.dir, '--format', 'json']);
      const found = secretFindings(r.stdout);
      // The allowed secret is gone; the others stay.
      assert.deepEqual(found.filter((f) => f.rule === 'secret-detected').map((f) => f.file), repo.expected.filter((e) => e.file !== aws.file).map((e) => e.file));
      // The stale entry is a warning at its fingerprint in claude-env.yml.
      const stale = found.filter((f) => f.rule === 'secret-allow-unused');
      assert.equal(stale.length, 1);
      assert.equal(stale[0]!.severity, 'warning');
      assert.equal(stale[0]!.file, 'claude-env.yml');
      assert.deepEqual({ line: stale[0]!.line, column: stale[0]!.column }, place(doc.toString(), 'sha256:00000000000000ff'));
    } finally {
      writeFileSync(settingsPath, original);
    }
  });

  it('skips scanning with --no-secret-scan', async () => {
    const r = await cli(['validate', '--repo', repo.dir, '--format', 'json', '--no-secret-scan']);
    assert.deepEqual(secretFindings(r.stdout), []);
  });

  it('finds no secret in the seed repo', async () => {
    const dir = join(tmp.dir, 'seed');
    await initRepo(dir, { PATH: process.env['PATH'] });
    const r = await cli(['validate', '--repo', dir, '--format', 'json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).findings, []);
  });
});
