/**
 * RepoSources with I/O: the working tree of a directory, and a git revision
 * (`--rev`), read with `git ls-tree` once and `git cat-file --batch` per batch.
 */
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import { unreadable, type RepoSource } from '../repo/source.js';

/** node:child_process is loaded only when git is run (a worktree command never needs it). */
const require = createRequire(import.meta.url);
const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

const SKIP_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

export function worktreeSource(dir: string): RepoSource {
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new ClaudeEnvError('not-config-repo', `cannot open config repo ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { exitCode: EXIT_USAGE, cause: err });
  }
  const walk = (rel: string, out: string[]): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw unreadable(rel || '.', err);
    }
    for (const e of entries) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, out);
      } else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  };
  return {
    description: dir,
    list(sub) {
      const out: string[] = [];
      walk(sub, out);
      return out.sort();
    },
    listDirs(sub) {
      try {
        return readdirSync(join(dir, sub), { withFileTypes: true })
          .filter((e) => e.isDirectory() && !SKIP_DIRS.has(e.name))
          .map((e) => e.name)
          .sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
        throw unreadable(sub, err);
      }
    },
    isDir(sub) {
      return statSync(join(dir, sub), { throwIfNoEntry: false })?.isDirectory() ?? false;
    },
    read(path) {
      try {
        return readFileSync(join(dir, path));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          // A dangling symlink exists but cannot be read: that is an error, not absence.
          try {
            if (lstatSync(join(dir, path)).isSymbolicLink()) throw unreadable(path, err);
          } catch (inner) {
            if (inner instanceof ClaudeEnvError) throw inner;
          }
          return undefined;
        }
        if (code === 'ENOTDIR') return undefined;
        throw unreadable(path, err);
      }
    },
    mode(path) {
      try {
        return statSync(join(dir, path)).mode & 0o777;
      } catch {
        return 0o644;
      }
    },
  };
}

/** Run git in `dir` and return its stdout; a failure is a ClaudeEnvError naming the git command and its first stderr line. */
export function git(dir: string, args: string[], input?: string): Buffer {
  try {
    return childProcess().execFileSync('git', ['-C', dir, ...args], { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0];
    throw new ClaudeEnvError('git', `git ${args[0]} failed in ${dir}: ${stderr || (err as Error).message}`, { exitCode: EXIT_USAGE, cause: err });
  }
}

/**
 * The contents of git objects (blob ids, or `rev:path`), read in one `git cat-file --batch`.
 * A missing object is an error, or undefined with `allowMissing` (a path that a revision does not have).
 */
export function catBlobs(dir: string, objects: readonly string[]): Buffer[];
export function catBlobs(dir: string, objects: readonly string[], opts: { allowMissing: true }): Array<Buffer | undefined>;
export function catBlobs(dir: string, objects: readonly string[], opts: { allowMissing?: boolean } = {}): Array<Buffer | undefined> {
  if (objects.length === 0) return [];
  const out = git(dir, ['cat-file', '--batch'], objects.join('\n') + '\n');
  const blobs: Array<Buffer | undefined> = [];
  let at = 0;
  for (const o of objects) {
    const nl = out.indexOf(10, at);
    const head = out.subarray(at, nl).toString();
    if (head.endsWith(' missing')) {
      if (!opts.allowMissing) throw new ClaudeEnvError('git', `git object ${o} is missing in ${dir}`, { exitCode: EXIT_USAGE });
      blobs.push(undefined);
      at = nl + 1;
      continue;
    }
    const size = Number(head.split(' ')[2]);
    blobs.push(out.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return blobs;
}

/** `git` run without waiting for it (so that several can run at once); errors as `git`'s. */
export function gitAsync(dir: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    childProcess().execFile('git', ['-C', dir, ...args], { maxBuffer: 1 << 30, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const first = String(stderr ?? '').trim().split('\n')[0];
      reject(new ClaudeEnvError('git', `git ${args[0]} failed in ${dir}: ${first || err.message}`, { exitCode: EXIT_USAGE, cause: err }));
    });
  });
}

/** Blobs read from git by object id, many per `git cat-file --batch`; one store may serve several revisions of a repo. */
export class BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  constructor(private readonly dir: string) {}

  get(oid: string): Buffer | undefined {
    return this.blobs.get(oid);
  }

  fetch(oids: Iterable<string>): void {
    const missing = [...new Set(oids)].filter((o) => !this.blobs.has(o));
    if (missing.length === 0) return;
    const got = catBlobs(this.dir, missing);
    missing.forEach((oid, i) => this.blobs.set(oid, got[i]!));
  }
}

/** `git ls-tree` of every file of a tree-ish, as `Tree.fromLsTree` reads it. */
export const lsTreeArgs = (treeish: string): string[] => ['ls-tree', '-r', '-z', '--full-tree', treeish];

/** Every blob of a commit (`git ls-tree -r`); folders and submodules are left out. */
function lsTree(dir: string, commit: string): Tree {
  return Tree.fromLsTree(git(dir, lsTreeArgs(commit)));
}

/** A file of a tree: its mode bits and blob id. */
export interface TreeEntry {
  readonly mode: number;
  readonly oid: string;
}

/**
 * The blobs of a revision, sorted by path, each with its mode and object id.
 * Three parallel arrays looked up by binary search: an org's tree has
 * thousands of files, and a map of them costs more to build than the few
 * dozen lookups a command makes.
 */
export class Tree {
  private constructor(
    readonly paths: readonly string[],
    private readonly oids: readonly string[],
    private readonly modes: readonly number[],
  ) {}

  /** The output of `git ls-tree -r -z`. */
  static fromLsTree(out: Buffer | string): Tree {
    // Records are `<mode> <type> <oid>\t<path>\0`; read in place (no split arrays).
    const s = typeof out === 'string' ? out : out.toString('utf8');
    const paths: string[] = [];
    const oids: string[] = [];
    const modes: number[] = [];
    for (let at = 0; at < s.length; ) {
      const nul = s.indexOf('\0', at);
      const end = nul < 0 ? s.length : nul;
      const sp1 = s.indexOf(' ', at);
      const sp2 = s.indexOf(' ', sp1 + 1);
      const tab = s.indexOf('\t', sp2 + 1);
      if (sp1 > 0 && sp2 > sp1 && tab > sp2 && tab < end && sp2 - sp1 === 5 && s.startsWith('blob', sp1 + 1)) {
        paths.push(s.slice(tab + 1, end));
        oids.push(s.slice(sp2 + 1, tab));
        const mode = s.slice(at, sp1);
        modes.push(mode === '100644' ? 0o644 : mode === '100755' ? 0o755 : parseInt(mode, 8) & 0o777);
      }
      at = end + 1;
    }
    return Tree.sorted(paths, oids, modes);
  }

  /** A tree as `toJSON` wrote it, or undefined when the data is not one. */
  static fromJSON(data: string): Tree | undefined {
    let v: { p?: unknown; o?: unknown; m?: unknown };
    try {
      v = JSON.parse(data) as typeof v;
    } catch {
      return undefined;
    }
    const { p, o, m } = v ?? {};
    if (!Array.isArray(p) || !Array.isArray(o) || !Array.isArray(m) || p.length !== o.length || p.length !== m.length) return undefined;
    for (let i = 0; i < p.length; i++) if (typeof p[i] !== 'string' || typeof o[i] !== 'string' || typeof m[i] !== 'number') return undefined;
    return Tree.sorted(p as string[], o as string[], m as number[]);
  }

  toJSON(): string {
    return JSON.stringify({ p: this.paths, o: this.oids, m: this.modes });
  }

  /** Sorted by path as JavaScript compares strings (ls-tree's order already, for any path that is not in the high planes of Unicode: then this only checks). */
  private static sorted(paths: string[], oids: string[], modes: number[]): Tree {
    for (let i = 1; i < paths.length; i++) {
      if (paths[i - 1]! >= paths[i]!) {
        const order = paths.map((_, j) => j).sort((a, b) => (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
        return new Tree(order.map((j) => paths[j]!), order.map((j) => oids[j]!), order.map((j) => modes[j]!));
      }
    }
    return new Tree(paths, oids, modes);
  }

  get size(): number {
    return this.paths.length;
  }

  private indexOf(path: string): number {
    const i = lowerBound(this.paths, path);
    return this.paths[i] === path ? i : -1;
  }

  has(path: string): boolean {
    return this.indexOf(path) >= 0;
  }

  get(path: string): TreeEntry | undefined {
    const i = this.indexOf(path);
    return i < 0 ? undefined : { mode: this.modes[i]!, oid: this.oids[i]! };
  }

  oid(path: string): string | undefined {
    const i = this.indexOf(path);
    return i < 0 ? undefined : this.oids[i];
  }

  /** The paths under `dir/` (all for ''): a contiguous run of the sorted list. */
  under(dir: string): string[] {
    if (dir === '') return [...this.paths];
    const prefix = `${dir}/`;
    const out: string[] = [];
    for (let i = lowerBound(this.paths, prefix); i < this.paths.length && this.paths[i]!.startsWith(prefix); i++) out.push(this.paths[i]!);
    return out;
  }

  /** This tree with some files set (an entry) or removed (undefined), in one pass. */
  withChanges(changes: ReadonlyMap<string, TreeEntry | undefined>): Tree {
    const keys = [...changes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const paths: string[] = [];
    const oids: string[] = [];
    const modes: number[] = [];
    let k = 0;
    const put = (path: string, e: TreeEntry | undefined): void => {
      if (!e) return;
      paths.push(path);
      oids.push(e.oid);
      modes.push(e.mode);
    };
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i]!;
      while (k < keys.length && keys[k]! < p) put(keys[k]!, changes.get(keys[k++]!));
      if (k < keys.length && keys[k] === p) put(p, changes.get(keys[k++]!));
      else {
        paths.push(p);
        oids.push(this.oids[i]!);
        modes.push(this.modes[i]!);
      }
    }
    while (k < keys.length) put(keys[k]!, changes.get(keys[k++]!));
    return new Tree(paths, oids, modes);
  }
}

/**
 * A RepoSource over the blobs of one revision. `fetchAlso` names more object
 * ids to read in the same batch as a prefetch (the same paths at another
 * revision of the pair).
 */
export function treeSource(description: string, tree: Tree, store: BlobStore, fetchAlso?: (paths: readonly string[]) => string[]): RepoSource {
  const oidsOf = (want: readonly string[]): string[] => want.flatMap((p) => tree.oid(p) ?? []);
  return {
    description,
    indexed: true,
    list(sub) {
      return tree.under(sub);
    },
    listDirs(sub) {
      const skip = sub === '' ? 0 : sub.length + 1;
      const names = new Set<string>();
      for (const p of tree.under(sub)) {
        const slash = p.indexOf('/', skip);
        if (slash > 0) names.add(p.slice(skip, slash));
      }
      return [...names].sort();
    },
    isDir(sub) {
      if (sub === '') return true;
      const i = lowerBound(tree.paths, `${sub}/`);
      return i < tree.paths.length && tree.paths[i]!.startsWith(`${sub}/`);
    },
    read(path) {
      const oid = tree.oid(path);
      if (oid === undefined) return undefined;
      store.fetch([oid]);
      return store.get(oid);
    },
    mode(path) {
      return tree.get(path)?.mode ?? 0o644;
    },
    prefetch(want) {
      store.fetch(fetchAlso ? [...oidsOf(want), ...fetchAlso(want)] : oidsOf(want));
    },
    contentId(path) {
      return tree.oid(path);
    },
  };
}

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

/** The commit a revision names; a usage error (exit 2) saying what is wrong when it names none. */
export function resolveCommit(dir: string, rev: string): string {
  try {
    return git(dir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).toString().trim();
  } catch (err) {
    const inRepo = (() => {
      try {
        git(dir, ['rev-parse', '--git-dir']);
        return true;
      } catch {
        return false;
      }
    })();
    if (!inRepo) throw new ClaudeEnvError('git', `--rev needs a git repository, and ${dir} is not one`, { exitCode: EXIT_USAGE, cause: err });
    throw new ClaudeEnvError('git', `unknown revision "${rev}" in ${dir}`, { exitCode: EXIT_USAGE, cause: err, hint: 'name a commit, branch or tag (git log shows them)' });
  }
}

/** The config repo as it was at a git revision. `resolved`: `rev` is a commit id already checked (saves a git run). */
export function gitSource(dir: string, rev: string, opts: { resolved?: boolean } = {}): RepoSource {
  const commit = opts.resolved ? rev : resolveCommit(dir, rev);
  return treeSource(`${dir}@${rev}`, lsTree(dir, commit), new BlobStore(dir));
}
