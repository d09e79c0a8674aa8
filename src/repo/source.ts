/**
 * Where the documents of a config repo come from: the working tree, a git
 * revision (src/system/repo-source.ts snapshots, src/blocking/sources.ts
 * lazy readers) or memory (tests, impact). The core
 * reads only through this port.
 */
import { ClaudeEnvError } from '../errors.js';

export interface RepoSource {
  /** Shown in messages: a directory, `dir@rev`, or `memory`. */
  readonly description: string;
  /** Every file under `dir` (recursively, repo-relative POSIX paths, sorted); `''` lists the whole repo. */
  list(dir: string): string[];
  /** Names of the folders directly under `dir`, sorted. */
  listDirs(dir: string): string[];
  /** Whether `dir` is a folder (cheaper than listing its parent, where the source can tell). */
  isDir?(dir: string): boolean;
  /** `isDir` answers from an index in memory (a git tree): asking folder by folder never costs more than a listing. */
  readonly indexed?: boolean;
  /** The bytes of a file, or undefined when it does not exist. Throws ClaudeEnvError when it cannot be read. */
  read(path: string): Uint8Array | undefined;
  /** Unix mode bits of a file (0o755 for executables). */
  mode(path: string): number;
  /** A hint that these files will be read soon (a git source reads them in one batch). */
  prefetch?(paths: readonly string[]): void;
  /**
   * An id of a file's content that changes whenever its bytes do (a git
   * source's blob id), where the source knows it without reading the file:
   * the document cache is then looked up by it, and a document found there
   * is never read.
   */
  contentId?(path: string): string | undefined;
  /**
   * The entries this source will not read nor list, found so far: symbolic
   * links (a working tree's, or a git tree's mode 120000 entries) and git tree
   * entries whose names are not plain paths (see paths.ts `repoEntryProblem`).
   * A git tree knows them all at once; a working tree learns them as it is
   * listed and read. Nothing behind such an entry is ever read.
   */
  refused?(): readonly RefusedEntry[];
}

/** An entry of the config repo that is never read nor followed, and why (a finding of the `repo-entries` rule). */
export interface RefusedEntry {
  /** As the repo names it (it may hold control characters: print it with paths.ts `shownPath`). */
  readonly path: string;
  readonly rule: 'repo-symlink' | 'repo-path';
  readonly message: string;
}

export const SYMLINK_MESSAGE = 'is a symbolic link: claude-env never follows a link in the config repo nor reads what it points to (commit the file itself)';

export function refusedSymlink(path: string): RefusedEntry {
  return { path, rule: 'repo-symlink', message: SYMLINK_MESSAGE };
}

export function refusedPath(path: string, problem: string): RefusedEntry {
  return { path, rule: 'repo-path', message: `${problem}: claude-env never reads it nor anything under it` };
}

/** An in-memory repo: path → content (string or bytes), with optional modes. */
export function memorySource(files: Record<string, string | Uint8Array>, modes: Record<string, number> = {}): RepoSource {
  const enc = new TextEncoder();
  const paths = Object.keys(files).sort();
  return {
    description: 'memory',
    list(dir) {
      const prefix = dir === '' ? '' : dir.endsWith('/') ? dir : `${dir}/`;
      return paths.filter((p) => p.startsWith(prefix));
    },
    listDirs(dir) {
      const prefix = dir === '' ? '' : `${dir}/`;
      const names = new Set<string>();
      for (const p of paths) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash > 0) names.add(rest.slice(0, slash));
      }
      return [...names].sort();
    },
    read(path) {
      const v = files[path];
      if (v === undefined) return undefined;
      return typeof v === 'string' ? enc.encode(v) : v;
    },
    mode(path) {
      return modes[path] ?? 0o644;
    },
  };
}

/** One file of a snapshot: its bytes and mode, or the error reading it gave (thrown when it is read, as a lazy source would). */
export type SnapshotFile = { readonly bytes: Uint8Array; readonly mode: number } | { readonly error: ClaudeEnvError };

/** The first index of a sorted list whose item is not below `key`. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A config repo read whole, once, and served from memory: every listing and
 * read is an answer from these maps, so a long-lived process that awaited
 * the snapshot (system/repo-source.ts `openWorktree`) never blocks on one. `dirs`: every folder, '' the repo itself (a working tree may
 * have empty ones); `refused`: the entries found that are never read.
 */
export function snapshotSource(description: string, files: ReadonlyMap<string, SnapshotFile>, dirs: ReadonlySet<string>, refused: readonly RefusedEntry[]): RepoSource {
  const paths = [...files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sortedRefused = Object.freeze([...refused].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  const under = (dir: string): string[] => {
    if (dir === '') return [...paths];
    const prefix = `${dir}/`;
    const out: string[] = [];
    for (let i = lowerBound(paths, prefix); i < paths.length && paths[i]!.startsWith(prefix); i++) out.push(paths[i]!);
    return out;
  };
  const file = (path: string): SnapshotFile | undefined => files.get(path);
  const children = new Map<string, string[]>();
  for (const d of dirs) {
    if (d === '') continue;
    const slash = d.lastIndexOf('/');
    const parent = slash < 0 ? '' : d.slice(0, slash);
    const list = children.get(parent);
    if (list) list.push(d.slice(slash + 1));
    else children.set(parent, [d.slice(slash + 1)]);
  }
  for (const list of children.values()) list.sort();
  return {
    description,
    indexed: true,
    list: under,
    listDirs(dir) {
      return [...(children.get(dir) ?? [])];
    },
    isDir(dir) {
      return dirs.has(dir);
    },
    read(path) {
      const f = file(path);
      if (f === undefined) return undefined;
      if ('error' in f) throw f.error;
      return f.bytes;
    },
    mode(path) {
      const f = file(path);
      return f !== undefined && 'mode' in f ? f.mode : 0o644;
    },
    refused() {
      return sortedRefused;
    },
  };
}

export function unreadable(path: string, cause: unknown): ClaudeEnvError {
  const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new ClaudeEnvError('unreadable', `cannot read ${path}: ${reason}`, { file: path, cause });
}
