/**
 * The one port to the machine (chezmoi's `System`): every file apply,
 * remediate and rollback read or write on a machine, and every file of
 * claude-env's own state, goes through a `System`. Implementations:
 * - `realSystem()`: the disk, asynchronous (temp file + fsync + rename +
 *   fsync of the folder for every write);
 * - `memorySystem()` (memory.ts): a tree in memory, for tests;
 * and decorators over any of them:
 * - `dryRunSystem(inner)` (decorators.ts): reads through, records the
 *   writes (the record is what apply would do) and changes nothing;
 * - `readOnlySystem(inner)` (decorators.ts): fails on the first write (the
 *   post-apply check);
 * - `crashSystem(inner, faults)` (crash.ts): the crash test's faults.
 * `system.case.ts` is the conformance suite every implementation passes.
 *
 * A System never writes through a symbolic link, nor replaces one: writing,
 * renaming onto or removing a path that is a link is an `unsafe-path` error
 * (the folders on the way are the link guard's, links.ts).
 */
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import * as fs from './node-fs.js';

/**
 * `n` random bytes as hex, for names nobody else picks. node:crypto loads
 * only when a name is made (it pulls in Node's streams: ~5 ms at the start
 * of a command that only reads).
 */
export const randomHex = (n: number): string => (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomBytes(n).toString('hex');

/** A file's bytes and permission bits (`mode & 0o777`). */
export interface FileOnDisk {
  readonly bytes: Buffer;
  readonly mode: number;
}

/** What is at a path that is a symbolic link (what it points to is not read). */
export interface LinkOnDisk {
  readonly link: true;
}

/** A file as `System.read` finds it: its bytes, a link, or undefined (nothing there). */
export type Found = FileOnDisk | LinkOnDisk | undefined;

export const isLink = (f: Found): f is LinkOnDisk => f !== undefined && 'link' in f && f.link === true;

/** What `lstat` says of a path (never through a final link). */
export interface EntryInfo {
  readonly type: 'file' | 'dir' | 'link' | 'other';
  /** Permission bits. */
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** Identity of the entry: the same two numbers are the same entry. */
  readonly ino: number;
  readonly dev: number;
}

export interface WriteOptions {
  /** false skips the fsyncs, for files whose loss costs nothing (still never seen half-written). */
  readonly durable?: boolean;
}

export interface System {
  /** The file at `path`, not through a final symbolic link; undefined when nothing is there (or a file is on the way). A folder is an EISDIR error. */
  read(path: string): Promise<Found>;
  /** What is at `path` (a link is a link), or undefined. */
  lstat(path: string): Promise<EntryInfo | undefined>;
  /** Where `path` really is, every link resolved; undefined when it does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** The names in a folder, sorted; [] when there is no such folder. */
  list(dir: string): Promise<string[]>;
  /** mkdir -p; `mode` for the folders it makes. */
  mkdirp(dir: string, mode?: number): Promise<void>;
  /** Replace `path` with `bytes` in one step: temp file beside it, written, fsynced, chmod, renamed, folder fsynced. The folder must exist. */
  writeFile(path: string, bytes: Uint8Array, mode: number, opts?: WriteOptions): Promise<void>;
  /** Write a new file `temp` (it must not exist) and make it durable: the first half of apply's switch. */
  stage(temp: string, bytes: Uint8Array, mode: number): Promise<void>;
  /** Move `from` onto `to` in one step (the second half of apply's switch). */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file; nothing there is fine. */
  remove(path: string): Promise<void>;
  /** rm -rf. */
  removeTree(path: string): Promise<void>;
  /** Append text to a file, created with `mode` when absent. */
  append(path: string, text: string, mode: number): Promise<void>;
  /** fsync a folder: the renames in it are durable. */
  syncDir(dir: string): Promise<void>;
}

export const LINK_REFUSED = 'is a symbolic link: claude-env never writes through one, nor replaces it (it is yours)';

/** The port's refusal to write at a link. */
export function linkRefused(path: string): ClaudeEnvError {
  return new ClaudeEnvError('unsafe-path', `${path} ${LINK_REFUSED}; nothing was written there`, { file: path });
}

/** An error shaped as Node's file errors are (code, syscall, path), for the systems that are not the disk. */
export function fileError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'file already exists',
    EISDIR: 'illegal operation on a directory',
    ENOSPC: 'no space left on device',
    ENOTEMPTY: 'directory not empty',
    ELOOP: 'too many symbolic links encountered',
  };
  return Object.assign(new Error(`${code}: ${reasons[code] ?? 'error'}, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

/** Temp files are named so that recovery can find them: `.<name>.claude-env-<pid>-<random>.tmp`, beside the target. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.claude-env-${process.pid.toString(36)}-${randomHex(6)}.tmp`);
}

const infoOf = (st: import('node:fs').Stats): EntryInfo => ({
  type: st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other',
  mode: st.mode & 0o777,
  size: st.size,
  mtimeMs: st.mtimeMs,
  ino: st.ino,
  dev: st.dev,
});

async function refuseLink(path: string): Promise<void> {
  const st = await fs.unlessAbsent(() => fs.lstat(path), undefined);
  if (st?.isSymbolicLink()) throw linkRefused(path);
}

/** Write `data` to a new file and, when durable, fsync it; its mode is set after (open's mode is masked by the umask). */
async function writeNew(path: string, data: Uint8Array, mode: number, durable: boolean): Promise<void> {
  const fd = await fs.open(path, 'wx', mode);
  try {
    let off = 0;
    while (off < data.length) off += await fs.write(fd, data, off, Math.min(data.length - off, 1 << 20));
    if (durable) await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.chmod(path, mode);
}

async function syncDir(dir: string): Promise<void> {
  const fd = await fs.open(dir, 'r');
  try {
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

/** The whole file at `fd`: `size` bytes as fstat said, in one read unless it grew since (a short read is its end). */
async function readAll(fd: number, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let ask = size + 1; ; ask = 1 << 16) {
    const buf = Buffer.allocUnsafe(ask);
    const n = await fs.read(fd, buf, 0, ask, null);
    if (n > 0) chunks.push(buf.subarray(0, n));
    if (n < ask) break;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The disk. Holds nothing: one value serves every caller. */
export function realSystem(): System {
  return REAL;
}

const REAL: System = Object.freeze({
  async read(path: string): Promise<Found> {
    let fd: number;
    try {
      fd = await fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (err) {
      const code = fs.errno(err);
      if (code === 'ELOOP') return { link: true };
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    try {
      const st = await fs.fstat(fd);
      if (st.isDirectory()) throw fileError('EISDIR', 'read', path);
      return { bytes: await readAll(fd, st.size), mode: st.mode & 0o777 };
    } finally {
      await fs.close(fd);
    }
  },
  async lstat(path: string): Promise<EntryInfo | undefined> {
    const st = await fs.unlessAbsent(() => fs.lstat(path), undefined);
    return st && infoOf(st);
  },
  realpath: (path: string): Promise<string | undefined> => fs.realpath(path).catch(() => undefined),
  async list(dir: string): Promise<string[]> {
    return (await fs.unlessAbsent(() => fs.readdir(dir), [] as string[])).sort();
  },
  async mkdirp(dir: string, mode?: number): Promise<void> {
    await fs.mkdir(dir, mode === undefined ? { recursive: true } : { recursive: true, mode });
  },
  async writeFile(path: string, bytes: Uint8Array, mode: number, opts: WriteOptions = {}): Promise<void> {
    const durable = opts.durable !== false;
    await refuseLink(path);
    const temp = tempPathFor(path);
    try {
      await writeNew(temp, bytes, mode, durable);
      await fs.rename(temp, path);
    } catch (err) {
      await fs.unlink(temp).catch(() => {});
      throw err;
    }
    if (durable) await syncDir(dirname(path));
  },
  stage: (temp: string, bytes: Uint8Array, mode: number): Promise<void> => writeNew(temp, bytes, mode, true),
  async rename(from: string, to: string): Promise<void> {
    await refuseLink(to);
    await fs.rename(from, to);
  },
  async remove(path: string): Promise<void> {
    await refuseLink(path);
    await fs.unlessAbsent(() => fs.unlink(path), undefined);
  },
  removeTree: (path: string): Promise<void> => fs.rm(path, { recursive: true, force: true }),
  append: (path: string, text: string, mode: number): Promise<void> => fs.appendFile(path, text, mode),
  syncDir,
});
