/**
 * RepoSources with I/O: the working tree of a directory, and a git revision
 * (`--rev`), read with `git ls-tree` once and `git cat-file --batch` per batch.
 */
import { createRequire } from 'node:module';
import { constants, readFileSync, readdirSync, statSync, lstatSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import { refusedPath, refusedSymlink, unreadable, type RefusedEntry, type RepoSource } from '../repo/source.js';
import { repoEntryProblem } from '../paths.js';

/** node:child_process is loaded only when git is run (a worktree command never needs it). */
const require = createRequire(import.meta.url);
const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

/** Never listed nor read in a working tree: the repository's own git folder (a checked-out submodule's `.git` file too), and installed packages. */
const SKIP: ReadonlySet<string> = new Set(['.git', 'node_modules']);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Opens a file without following a final symlink (ELOOP) and without waiting on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The working tree of a config repo, read as data: a symbolic link (file or
 * folder) is never followed nor read, nor is a name with a control character;
 * each is a refused entry (a finding), left out of every listing and read.
 * Listings come from readdir's entry types, so the walk costs no extra stat;
 * a path read by name has its folders checked with lstat once each.
 */
export function worktreeSource(dir: string): RepoSource {
  try {
    // The repo folder itself is the user's choice (--repo): it may be a link.
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new ClaudeEnvError('not-config-repo', `cannot open config repo ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { exitCode: EXIT_USAGE, cause: err });
  }
  const refused = new Map<string, RefusedEntry>();
  let refusedList: readonly RefusedEntry[] | undefined = [];
  const refuse = (e: RefusedEntry): void => {
    if (refused.has(e.path)) return;
    refused.set(e.path, e);
    refusedList = undefined;
  };
  /** Folders known to be real folders of the repo (walked, or checked with lstat), '' the repo itself. */
  const realDirs = new Set<string>(['']);
  const isRealDir = (rel: string): boolean => {
    if (realDirs.has(rel)) return true;
    const slash = rel.lastIndexOf('/');
    if (slash >= 0 && !isRealDir(rel.slice(0, slash))) return false;
    const st = lstatSync(join(dir, rel), { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) refuse(refusedSymlink(rel));
    if (!st?.isDirectory()) return false;
    realDirs.add(rel);
    return true;
  };
  /** The entries of a real folder; symlinks and names with control characters refused, skipped names left out. */
  const entries = (rel: string): Dirent[] => {
    let list: Dirent[];
    try {
      list = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw unreadable(rel || '.', err);
    }
    return list.filter((e) => {
      if (SKIP.has(e.name)) return false;
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (CONTROL.test(e.name)) {
        refuse(refusedPath(p, 'has a control character in its name'));
        return false;
      }
      if (e.isSymbolicLink()) {
        refuse(refusedSymlink(p));
        return false;
      }
      if (e.isDirectory()) realDirs.add(p);
      return true;
    });
  };
  const walk = (rel: string, out: string[]): void => {
    for (const e of entries(rel)) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p, out);
      else if (e.isFile()) out.push(p);
    }
  };
  /** A path the repo may hold, in a real folder (a name with `..`, or in a linked folder, is never joined onto the repo folder). */
  const readable = (path: string): boolean => {
    if (repoEntryProblem(path) !== undefined) return false;
    const slash = path.lastIndexOf('/');
    return slash < 0 || isRealDir(path.slice(0, slash));
  };
  return {
    description: dir,
    list(sub) {
      const out: string[] = [];
      if (sub === '' || (repoEntryProblem(sub) === undefined && isRealDir(sub))) walk(sub, out);
      return out.sort();
    },
    listDirs(sub) {
      if (sub !== '' && (repoEntryProblem(sub) !== undefined || !isRealDir(sub))) return [];
      return entries(sub)
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    },
    isDir(sub) {
      return sub === '' || (repoEntryProblem(sub) === undefined && isRealDir(sub));
    },
    read(path) {
      if (!readable(path)) return undefined;
      try {
        return readFileSync(join(dir, path), { flag: READ_FLAGS });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') {
          refuse(refusedSymlink(path));
          return undefined;
        }
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw unreadable(path, err);
      }
    },
    mode(path) {
      if (!readable(path)) return 0o644;
      return (lstatSync(join(dir, path), { throwIfNoEntry: false })?.mode ?? 0o644) & 0o777;
    },
    refused() {
      return (refusedList ??= [...refused.values()].sort(byEntryPath));
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

/** A file of a tree: its mode bits and blob id (`link`: a symbolic link, mode 120000, which is refused, never read). */
export interface TreeEntry {
  readonly mode: number;
  readonly oid: string;
  readonly link?: boolean;
}

/** The mode a symbolic link is listed with while a tree is built (it never stays in the listing). */
const LINK = -1;

/** Why an entry of a tree is refused: a symbolic link, or a path that is not plain; undefined when it may be read. */
function refusal(path: string, mode: number): RefusedEntry | undefined {
  if (mode === LINK) return refusedSymlink(path);
  const problem = repoEntryProblem(path);
  return problem === undefined ? undefined : refusedPath(path, problem);
}

const byEntryPath = (a: RefusedEntry, b: RefusedEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

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
    /** Entries left out of the listing and never read: symbolic links, paths that are not plain, paths listed twice. */
    readonly refused: readonly RefusedEntry[] = [],
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
        modes.push(mode === '100644' ? 0o644 : mode === '100755' ? 0o755 : mode === '120000' ? LINK : parseInt(mode, 8) & 0o777);
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
    const { p, o, m, r } = (v ?? {}) as typeof v & { r?: unknown };
    if (!Array.isArray(p) || !Array.isArray(o) || !Array.isArray(m) || p.length !== o.length || p.length !== m.length || !Array.isArray(r)) return undefined;
    for (let i = 0; i < p.length; i++) if (typeof p[i] !== 'string' || typeof o[i] !== 'string' || typeof m[i] !== 'number') return undefined;
    const refused: RefusedEntry[] = [];
    for (const e of r as unknown[]) {
      const [path, rule, message] = Array.isArray(e) ? (e as unknown[]) : [];
      if (typeof path !== 'string' || (rule !== 'repo-symlink' && rule !== 'repo-path') || typeof message !== 'string') return undefined;
      refused.push({ path, rule, message });
    }
    return Tree.sorted(p as string[], o as string[], m as number[], refused);
  }

  toJSON(): string {
    return JSON.stringify({ p: this.paths, o: this.oids, m: this.modes, r: this.refused.map((e) => [e.path, e.rule, e.message]) });
  }

  /**
   * Sorted by path as JavaScript compares strings (ls-tree's order already,
   * for any path that is not in the high planes of Unicode: then this only
   * checks), with every entry that may not be read moved to `refused`: a
   * symbolic link, a path that is not plain (paths.ts `repoEntryProblem`),
   * and every copy of a path listed twice (a crafted entry whose name holds a
   * `/`). One regular expression per path: the listing of a big org is read
   * at the cost it had.
   */
  private static sorted(paths: string[], oids: string[], modes: number[], refused: RefusedEntry[] = []): Tree {
    let order: number[] | undefined;
    for (let i = 1; i < paths.length; i++) {
      if (paths[i - 1]! >= paths[i]!) {
        order = paths.map((_, j) => j).sort((a, b) => (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
        break;
      }
    }
    const at = (i: number): number => (order ? order[i]! : i);
    let keep: number[] | undefined;
    const out = [...refused];
    const seen = new Set(refused.map((e) => e.path));
    for (let i = 0; i < paths.length; i++) {
      const j = at(i);
      const p = paths[j]!;
      const twice = (i > 0 && paths[at(i - 1)] === p) || (i + 1 < paths.length && paths[at(i + 1)] === p);
      const why = twice ? refusedPath(p, 'is listed twice in the git tree (an entry name holding "/")') : refusal(p, modes[j]!);
      if (why === undefined) {
        keep?.push(j);
        continue;
      }
      keep ??= Array.from({ length: i }, (_, k) => at(k));
      if (!seen.has(p)) out.push(why);
      seen.add(p);
    }
    if (!order && !keep) return new Tree(paths, oids, modes, out);
    const idx = keep ?? order!;
    return new Tree(idx.map((j) => paths[j]!), idx.map((j) => oids[j]!), idx.map((j) => modes[j]!), out.sort(byEntryPath));
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

  /** This tree with some files set (an entry) or removed (undefined), in one pass; a link or a path that is not plain is refused, as in a listing. */
  withChanges(changes: ReadonlyMap<string, TreeEntry | undefined>): Tree {
    const keys = [...changes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const paths: string[] = [];
    const oids: string[] = [];
    const modes: number[] = [];
    const refused = this.refused.filter((e) => !changes.has(e.path));
    let k = 0;
    const put = (path: string, e: TreeEntry | undefined): void => {
      if (!e) return;
      const why = refusal(path, e.link ? LINK : e.mode);
      if (why) {
        refused.push(why);
        return;
      }
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
    return new Tree(paths, oids, modes, refused.sort(byEntryPath));
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
    refused() {
      return tree.refused;
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
