/** Atomic file writes: temp file in the same directory, fsync, rename, fsync of the directory. */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let counter = 0;
/** Unique within this process; 'wx' refuses a name that exists anyway. */
const tempSuffix = (): string => `${process.pid.toString(36)}-${(counter++).toString(36)}-${process.hrtime.bigint().toString(36)}`;

/**
 * `durable: false` skips the fsyncs, for files whose loss costs nothing (the
 * document cache): still never seen half-written, as the rename is atomic.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, durable = true): void {
  const tmp = join(dirname(path), `.${basename(path)}.claude-env-${tempSuffix()}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
  if (durable) fsyncDir(dirname(path));
}
