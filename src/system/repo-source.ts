/**
 * RepoSources with I/O: the working tree of a directory, and a git revision
 * (`--rev`), read with `git ls-tree` once and `git cat-file --batch` per batch.
 *
 * Here, a whole snapshot awaited (`openWorktree`, `openRevision`: read once,
 * asynchronously, and served from memory after, so no read ever blocks the
 * process), and the checks every reader makes of every entry
 * (`worktreeEntry`, `Tree`). The CLI's lazy, blocking readers of the same
 * (`worktreeSource`, `gitSource`) are in src/blocking/sources.ts, out of the
 * controller's and the agent's reach.
 */
import { createRequire } from 'node:module';
import { constants, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { lowerBound, refusedPath, refusedSymlink, snapshotSource, unreadable, type RefusedEntry, type RepoSource, type SnapshotFile } from '../repo/source.js';
import { repoEntryProblem } from '../paths.js';

/** node:child_process is loaded only when git is run (a worktree command never needs it). */
const require = createRequire(import.meta.url);
export const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

/** Never listed nor read in a working tree: the repository's own git folder (a checked-out submodule's `.git` file too), and installed packages. */
const SKIP: ReadonlySet<string> = new Set(['.git', 'node_modules']);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Opens a file without following a final symlink (ELOOP) and without waiting on a FIFO. */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What a walk of a working tree does with one entry of a folder: leave it out, refuse it, or take it as a folder or a file. */
export type WorktreeEntry = { readonly take: 'skip' } | { readonly take: 'refuse'; readonly refused: RefusedEntry } | { readonly take: 'dir' | 'file' | 'other' };

/**
 * The one check of a working tree's entries, made by the lazy source and the
 * snapshot alike: the repository's own `.git` and `node_modules` are left out,
 * a name with a control character and a symbolic link (file or folder) are
 * refused, and only folders and regular files are read.
 */
export function worktreeEntry(path: string, name: string, type: Pick<Dirent, 'isSymbolicLink' | 'isDirectory' | 'isFile'>): WorktreeEntry {
  if (SKIP.has(name)) return TAKE.skip;
  if (CONTROL.test(name)) return { take: 'refuse', refused: refusedPath(path, 'has a control character in its name') };
  if (type.isSymbolicLink()) return { take: 'refuse', refused: refusedSymlink(path) };
  return type.isDirectory() ? TAKE.dir : type.isFile() ? TAKE.file : TAKE.other;
}
/** The answers without a refusal, made once (a walk asks for every entry of the repo). */
const TAKE = Object.freeze({
  skip: Object.freeze({ take: 'skip' }),
  dir: Object.freeze({ take: 'dir' }),
  file: Object.freeze({ take: 'file' }),
  other: Object.freeze({ take: 'other' }),
} as const);

/** A file of the working tree that could not be read: a link put there since it was listed (refused), gone (undefined), or an error. */
export function readFailure(path: string, err: unknown): RefusedEntry | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return refusedSymlink(path);
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw unreadable(path, err);
}

/** The repo folder itself is the user's choice (--repo): it may be a link, and must be a folder. */
export function notARepoFolder(dir: string, err: unknown): ClaudeEnvError {
  return new ClaudeEnvError('not-config-repo', `cannot open config repo ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
}

/** A failed git run: the git command, where, and the first line of what git said (all of it with `whole`). */
export function gitFailure(dir: string, args: readonly string[], err: unknown, stderr: string | Buffer | undefined, whole = false): ClaudeEnvError {
  const said = String(stderr ?? '').trim();
  return new ClaudeEnvError('git', `git ${args[0]} failed in ${dir}: ${(whole ? said : said.split('\n')[0]) || (err as Error).message}`, { cause: err });
}

export interface GitRunOptions {
  /** Written to git's stdin. */
  readonly input?: string | Uint8Array;
  readonly env?: NodeJS.ProcessEnv;
  /** Report all that git said on failure, not its first line. */
  readonly wholeError?: boolean;
}

/** Output a git run may give before it is stopped (a listing of the biggest repos is far below). */
export const GIT_MAX_OUTPUT = 1 << 30;

/** Run git in `dir` without blocking (several may run at once); errors as `git`'s. */
export function gitAsync(dir: string, args: string[], opts: GitRunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn('git', ['-C', dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failed: Error | undefined;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > GIT_MAX_OUTPUT && !failed) {
        failed = new Error(`more than ${GIT_MAX_OUTPUT} bytes of output`);
        child.kill();
      } else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => void err.push(b));
    // git may stop reading its input (an error at the first object): what it said is the error, not the broken pipe.
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      failed ??= e;
    });
    child.on('close', (code, signal) => {
      if (!failed && code === 0) return resolve(Buffer.concat(out));
      const why = failed ?? new Error(signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(gitFailure(dir, args, why, Buffer.concat(err), opts.wholeError));
    });
    child.stdin.end(opts.input);
  });
}

/** `git cat-file --batch` output → the contents of `objects`, in order. */
export function batchContents(dir: string, objects: readonly string[], out: Buffer, allowMissing: boolean): Array<Buffer | undefined> {
  const blobs: Array<Buffer | undefined> = [];
  let at = 0;
  for (const o of objects) {
    const nl = out.indexOf(10, at);
    const head = out.subarray(at, nl).toString();
    if (head.endsWith(' missing')) {
      if (!allowMissing) throw new ClaudeEnvError('git', `git object ${o} is missing in ${dir}`);
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

/**
 * The contents of git objects (blob ids, or `rev:path`), read in one `git cat-file --batch`, blocking (see `git`).
 * A missing object is an error, or undefined with `allowMissing` (a path that a revision does not have).
 */
/** The contents of `objects` (blob ids), in order, from one `git cat-file --batch`, without blocking. */
export function catBlobsAsync(dir: string, objects: readonly string[]): Promise<Buffer[]>;
export function catBlobsAsync(dir: string, objects: readonly string[], opts: { allowMissing: true }): Promise<Array<Buffer | undefined>>;
export async function catBlobsAsync(dir: string, objects: readonly string[], opts: { allowMissing?: boolean } = {}): Promise<Array<Buffer | undefined>> {
  if (objects.length === 0) return [];
  return batchContents(dir, objects, await gitAsync(dir, ['cat-file', '--batch'], { input: objects.join('\n') + '\n' }), opts.allowMissing === true);
}

/** Where a tree source gets the blobs it reads: `fetch` makes sure some are there, `get` gives one that is. */
export interface Blobs {
  get(oid: string): Buffer | undefined;
  fetch(oids: Iterable<string>): void;
}

/**
 * Every blob of some trees, read at once without blocking (one `git cat-file
 * --batch`) and served from memory after: a source over them never runs git.
 */
export async function loadBlobs(dir: string, trees: readonly Tree[]): Promise<Blobs> {
  const oids = [...new Set(trees.flatMap((t) => t.allOids()))];
  const got = await catBlobsAsync(dir, oids);
  const blobs = new Map(oids.map((oid, i) => [oid, got[i]!]));
  return {
    get: (oid) => blobs.get(oid),
    fetch(want) {
      for (const oid of want) if (!blobs.has(oid)) throw new ClaudeEnvError('git', `git object ${oid} was not loaded from ${dir}`);
    },
  };
}

/** `git ls-tree` of every file of a tree-ish, as `Tree.fromLsTree` reads it. */
export const lsTreeArgs = (treeish: string): string[] => ['ls-tree', '-r', '-z', '--full-tree', treeish];

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

export const byEntryPath = (a: RefusedEntry, b: RefusedEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

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

  /** The object id of every file listed. */
  allOids(): readonly string[] {
    return this.oids;
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
export function treeSource(description: string, tree: Tree, store: Blobs, fetchAlso?: (paths: readonly string[]) => string[]): RepoSource {
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


/** Why a revision names no commit: no repository at all, or no such revision. */
export function unresolved(dir: string, rev: string, inRepo: boolean, err: unknown): ClaudeEnvError {
  if (!inRepo) return new ClaudeEnvError('git', `--rev needs a git repository, and ${dir} is not one`, { cause: err });
  return new ClaudeEnvError('git', `unknown revision "${rev}" in ${dir}`, { cause: err, hint: 'name a commit, branch or tag (git log shows them)' });
}

export const commitArgs = (rev: string): string[] => ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`];
export const GIT_DIR_ARGS = ['rev-parse', '--git-dir'];

/** The commit a revision names, without blocking; an error saying what is wrong when it names none. */
export async function resolveCommitAsync(dir: string, rev: string): Promise<string> {
  try {
    return (await gitAsync(dir, commitArgs(rev))).toString().trim();
  } catch (err) {
    const inRepo = await gitAsync(dir, GIT_DIR_ARGS).then(
      () => true,
      () => false,
    );
    throw unresolved(dir, rev, inRepo, err);
  }
}


/**
 * The config repo as it was at a git revision, read whole without blocking
 * (`git ls-tree`, then every blob in one `git cat-file --batch`) and served
 * from memory: what a long-lived process awaits. The same entries are
 * refused as by `gitSource` (the same `Tree`).
 */
export async function openRevision(dir: string, rev: string, opts: { resolved?: boolean } = {}): Promise<RepoSource> {
  const commit = opts.resolved ? rev : await resolveCommitAsync(dir, rev);
  const tree = Tree.fromLsTree(await gitAsync(dir, lsTreeArgs(commit)));
  return treeSource(`${dir}@${rev}`, tree, await loadBlobs(dir, [tree]));
}

/** Files read at once from a working tree while it is loaded (each holds a file descriptor). */
const LOAD_CONCURRENCY = 32;

/** `run` for each item, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The working tree of a config repo, read whole without blocking
 * (fs/promises) and served from memory: what a long-lived process awaits.
 * Entries are checked as `worktreeSource` checks them (`worktreeEntry`): links
 * and names with control characters are refused, never followed nor read;
 * each file is opened without following a link, its mode taken from what was
 * opened. A file that cannot be read throws when it is read, as it would
 * from the lazy source; a folder that cannot be listed throws here.
 */
export async function openWorktree(dir: string): Promise<RepoSource> {
  const fsp = require('node:fs/promises') as typeof import('node:fs/promises');
  try {
    if (!(await fsp.stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw notARepoFolder(dir, err);
  }
  const files = new Map<string, SnapshotFile>();
  const dirs = new Set<string>(['']);
  const refused: RefusedEntry[] = [];
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let list: Dirent[];
    try {
      list = await fsp.readdir(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw unreadable(rel || '.', err);
    }
    const sub: string[] = [];
    for (const e of list) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      const entry = worktreeEntry(p, e.name, e);
      if (entry.take === 'refuse') refused.push(entry.refused);
      else if (entry.take === 'dir') {
        dirs.add(p);
        sub.push(p);
      } else if (entry.take === 'file') found.push(p);
    }
    await Promise.all(sub.map(walk));
  };
  await walk('');
  await eachLimited(found, LOAD_CONCURRENCY, async (p) => {
    const got = await readWorktreeFile(fsp, dir, p);
    if (got === undefined) return;
    if ('rule' in got) refused.push(got);
    else files.set(p, got);
  });
  return snapshotSource(dir, files, dirs, refused);
}

/** One file of a working tree, opened without following a link: its bytes and mode, a link found in its place (refused), undefined when it is gone, or the error reading it. */
async function readWorktreeFile(fsp: typeof import('node:fs/promises'), dir: string, path: string): Promise<SnapshotFile | RefusedEntry | undefined> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fsp.open(join(dir, path), READ_FLAGS);
  } catch (err) {
    try {
      return readFailure(path, err);
    } catch (error) {
      return { error: error as ClaudeEnvError };
    }
  }
  try {
    const mode = (await handle.stat()).mode & 0o777;
    return { bytes: await handle.readFile(), mode };
  } catch (err) {
    return { error: unreadable(path, err) };
  } finally {
    await handle.close();
  }
}
