/**
 * One piece of code decides the bytes of every output file: for every drift
 * case of test/fixtures/drift/ (and a settings.json that is not JSON on a
 * machine claude-env never wrote to), the new side `diff` shows, what
 * `apply --dry-run` would write and what apply writes are the same bytes.
 * The cases' pinned `expected.diff` is checked here too.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyPatch, parsePatch } from 'diff';
import { unifiedDiff } from '../drift/diff.js';
import type { Output } from '../render/outputs.js';
import { StateStore } from '../state/store.js';
import { recordedFiles } from '../system/decorators.js';
import { realSystem } from '../system/system.js';
import { DRIFT_CASES, DRIFT_TARGET as TARGET, actualFiles, desiredOutputs, driftCaseNames, outputOf, walk } from '../../test/support/drift-cases.js';
import { diffMachine } from './diff.js';
import { runApply } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'claude-env-one-plan-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  readonly desired: readonly Output[];
  readonly actual: Record<string, string>;
  readonly state?: string;
  readonly expectedDiff?: string;
}

function fixture(dir: string): Case {
  return {
    desired: desiredOutputs(dir),
    actual: actualFiles(dir),
    ...(existsSync(join(dir, 'state.json')) ? { state: readFileSync(join(dir, 'state.json'), 'utf8') } : {}),
    expectedDiff: readFileSync(join(dir, 'expected.diff'), 'utf8'),
  };
}

const CASE_LIST: Array<[string, Case]> = [
  ...driftCaseNames().map((name): [string, Case] => [name, fixture(join(DRIFT_CASES, name))]),
  [
    'a settings.json that is not JSON, on a machine claude-env never wrote to',
    {
      desired: [outputOf('.claude/settings.json', `${JSON.stringify({ model: 'sonnet', permissions: { deny: ['Read(./.env)'] } }, null, 2)}\n`)],
      actual: { '.claude/settings.json': '{\n  "model": "opus",\n  // mine\n  "theme": "dark",\n' },
    },
  ],
];

let n = 0;
/** A fresh home holding the case's actual files (and state), and the outputs it wants. */
function machine(c: Case): { home: string; stateDir: string; outputs: readonly Output[] } {
  const home = join(root, `home${n++}`);
  const stateDir = join(home, '.claude-env');
  mkdirSync(stateDir, { recursive: true });
  for (const [p, text] of Object.entries(c.actual)) {
    mkdirSync(dirname(join(home, p)), { recursive: true });
    writeFileSync(join(home, p), text);
  }
  if (c.state) writeFileSync(join(stateDir, 'state.json'), c.state);
  return { home, stateDir, outputs: c.desired };
}

/** Each file a unified diff changes, with its new side: the diff applied to the file on disk. */
function newSides(diffText: string, home: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const patch of parsePatch(diffText)) {
    if (patch.newFileName === undefined) continue; // an empty diff parses as one empty patch
    const path = (patch.newFileName === '/dev/null' ? patch.oldFileName! : patch.newFileName!).replace(/^[ab]\//, '');
    if (patch.newFileName === '/dev/null') {
      out.set(path, undefined);
      continue;
    }
    const before = existsSync(join(home, path)) ? readFileSync(join(home, path), 'utf8') : '';
    const applied = applyPatch(before, patch);
    assert.notEqual(applied, false, `the diff of ${path} applies to the file on disk`);
    out.set(path, applied as string);
  }
  return out;
}

describe('diff, apply --dry-run and apply', () => {
  for (const [name, c] of CASE_LIST) {
    it(`${name}: diff shows as the new side the bytes the dry run would write and apply writes`, async () => {
      const m = machine(c);
      const sys = realSystem();
      const loc = { home: m.home };
      const store = new StateStore(m.stateDir, sys);
      // diff: its text, and the new side of each file it changes
      const diff = unifiedDiff((await diffMachine({ outputs: m.outputs, loc, store, target: TARGET })).files);
      if (c.expectedDiff !== undefined) assert.equal(diff, c.expectedDiff, 'the pinned diff');
      const shown = newSides(diff, m.home);
      // apply --dry-run: what it would write and remove among the outputs
      const dry = await runApply({ locations: loc, stateDir: m.stateDir, target: TARGET, outputs: m.outputs, dryRun: true });
      const recorded = recordedFiles(dry.dryRunSystem!.record());
      const planned = new Map<string, string | undefined>();
      for (const o of [...m.outputs.map((x) => x.path as string), ...Object.keys(JSON.parse(c.state ?? '{"outputs":{}}').outputs)]) {
        const abs = join(m.home, o);
        if (!recorded.has(abs)) continue;
        const f = recorded.get(abs);
        const now = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
        const next = f === undefined ? undefined : f.bytes.toString('utf8');
        if (next !== now) planned.set(o, next);
      }
      assert.deepEqual(Object.fromEntries(planned), Object.fromEntries(shown), 'the dry run writes what diff shows');
      // apply: what it writes
      const before = new Map(walk(m.home).filter((p) => !p.startsWith('.claude-env/')).map((p) => [p, readFileSync(join(m.home, p), 'utf8')]));
      await runApply({ locations: loc, stateDir: m.stateDir, target: TARGET, outputs: m.outputs });
      const written = new Map<string, string | undefined>();
      const afterFiles = new Map(walk(m.home).filter((p) => !p.startsWith('.claude-env/')).map((p) => [p, readFileSync(join(m.home, p), 'utf8')]));
      for (const p of new Set([...before.keys(), ...afterFiles.keys()])) if (before.get(p) !== afterFiles.get(p)) written.set(p, afterFiles.get(p));
      assert.deepEqual(Object.fromEntries(written), Object.fromEntries(shown), 'apply writes what diff shows');
    });
  }
});
