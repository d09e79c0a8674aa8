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
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareDrift } from './compare.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { HomePath } from '../vocabulary.js';
import { EMPTY_STATE, type ActualFile, type MachineState, type SeverityRule } from './types.js';

/** Tests run from dist/src/drift/. */
const CASES = fileURLToPath(new URL('../../../test/fixtures/drift/', import.meta.url));
const TARGET = { env: 'development', team: 'web', project: 'shop', user: 'ann' };

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

function loadCase(dir: string) {
  const desired: Output[] = walk(join(dir, 'desired')).map((p) => {
    const abs = join(dir, 'desired', p);
    const mode = statSync(abs).mode & 0o111 ? 0o755 : p === '.claude.json' ? 0o600 : 0o644;
    return { path: p as HomePath, kind: kindOf(p), content: readFileSync(abs, 'utf8'), encoding: 'utf8', mode, secret: false };
  });
  // Modes of checked-out files depend on the umask: the cases leave them out.
  const actual = new Map<string, ActualFile>(walk(join(dir, 'actual')).map((p) => [p, { path: p as HomePath, content: readFileSync(join(dir, 'actual', p), 'utf8') }]));
  const read = <T>(name: string, fallback: T): T => (existsSync(join(dir, name)) ? (JSON.parse(readFileSync(join(dir, name), 'utf8')) as T) : fallback);
  return { desired, actual, state: read<MachineState>('state.json', EMPTY_STATE), rules: read<SeverityRule[]>('rules.json', []) };
}

describe('drift fixture cases', () => {
  for (const name of readdirSync(CASES).sort()) {
    const dir = join(CASES, name);
    it(`${name}: gives the pinned drift report`, () => {
      const c = loadCase(dir);
      const report = compareDrift({ target: TARGET, ...c });
      assert.deepEqual(JSON.parse(JSON.stringify(report)), JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')));
    });
  }
});
