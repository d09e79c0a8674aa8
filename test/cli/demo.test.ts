/**
 * `claude-env demo`, the README's first command: every step checks its
 * outcome, the demo exits 0 only when all of them are right, and it leaves
 * nothing behind. The failing runs break a step for real, through the
 * demo's `beforeStep` hook: the files a step reads are changed before it runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demo } from '../../src/cli/demo.js';
import type { DemoOptions } from '../../src/demo/run.js';
import { cli, TEST_CACHE_DIR } from '../helpers.js';

const demoDirs = (): number => readdirSync(tmpdir()).filter((n) => n.startsWith('claude-env-demo-')).length;

/** The demo in process, in text, with a hook that changes what a step finds. */
async function sabotaged(beforeStep: DemoOptions['beforeStep']): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: { CLAUDE_ENV_CACHE: TEST_CACHE_DIR, HOME: tmpdir(), PATH: process.env['PATH'] }, cwd: tmpdir() };
  const code = await demo(io, {}, beforeStep);
  return { code, stdout };
}

describe('demo', () => {
  it('runs init, validate, render, explain, apply, a hand edit, drift, remediate and a clean drift, all green, and cleans up', async () => {
    const before = demoDirs();
    const r = await cli(['demo', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { steps } = JSON.parse(r.stdout) as { steps: Array<{ step: string; ok: boolean }> };
    assert.deepEqual(steps.map((s) => s.step), ['init', 'validate', 'render', 'explain', 'environments', 'apply', 'manual edit', 'drift', 'remediate', 'drift again', 'fleet: controller', 'fleet: enroll', 'fleet: commit', 'fleet: status']);
    assert.deepEqual(steps.filter((s) => !s.ok), []);
    assert.equal(demoDirs(), before);
  });

  it('succeeds on embedded defaults: a ✔ line for every step, with what each found', async () => {
    const r = await cli(['demo']);
    // exit 0, nothing on stderr
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const marks = r.stdout.split('\n').filter((l) => /^[✔✘] /.test(l));
    // one ✔ per step, none ✘
    assert.deepEqual(marks.map((l) => l.slice(0, l.indexOf(':'))), ['✔ init', '✔ validate', '✔ render', '✔ explain', '✔ environments', '✔ apply', '✔ manual edit', '✔ drift', '✔ remediate', '✔ drift again', '✔ fleet', '✔ fleet', '✔ fleet', '✔ fleet']);
    // validate found no error, drift found the planted change, remediate brought drift to 0 and drift agrees
    assert.match(r.stdout, /^✔ validate: 0 error\(s\)/m);
    assert.match(r.stdout, /^✔ drift: 2 item\(s\), [\d.]+% drifted, risk critical$/m);
    assert.match(r.stdout, /^ {4}critical +security-policy +settings\.permissions\.deny$/m);
    assert.match(r.stdout, /^✔ remediate: fixed 1 item\(s\); drift [\d.]+% → 0%$/m);
    assert.match(r.stdout, /^✔ drift again: 0% drifted, risk low; the user's own "theme" is kept$/m);
    // the fleet: a controller, three agents, a commit every agent applies, fleet status all in sync at it
    assert.match(r.stdout, /^✔ fleet: controller: controller on http:\/\/127\.0\.0\.1:\d+ \(SQLite\)/m);
    assert.match(r.stdout, /^✔ fleet: commit: commit [0-9a-f]{12} validated by the controller and applied by every agent$/m);
    assert.match(r.stdout, /^✔ fleet: status: development: 3 of 3 machines in sync at [0-9a-f]{12}$/m);
    assert.match(r.stdout, /^ {4}development +[0-9a-f]{7} +3 +3 +0 +0 +0 +0 +0\.0 +none$/m);
  });

  it('exits non-zero when a step\'s outcome is wrong: the planted drift undone before drift runs', async () => {
    const before = demoDirs();
    let applied = '';
    const r = await sabotaged((step, at) => {
      const settings = join(at.home, '.claude', 'settings.json');
      // keep the file as apply wrote it, and put it back after the hand edit: there is no drift to find
      if (step === 'manual edit') applied = readFileSync(settings, 'utf8');
      if (step === 'drift') writeFileSync(settings, applied);
    });
    // exit 1, the steps before ✔, drift ✘ with why, and no step after it
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^✔ manual edit: /m);
    assert.match(r.stdout, /^✘ drift: drift exited 0, not 1 \(drift found\); 0 item\(s\), 0% drifted/m);
    assert.doesNotMatch(r.stdout, /remediate|drift again/);
    // the temp dir is gone
    assert.equal(demoDirs(), before);
  });

  it('exits non-zero when the scaffolded repo does not validate, naming the error', async () => {
    const r = await sabotaged((step, at) => {
      // a YAML syntax error in the base layer, written before validate reads the repo
      if (step === 'validate') appendFileSync(join(at.repo, 'base', 'config.yml'), '\nsettings: [\n');
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^✔ init: /m);
    assert.match(r.stdout, /^✘ validate: [1-9]\d* error\(s\), \d+ warning\(s\) over \d+ documents; first: base\/config\.yml:\d+:\d+ {2}\S+ {2}/m);
    assert.doesNotMatch(r.stdout, /render/);
  });
});
