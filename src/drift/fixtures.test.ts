/**
 * Drift cases as directories (gitops-engine's config/live pairs):
 * test/fixtures/drift/<case>/ holds `desired/` (the rendered outputs, as
 * files under the home), `actual/` (the home as it is), optional
 * `state.json` (what claude-env wrote before) and `rules.json` (claude-env.yml
 * `drift.severity`), and the pinned `expected.json` (drift --json) and
 * `expected.diff` (claude-env diff: pinned by src/apply/diff.test.ts, as
 * diff is apply's dry run).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareDrift } from './compare.js';
import type { HomePath } from '../vocabulary.js';
import { DRIFT_CASES, DRIFT_TARGET, actualFiles, desiredOutputs, driftCaseNames } from '../../test/support/drift-cases.js';
import { EMPTY_STATE, type ActualFile, type MachineState, type SeverityRule } from './types.js';

function loadCase(dir: string) {
  const desired = desiredOutputs(dir);
  const actual = new Map<string, ActualFile>(Object.entries(actualFiles(dir)).map(([p, content]) => [p, { path: p as HomePath, content }]));
  const read = <T>(name: string, fallback: T): T => (existsSync(join(dir, name)) ? (JSON.parse(readFileSync(join(dir, name), 'utf8')) as T) : fallback);
  return { desired, actual, state: read<MachineState>('state.json', EMPTY_STATE), rules: read<SeverityRule[]>('rules.json', []) };
}

describe('drift fixture cases', () => {
  for (const name of driftCaseNames()) {
    const dir = join(DRIFT_CASES, name);
    it(`${name}: gives the pinned drift report`, () => {
      const c = loadCase(dir);
      const report = compareDrift({ target: DRIFT_TARGET, ...c });
      assert.deepEqual(JSON.parse(JSON.stringify(report)), JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')));
    });
  }
});
