/** The installed command itself (bin/claude-env.js and the bundle), as a separate process, the way users and CI run it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

  it('answers the same with a cold cache, a warm one, a damaged one and none, and writes nothing with the cache off', () => {
    const cache = mkdtempSync(join(tmpdir(), 'claude-env-code-cache-'));
    try {
      const args = ['explain', 'settings.model', '--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];
      const explain = (): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: cache, CLAUDE_ENV_CACHE: cache } });
      // a cold cache: the answer, and the cache kept for the next process
      const first = explain();
      assert.equal(first.status, 0, String(first.stderr));
      assert.match(String(first.stdout), /^settings\.model = "haiku"\n/);
      // a warm cache: the same answer
      assert.deepEqual([explain().status, explain().stdout], [0, first.stdout]);
      // validate reads every document through the same cache, and explain still answers the same after it
      const validate = spawnSync(process.execPath, [bin, 'validate', '--repo', fixture('merge-rules')], { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: cache, CLAUDE_ENV_CACHE: cache } });
      assert.ok(validate.status === 0 || validate.status === 1, String(validate.stderr)); // 1: the fixture's findings
      assert.equal(explain().stdout, first.stdout);
      // every file of the cache damaged, whatever it holds: the same answer, with nothing on stderr, twice
      const kept = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      assert.ok(kept.length > 0, 'the runs above kept something to damage');
      for (const e of kept) {
        const path = join(e.parentPath, e.name);
        writeFileSync(path, Buffer.alloc(readFileSync(path).length, 7));
      }
      for (let i = 0; i < 2; i++) {
        const again = explain();
        assert.deepEqual([again.status, again.stdout, again.stderr], [0, first.stdout, '']);
      }
      // with the cache off, the same answer and nothing written in the home
      const home = mkdtempSync(join(tmpdir(), 'claude-env-no-cache-'));
      try {
        const off = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: home, CLAUDE_ENV_CACHE: 'off' } });
        assert.equal(off.stdout, first.stdout);
        assert.deepEqual(readdirSync(home), []);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
