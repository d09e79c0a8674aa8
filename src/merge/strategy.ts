/**
 * Array merge strategies by dotted path glob (claude-env.yml `merge.arrays`).
 * First matching glob wins; `instructions` appends unless configured; every
 * other list is replaced.
 */
import { createRequire } from 'node:module';

/** picomatch is loaded when a glob with wildcards first needs compiling. */
const require = createRequire(import.meta.url);
type Picomatch = typeof import('picomatch');

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

/** Dotted glob → slash glob, so `*` is one key and `**` any depth. */
const toSlashes = (dotted: string): string => dotted.split('.').join('/');
/** Keys may hold `/` (file paths); they must not look like separators. */
const escapeKey = (k: string): string => k.replaceAll('/', '\u2215');

/** A glob without glob characters is matched by plain comparison; the others are compiled (once) by picomatch. */
const GLOB_CHARS = /[*?[\]{}()!+@]/;
/** Where compiled globs (regular expression sources) may be kept between runs, so picomatch need not load. */
export interface GlobCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}
const GLOB_OPTIONS = { dot: true } as const;

function compile(slashed: string, cache: GlobCache | undefined): RegExp {
  const key = `picomatch4\0${JSON.stringify(GLOB_OPTIONS)}\0${slashed}`;
  const hit = cache?.get(key);
  if (hit !== undefined) {
    try {
      const entry = JSON.parse(hit) as { key?: string; source: string; flags: string };
      if (entry.key === key) return new RegExp(entry.source, entry.flags);
    } catch {
      /* a damaged entry is a miss */
    }
  }
  const re = (require('picomatch') as Picomatch).makeRe(slashed, GLOB_OPTIONS);
  cache?.set(key, JSON.stringify({ key, source: re.source, flags: re.flags }));
  return re;
}

function matcher(glob: string, cache: GlobCache | undefined): (path: string) => boolean {
  const slashed = toSlashes(glob);
  const wild = slashed.search(GLOB_CHARS);
  if (wild < 0) return (path) => path === slashed;
  // The part before the first wildcard must match literally: most paths are ruled out without compiling anything.
  const literal = slashed.slice(0, slashed.lastIndexOf('/', wild) + 1);
  let re: RegExp | undefined;
  return (path) => path.startsWith(literal) && (re ??= compile(slashed, cache)).test(path);
}

export function strategyLookup(rules: ReadonlyArray<readonly [string, ArrayStrategy]>, globs?: GlobCache): StrategyLookup {
  const all = [...rules, ...DEFAULT_RULES].map(([glob, s]) => [matcher(glob, globs), s] as const);
  const cache = new Map<string, ArrayStrategy>();
  return (path) => {
    const p = path.map(escapeKey).join('/');
    let s = cache.get(p);
    if (s === undefined) {
      s = all.find(([m]) => m(p))?.[1] ?? REPLACE;
      cache.set(p, s);
    }
    return s;
  };
}
