/**
 * Atomic file writes for the callers not yet on the System port (`init`'s
 * scaffold, `access`, the machine key of secrets/outputs.ts, the document
 * and code caches): temp file in the same directory, fsync, rename, fsync of
 * the directory — synchronous.
 * Machine writes of apply, remediate and rollback go through `System`
 * (system.ts `writeFile`) instead.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor } from '../system/system.js';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `durable: false` skips the fsyncs, for files whose loss costs nothing (the
 * document cache): still never seen half-written, as the rename is atomic.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, durable = true): void {
  const tmp = tempPathFor(path);
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
