/**
 * Array merge strategies by dotted path glob (claude-env.yml `merge.arrays`).
 * First matching glob wins; `instructions` appends unless configured; every
 * other list is replaced.
 */
import { globSubject, pathGlob, type GlobCache } from './path-glob.js';

export type { GlobCache } from './path-glob.js';

export type ArrayStrategy = { kind: 'replace' } | { kind: 'append' } | { kind: 'unique' } | { kind: 'merge-by-key'; key: string };

export const REPLACE: ArrayStrategy = Object.freeze({ kind: 'replace' });
const APPEND: ArrayStrategy = Object.freeze({ kind: 'append' });
const UNIQUE: ArrayStrategy = Object.freeze({ kind: 'unique' });

/** Built-in rules, consulted after the repo's own (SPEC.md: instructions default to append). */
const DEFAULT_RULES: ReadonlyArray<readonly [string, ArrayStrategy]> = [['instructions', APPEND]];

export type StrategyLookup = (path: readonly string[]) => ArrayStrategy;

/** Parse one `merge.arrays` value; undefined when it is not a strategy. */
export function parseStrategy(v: unknown): ArrayStrategy | undefined {
  if (v === 'replace') return REPLACE;
  if (v === 'append') return APPEND;
  if (v === 'unique') return UNIQUE;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const key = (v as Record<string, unknown>)['merge-by-key'];
    if (typeof key === 'string' && key.length > 0 && Object.keys(v).length === 1) return Object.freeze({ kind: 'merge-by-key', key });
  }
  return undefined;
}

export function strategyLookup(rules: ReadonlyArray<readonly [string, ArrayStrategy]>, globs?: GlobCache): StrategyLookup {
  const all = [...rules, ...DEFAULT_RULES].map(([glob, s]) => [pathGlob(glob, globs), s] as const);
  const cache = new Map<string, ArrayStrategy>();
  return (path) => {
    const p = globSubject(path);
    let s = cache.get(p);
    if (s === undefined) {
      s = all.find(([m]) => m(p))?.[1] ?? REPLACE;
      cache.set(p, s);
    }
    return s;
  };
}
