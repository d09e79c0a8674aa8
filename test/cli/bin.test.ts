/** The installed command itself (bin/claude-env.js and the bundle), as a separate process, the way users and CI run it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TEST_CACHE_DIR, fixture } from '../helpers.js';

const bin = join(ROOT, 'bin', 'claude-env.js');
const run = (args: string[], input?: string): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: TEST_CACHE_DIR, CLAUDE_ENV_CACHE: TEST_CACHE_DIR }, ...(input ? { input } : {}) });

describe('the claude-env command', () => {
  it('prints its version and help', () => {
    const v = run(['--version']);
    assert.equal(v.status, 0);
    assert.match(String(v.stdout), /^claude-env\/0\.1\.0 /);
    const h = run(['--help']);
    assert.equal(h.status, 0);
    assert.match(String(h.stdout), /explain <key>/);
  });

  it('explains a key and exits 0, and exits 2 with the message on stderr for an unknown target', () => {
    const ok = run(['explain', 'settings.model', '--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop']);
    assert.equal(ok.status, 0, String(ok.stderr));
    assert.match(String(ok.stdout), /^settings\.model = "haiku"\n/);
    const bad = run(['explain', 'settings.model', '--repo', fixture('merge-rules'), '--env', 'qa']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(String(bad.stderr), /^claude-env: unknown-target  unknown environment "qa"\n  environments: development, production\n$/);
  });

  it('applies, then finds no drift, then finds a hand edit: drift runs from the one-file hot bundle and agrees with the rest', () => {
    const home = mkdtempSync(join(tmpdir(), 'claude-env-bin-'));
    try {
      const target = ['--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop', '--home', home];
      const env = { PATH: process.env['PATH'], HOME: home, CLAUDE_ENV_CACHE: TEST_CACHE_DIR };
      const sh = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
      assert.equal(sh(['apply', ...target]).status, 0);
      const clean = sh(['drift', ...target, '--json']);
      assert.equal(clean.status, 0, String(clean.stderr));
      assert.deepEqual(JSON.parse(String(clean.stdout)).items, []);
      const file = join(home, '.claude', 'settings.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"haiku"', '"opus"'));
      const drifted = sh(['drift', ...target]);
      assert.equal(drifted.status, 1);
      assert.match(String(drifted.stdout), /medium {3}version {20}settings\.model {2}modified: expected "haiku", actual "opus"/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('exits quietly when its reader goes away', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" render --repo "${fixture('merge-rules')}" --env development --team web --user ann --project shop --outputs | head -c 10`], { encoding: 'utf8', env: { PATH: process.env['PATH'], CLAUDE_ENV_CACHE: 'off' } });
    assert.equal(r.status, 0);
    assert.equal(r.stderr.includes('EPIPE'), false, r.stderr);
  });
});
