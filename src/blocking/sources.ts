/**
 * The CLI's blocking readers of a config repo: a one-target command reads
 * only its layers' files, as it asks for them, each read waiting for the disk
 * or for git, which keeps it near Node's start-up. Nothing a long-lived
 * process runs (the controller, the agent) may use them: it reads a whole
 * snapshot without blocking (src/system/repo-source.ts `openWorktree`,
 * `openRevision`, `gitAsync`), and parts.json keeps this folder out of their
 * reach. Entries are checked as the snapshots check them (`worktreeEntry`,
 * `Tree`), so both refuse the same entries.
 */
import { readFileSync, readdirSync, statSync, lstatSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { refusedSymlink, unreadable, type RefusedEntry, type RepoSource } from '../repo/source.js';
import { repoEntryProblem } from '../paths.js';
import {
  GIT_DIR_ARGS,
  GIT_MAX_OUTPUT,
  READ_FLAGS,
  Tree,
  batchContents,
  byEntryPath,
  childProcess,
  commitArgs,
  gitFailure,
  lsTreeArgs,
  notARepoFolder,
  readFailure,
  treeSource,
  unresolved,
  worktreeEntry,
  type Blobs,
} from '../system/repo-source.js';

/**
 * The working tree of a config repo, read as data: a symbolic link (file or
 * folder) is never followed nor read, nor is a name with a control character;
 * each is a refused entry (a finding), left out of every listing and read.
 * Listings come from readdir's entry types, so the walk costs no extra stat;
 * a path read by name has its folders checked with lstat once each.
 */
export function worktreeSource(dir: string): RepoSource {
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw notARepoFolder(dir, err);
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
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      const entry = worktreeEntry(p, e.name, e);
      if (entry.take === 'skip') return false;
      if (entry.take === 'refuse') {
        refuse(entry.refused);
        return false;
      }
      if (entry.take === 'dir') realDirs.add(p);
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
        const link = readFailure(path, err);
        if (link) refuse(link);
        return undefined;
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

/**
 * Run git in `dir` and wait for it, blocking: for the CLI's lazy sources only
 * (a one-target command reads a few files; a long-lived process uses
 * `gitAsync`). A failure is a ClaudeEnvError naming the git command and its
 * first stderr line.
 */
export function git(dir: string, args: string[], input?: string): Buffer {
  try {
    return childProcess().execFileSync('git', ['-C', dir, ...args], { input, maxBuffer: GIT_MAX_OUTPUT, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw gitFailure(dir, args, err, (err as { stderr?: Buffer }).stderr);
  }
}

/** The contents of `objects` (blob ids), in order, from one `git cat-file --batch`; blocking (see `git`). */
export function catBlobs(dir: string, objects: readonly string[]): Buffer[];
export function catBlobs(dir: string, objects: readonly string[], opts: { allowMissing: true }): Array<Buffer | undefined>;
export function catBlobs(dir: string, objects: readonly string[], opts: { allowMissing?: boolean } = {}): Array<Buffer | undefined> {
  if (objects.length === 0) return [];
  return batchContents(dir, objects, git(dir, ['cat-file', '--batch'], objects.join('\n') + '\n'), opts.allowMissing === true);
}

/** Blobs read from git by object id when asked for, many per `git cat-file --batch` (blocking: the CLI's lazy sources); one store may serve several revisions of a repo. */
export class BlobStore implements Blobs {
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

/** The commit a revision names; a usage error (exit 2) saying what is wrong when it names none. Blocking (see `git`). */
export function resolveCommit(dir: string, rev: string): string {
  try {
    return git(dir, commitArgs(rev)).toString().trim();
  } catch (err) {
    let inRepo = true;
    try {
      git(dir, GIT_DIR_ARGS);
    } catch {
      inRepo = false;
    }
    throw unresolved(dir, rev, inRepo, err);
  }
}

/**
 * The config repo as it was at a git revision, read lazily and blocking (the
 * CLI's `--rev`: a one-target command reads only its layers). `resolved`:
 * `rev` is a commit id already checked (saves a git run).
 */
export function gitSource(dir: string, rev: string, opts: { resolved?: boolean } = {}): RepoSource {
  const commit = opts.resolved ? rev : resolveCommit(dir, rev);
  return treeSource(`${dir}@${rev}`, Tree.fromLsTree(git(dir, lsTreeArgs(commit))), new BlobStore(dir));
}
