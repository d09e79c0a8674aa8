/**
 * Node's file calls as promises, on the callback API of `node:fs`: the same
 * libuv calls `node:fs/promises` makes, without loading that module (it
 * pulls in readline and the REPL history, ~5 ms at every start, which
 * `drift` cannot afford). The only place outside tests that touches
 * `node:fs` for the machine's files: the real System, and the two locks.
 */
import * as fs from 'node:fs';

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;
const call = <T>(f: (cb: Callback<T>) => void): Promise<T> => new Promise((resolve, reject) => f((err, value) => (err ? reject(err) : resolve(value))));
const done = (f: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> => call<void>((cb) => f((err) => cb(err, undefined)));

export const { constants } = fs;
export const open = (path: string, flags: string | number, mode?: number): Promise<number> => call((cb) => fs.open(path, flags, mode, cb));
export const close = (fd: number): Promise<void> => done((cb) => fs.close(fd, cb));
export const fsync = (fd: number): Promise<void> => done((cb) => fs.fsync(fd, cb));
export const fstat = (fd: number): Promise<fs.Stats> => call((cb) => fs.fstat(fd, cb));
export const write = (fd: number, data: Uint8Array, offset: number, length: number): Promise<number> => call((cb) => fs.write(fd, data, offset, length, null, cb));
export const read = (fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): Promise<number> => call((cb) => fs.read(fd, buf, offset, length, position, cb));
export const readWhole = (fd: number): Promise<Buffer> => call((cb) => fs.readFile(fd, cb));
export const lstat = (path: string): Promise<fs.Stats> => call((cb) => fs.lstat(path, cb));
export const chmod = (path: string, mode: number): Promise<void> => done((cb) => fs.chmod(path, mode, cb));
export const mkdir = (path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<string | undefined> => call((cb) => fs.mkdir(path, opts, cb as Callback<string | undefined>));
export const rename = (from: string, to: string): Promise<void> => done((cb) => fs.rename(from, to, cb));
export const link = (existing: string, path: string): Promise<void> => done((cb) => fs.link(existing, path, cb));
export const unlink = (path: string): Promise<void> => done((cb) => fs.unlink(path, cb));
export const rmdir = (path: string): Promise<void> => done((cb) => fs.rmdir(path, cb));
export const rm = (path: string, opts: fs.RmOptions): Promise<void> => done((cb) => fs.rm(path, opts, cb));
export const readdir = (path: string): Promise<string[]> => call((cb) => fs.readdir(path, cb));
export const realpath = (path: string): Promise<string> => call((cb) => fs.realpath(path, cb));
export const appendFile = (path: string, data: string, mode: number): Promise<void> => done((cb) => fs.appendFile(path, data, { mode }, cb));

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
