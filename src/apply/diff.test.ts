/**
 * One piece of code decides the bytes of every output file: for every drift
 * case of test/fixtures/drift/ (and a settings.json that is not JSON on a
 * machine claude-env never wrote to), the new side `diff` shows, what
 * `apply --dry-run` would write and what apply writes are the same bytes.
 * The cases' pinned `expected.diff` is checked here too.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, parsePatch } from 'diff';
import { unifiedDiff } from '../drift/diff.js';
import type { Output, OutputKind } from '../render/outputs.js';
import { StateStore } from '../state/store.js';
import { recordedFiles } from '../system/decorators.js';
import { realSystem } from '../system/system.js';
import type { HomePath, Target } from '../vocabulary.js';
import { diffMachine } from './diff.js';
import { runApply } from './run.js';

/** Tests run from dist/src/apply/. */
const CASES = fileURLToPath(new URL('../../../test/fixtures/drift/', import.meta.url));
const TARGET: Target = { env: 'development', team: 'web', project: 'shop', user: 'ann' };
const root = mkdtempSync(join(tmpdir(), 'claude-env-one-plan-'));
after(() => rmSync(root, { recursive: true, force: true }));

function walk(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

function kindOf(path: string): OutputKind {
  if (path === '.claude/settings.json') return 'settings-json';
  if (path === '.claude.json') return 'claude-json';
  if (path === '.claude/CLAUDE.md') return 'claude-md';
  if (path.startsWith('.claude/agents/')) return 'agent';
  if (path.startsWith('.claude/commands/')) return 'command';
  return 'file';
}

interface Case {
  readonly desired: Record<string, string>;
  readonly actual: Record<string, string>;
  readonly state?: string;
  readonly expectedDiff?: string;
}

function fixture(dir: string): Case {
  const files = (sub: string): Record<string, string> => Object.fromEntries(walk(join(dir, sub)).map((p) => [p, readFileSync(join(dir, sub, p), 'utf8')]));
  return {
    desired: files('desired'),
    actual: files('actual'),
    ...(existsSync(join(dir, 'state.json')) ? { state: readFileSync(join(dir, 'state.json'), 'utf8') } : {}),
    expectedDiff: readFileSync(join(dir, 'expected.diff'), 'utf8'),
  };
}

const CASE_LIST: Array<[string, Case]> = [
  ...readdirSync(CASES)
    .sort()
    .map((name): [string, Case] => [name, fixture(join(CASES, name))]),
  [
    'a settings.json that is not JSON, on a machine claude-env never wrote to',
    {
      desired: { '.claude/settings.json': `${JSON.stringify({ model: 'sonnet', permissions: { deny: ['Read(./.env)'] } }, null, 2)}\n` },
      actual: { '.claude/settings.json': '{\n  "model": "opus",\n  // mine\n  "theme": "dark",\n' },
    },
  ],
];

let n = 0;
/** A fresh home holding the case's actual files (and state), and the outputs it wants. */
function machine(c: Case): { home: string; stateDir: string; outputs: Output[] } {
  const home = join(root, `home${n++}`);
  const stateDir = join(home, '.claude-env');
  mkdirSync(stateDir, { recursive: true });
  for (const [p, text] of Object.entries(c.actual)) {
    mkdirSync(dirname(join(home, p)), { recursive: true });
    writeFileSync(join(home, p), text);
  }
  if (c.state) writeFileSync(join(stateDir, 'state.json'), c.state);
  const outputs = Object.entries(c.desired).map(([p, content]): Output => ({ path: p as HomePath, kind: kindOf(p), content, encoding: 'utf8', mode: p === '.claude.json' ? 0o600 : 0o644, secret: false }));
  return { home, stateDir, outputs };
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
