/** `claude-env demo`, the README's first command: every step succeeds, and it leaves nothing behind. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cli } from '../helpers.js';

describe('demo', () => {
  it('runs init, validate, render, explain, apply, a hand edit, drift, remediate and a clean drift, all green, and cleans up', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('claude-env-demo-')).length;
    const r = await cli(['demo', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { steps } = JSON.parse(r.stdout) as { steps: Array<{ step: string; ok: boolean }> };
    assert.deepEqual(steps.map((s) => s.step), ['init', 'validate', 'render', 'explain', 'environments', 'apply', 'manual edit', 'drift', 'remediate', 'drift again']);
    assert.deepEqual(steps.filter((s) => !s.ok), []);
    assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('claude-env-demo-')).length, before);
  });
});
