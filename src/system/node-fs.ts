/**
 * Node's file calls as promises, on the callback API of `node:fs`: the same
 * libuv calls `node:fs/promises` makes, without loading that module (it
 * pulls in readline and the REPL history, ~5 ms at every start, which
 * `drift` cannot afford). The only place outside tests that touches
 * `node:fs` for the machine's files: the real System, and the two locks.
 */
// Named imports: the bundle turns each into one property read of node:fs (build.mjs); a namespace import would read
// them all, `promises` and the streams included (~5 ms).
import { appendFile as fsAppendFile, chmod as fsChmod, close as fsClose, constants as fsConstants, fstat as fsFstat, fsync as fsFsync, link as fsLink, lstat as fsLstat, mkdir as fsMkdir, open as fsOpen, read as fsRead, readdir as fsReaddir, realpath as fsRealpath, rename as fsRename, rm as fsRm, rmdir as fsRmdir, unlink as fsUnlink, write as fsWrite, type RmOptions, type Stats } from 'node:fs';

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;
const call = <T>(f: (cb: Callback<T>) => void): Promise<T> => new Promise((resolve, reject) => f((err, value) => (err ? reject(err) : resolve(value))));
const done = (f: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> => call<void>((cb) => f((err) => cb(err, undefined)));

export const constants = fsConstants;
export const open = (path: string, flags: string | number, mode?: number): Promise<number> => call((cb) => fsOpen(path, flags, mode, cb));
export const close = (fd: number): Promise<void> => done((cb) => fsClose(fd, cb));
export const fsync = (fd: number): Promise<void> => done((cb) => fsFsync(fd, cb));
export const fstat = (fd: number): Promise<Stats> => call((cb) => fsFstat(fd, cb));
export const write = (fd: number, data: Uint8Array, offset: number, length: number): Promise<number> => call((cb) => fsWrite(fd, data, offset, length, null, cb));
export const read = (fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): Promise<number> => call((cb) => fsRead(fd, buf, offset, length, position, cb));
export const lstat = (path: string): Promise<Stats> => call((cb) => fsLstat(path, cb));
export const chmod = (path: string, mode: number): Promise<void> => done((cb) => fsChmod(path, mode, cb));
export const mkdir = (path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<string | undefined> => call((cb) => fsMkdir(path, opts, cb as Callback<string | undefined>));
export const rename = (from: string, to: string): Promise<void> => done((cb) => fsRename(from, to, cb));
export const link = (existing: string, path: string): Promise<void> => done((cb) => fsLink(existing, path, cb));
export const unlink = (path: string): Promise<void> => done((cb) => fsUnlink(path, cb));
export const rmdir = (path: string): Promise<void> => done((cb) => fsRmdir(path, cb));
export const rm = (path: string, opts: RmOptions): Promise<void> => done((cb) => fsRm(path, opts, cb));
export const readdir = (path: string): Promise<string[]> => call((cb) => fsReaddir(path, cb));
export const realpath = (path: string): Promise<string> => call((cb) => fsRealpath(path, cb));
export const appendFile = (path: string, data: string, mode: number): Promise<void> => done((cb) => fsAppendFile(path, data, { mode }, cb));

export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** `fn`'s value, or `fallback` when nothing is at the path (or a file is where a folder should be). */
export async function unlessAbsent<T, F>(fn: () => Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await fn();
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return fallback;
    throw err;
  }
}
