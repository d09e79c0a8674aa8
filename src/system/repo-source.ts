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

/** The config repo as it was at a git revision. */
export function gitSource(dir: string, rev: string): RepoSource {
  const commit = resolveCommit(dir, rev);
  const entries = new Map<string, { mode: number; oid: string }>();
  const listing = git(dir, ['ls-tree', '-r', '-z', '--full-tree', commit]).toString('utf8');
  for (const rec of listing.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    if (type !== 'blob') continue;
    entries.set(rec.slice(tab + 1), { mode: parseInt(mode!, 8) & 0o777, oid: oid! });
  }
  const paths = [...entries.keys()].sort();
  const blobs = new Map<string, Buffer>();
  const fetchBlobs = (want: readonly string[]): void => {
    const missing = want.filter((p) => entries.has(p) && !blobs.has(p));
    if (missing.length === 0) return;
    const got = catBlobs(dir, missing.map((p) => entries.get(p)!.oid));
    missing.forEach((p, i) => blobs.set(p, got[i]!));
  };
  return {
    description: `${dir}@${rev}`,
    list(sub) {
      const prefix = sub === '' ? '' : `${sub}/`;
      return paths.filter((p) => p.startsWith(prefix));
    },
    listDirs(sub) {
      const prefix = sub === '' ? '' : `${sub}/`;
      const names = new Set<string>();
      for (const p of paths) {
        if (!p.startsWith(prefix)) continue;
        const slash = p.indexOf('/', prefix.length);
        if (slash > 0) names.add(p.slice(prefix.length, slash));
      }
      return [...names].sort();
    },
    read(path) {
      if (!entries.has(path)) return undefined;
      fetchBlobs([path]);
      return blobs.get(path);
    },
    mode(path) {
      return entries.get(path)?.mode ?? 0o644;
    },
    prefetch(want) {
      fetchBlobs(want);
    },
  };
}
