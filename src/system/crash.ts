/**
 * The crash test's faults, as a decorator of a System: with `crashAt: N`
 * the process kills itself with SIGKILL at the Nth crash point it passes
 * (no cleanup, no exit handlers — like a power cut); `failWriteAt: N` makes
 * the Nth staged file fail half-way with ENOSPC (a full disk);
 * `corruptWriteAt: N` makes it land with a damaged first byte (a disk that
 * lies, or a program that rewrites the file at once: what the post-apply
 * check and remediate's re-check must catch). `failLockWrite` is for
 * claude-env's lock (state/lock.ts), which is not written through a System.
 *
 * The counts live in the decorator: one per command run, nothing shared.
 * The CLI arms it from the environment (`systemFor(io.env)`):
 * CLAUDE_ENV_CRASH_AT, CLAUDE_ENV_FAIL_WRITE_AT, CLAUDE_ENV_CORRUPT_WRITE_AT,
 * CLAUDE_ENV_FAIL_LOCK_WRITE=1.
 */
import { fileError, realSystem, type System } from './system.js';

export interface Faults {
  readonly crashAt?: number;
  readonly failWriteAt?: number;
  readonly corruptWriteAt?: number;
  readonly failLockWrite?: boolean;
}

const count = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/** The faults the environment asks for, or undefined when it asks for none. */
export function faultsFrom(env: NodeJS.ProcessEnv): Faults | undefined {
  const crashAt = count(env['CLAUDE_ENV_CRASH_AT']);
  const failWriteAt = count(env['CLAUDE_ENV_FAIL_WRITE_AT']);
  const corruptWriteAt = count(env['CLAUDE_ENV_CORRUPT_WRITE_AT']);
  const failLockWrite = env['CLAUDE_ENV_FAIL_LOCK_WRITE'] === '1';
  if (crashAt === undefined && failWriteAt === undefined && corruptWriteAt === undefined && !failLockWrite) return undefined;
  return { ...(crashAt ? { crashAt } : {}), ...(failWriteAt ? { failWriteAt } : {}), ...(corruptWriteAt ? { corruptWriteAt } : {}), ...(failLockWrite ? { failLockWrite } : {}) };
}

/** The System a command run uses: the disk, with the faults the environment asks for. */
export function systemFor(env: NodeJS.ProcessEnv): System {
  const faults = faultsFrom(env);
  return faults ? crashSystem(realSystem(), faults) : realSystem();
}


/**
 * `inner` with crash points before and after each write, rename, removal
 * and fsync of a folder, and the staged-file faults. Reads pass through.
 */
export function crashSystem(inner: System, faults: Faults): System {
  let passed = 0;
  let staged = 0;
  const point = (): void => {
    passed++;
    if (faults.crashAt !== undefined && passed === faults.crashAt) process.kill(process.pid, 'SIGKILL');
  };
  const around = async <T>(op: () => Promise<T>): Promise<T> => {
    point();
    const v = await op();
    point();
    return v;
  };
  return {
    read: (p) => inner.read(p),
    lstat: (p) => inner.lstat(p),
    realpath: (p) => inner.realpath(p),
    list: (p) => inner.list(p),
    mkdirp: (p, mode) => inner.mkdirp(p, mode),
    writeFile: (p, bytes, mode, opts) => around(() => inner.writeFile(p, bytes, mode, opts)),
    async stage(temp, bytes, mode) {
      point();
      staged++;
      if (staged === faults.failWriteAt) {
        // Half the file reaches the disk, then it is full.
        await inner.stage(temp, bytes.subarray(0, Math.floor(bytes.length / 2)), mode);
        throw fileError('ENOSPC', 'write', temp);
      }
      const data = staged === faults.corruptWriteAt && bytes.length > 0 ? Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 0x20 : b)) : bytes;
      await inner.stage(temp, data, mode);
      point();
    },
    rename: (from, to) => around(() => inner.rename(from, to)),
    remove: (p) => around(() => inner.remove(p)),
    removeTree: (p) => inner.removeTree(p),
    append: (p, text, mode) => inner.append(p, text, mode),
    async syncDir(dir) {
      point();
      await inner.syncDir(dir);
    },
  };
}

