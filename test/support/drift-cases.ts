/**
 * The drift cases of test/fixtures/drift/<case>/ (gitops-engine's
 * config/live pairs): `desired/` (the rendered outputs, as files under the
 * home), `actual/` (the home as it is), optional `state.json` and
 * `rules.json`, and the pinned `expected.json` and `expected.diff`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Output, OutputKind } from '../../src/render/outputs.js';
import type { HomePath, Target } from '../../src/vocabulary.js';

/** Tests run from dist/test/support/. */
export const DRIFT_CASES = fileURLToPath(new URL('../../../test/fixtures/drift/', import.meta.url));
export const DRIFT_TARGET: Target = { env: 'development', team: 'web', project: 'shop', user: 'ann' };

/** The case folders, by name. */
export const driftCaseNames = (): string[] => readdirSync(DRIFT_CASES).sort();

/** Every file below `dir`, as paths relative to it. */
export function walk(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

/** The kind of output a file under the home is. */
export function kindOf(path: string): OutputKind {
  if (path === '.claude/settings.json') return 'settings-json';
  if (path === '.claude.json') return 'claude-json';
  if (path === '.claude/CLAUDE.md') return 'claude-md';
  if (path.startsWith('.claude/agents/')) return 'agent';
  if (path.startsWith('.claude/commands/')) return 'command';
  return 'file';
}

/** An output as render gives it: `.claude.json` private, an executable 0755, the rest 0644. */
export const outputOf = (path: string, content: string, executable = false): Output => ({
  path: path as HomePath,
  kind: kindOf(path),
  content,
  encoding: 'utf8',
  mode: executable ? 0o755 : path === '.claude.json' ? 0o600 : 0o644,
  secret: false,
});

/** The outputs a case wants (its `desired/`). */
export const desiredOutputs = (dir: string): Output[] => walk(join(dir, 'desired')).map((p) => outputOf(p, readFileSync(join(dir, 'desired', p), 'utf8'), (statSync(join(dir, 'desired', p)).mode & 0o111) !== 0));

/** The files of a case's `actual/` (modes of checked-out files depend on the umask: the cases leave them out). */
export const actualFiles = (dir: string): Record<string, string> => Object.fromEntries(walk(join(dir, 'actual')).map((p) => [p, readFileSync(join(dir, 'actual', p), 'utf8')]));
