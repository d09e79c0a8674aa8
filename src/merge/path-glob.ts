/**
 * Dotted path globs, the one matcher for `merge.arrays` and `drift.severity`
 * of claude-env.yml: a key is one
 * segment (a `/` inside a key is not a separator), `*` is one key, `**` any
 * depth. A glob without wildcards is a plain comparison; picomatch is loaded
 * and a glob compiled only when a path gets past the glob's literal prefix.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Picomatch = typeof import('picomatch');

const GLOB_CHARS = /[*?[\]{}()!+@]/;
const GLOB_OPTIONS = { dot: true } as const;

/** Dotted glob → slash glob, so `*` is one key and `**` any depth. */
const toSlashes = (dotted: string): string => dotted.split('.').join('/');
/** Keys may hold `/` (file paths); they must not look like separators. */
const escapeKey = (k: string): string => k.replaceAll('/', '\u2215');

/** Key path segments as the string globs are matched against. */
export const globSubject = (segments: readonly string[]): string => segments.map(escapeKey).join('/');

/** Where compiled globs (regular expression sources) may be kept between runs, so picomatch need not load. */
export interface GlobCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

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

/** A predicate over `globSubject` strings. */
export function pathGlob(glob: string, cache?: GlobCache): (subject: string) => boolean {
  const slashed = toSlashes(glob);
  const wild = slashed.search(GLOB_CHARS);
  if (wild < 0) return (subject) => subject === slashed;
  // The part before the first wildcard must match literally: most paths are ruled out without compiling anything.
  const literal = slashed.slice(0, slashed.lastIndexOf('/', wild) + 1);
  let re: RegExp | undefined;
  return (subject) => subject.startsWith(literal) && (re ??= compile(slashed, cache)).test(subject);
}
