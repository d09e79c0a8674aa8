/**
 * The file operations apply is made of, each a crash point: read, stage a
 * file (temp file beside the target, written and fsynced), rename it into
 * place, remove, fsync a folder. Nothing here decides anything.
 */
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crashPoint, nextWrite } from './crash.js';
import { fsyncDir } from './atomic.js';

export interface FileOnDisk {
  readonly bytes: Buffer;
  readonly mode: number;
}

export function readIfExists(path: string): FileOnDisk | undefined {
  try {
    const bytes = readFileSync(path);
    return { bytes, mode: statSync(path).mode & 0o777 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * A file as `readIfExists` reads it, but never through a symbolic link: a
 * link is `{ link: true }` with no bytes (what it points to is not read).
 * Costs what `readIfExists` does: the open says whether it is a link.
 */
export function readNoFollow(path: string): (FileOnDisk & { readonly link?: false }) | { readonly link: true } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { link: true };
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    return { bytes: readFileSync(fd), mode };
  } finally {
    closeSync(fd);
  }
}

let counter = 0;
/** Temp files are named so that recovery can find them: `.<name>.claude-env-<pid>-<n>.tmp`. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.claude-env-${process.pid.toString(36)}-${(counter++).toString(36)}.tmp`);
}

export function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Write `data` to `temp` and make it durable. */
export function stageFile(temp: string, data: Uint8Array, mode: number): void {
  crashPoint();
  const fd = openSync(temp, 'wx', mode);
  const fault = nextWrite();
  if (fault.corrupts && data.length > 0) data = Uint8Array.from(data, (b, i) => (i === 0 ? b ^ 0x20 : b));
  try {
    let off = 0;
    const failing = fault.fails;
    while (off < data.length) {
      if (failing && off >= data.length / 2) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${temp}'`), { code: 'ENOSPC' });
      off += writeSync(fd, data, off, Math.min(data.length - off, failing ? Math.max(1, Math.floor(data.length / 2)) : 1 << 16));
    }
    crashPoint();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // openSync's mode is masked by the umask: say what we mean.
  chmodSync(temp, mode);
  crashPoint();
}

export function renameInto(temp: string, target: string): void {
  crashPoint();
  renameSync(temp, target);
  crashPoint();
}

export function removeFile(path: string): void {
  crashPoint();
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  crashPoint();
}

export function syncDir(dir: string): void {
  crashPoint();
  fsyncDir(dir);
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}
