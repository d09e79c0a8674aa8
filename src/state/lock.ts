/**
 * claude-env's own lock on a machine (`$CLAUDE_ENV_HOME/lock`): one command
 * that changes the machine at a time.
 *
 * The lock appears whole: its holder (pid, host, command, time, a random
 * token) is written to a temp file first and hard-linked into place, which
 * fails if a lock exists. So no one ever reads a half-written lock, and a
 * write that fails (a full disk) fails before there is a lock: nothing is
 * left behind. Where the file system has no hard links, the lock is created
 * and then written, and removed again if the write fails.
 *
 * A lock in the way is judged, never waited for past the deadline:
 * - a holder on this host whose process is gone: stale at once;
 * - no holder at all (empty, garbled, not a file: what an older claude-env
 *   left when its disk was full between create and write) older than
 *   `garbledStaleMs`: stale (a lock is written right after it is created);
 * - a holder on another host (a shared home) older than `foreignStaleMs`:
 *   stale, as no command holds it that long; younger, it is held.
 * A stale lock is taken away by one taker at a time: the taker holds
 * `<lock>.takeover` (made the way the lock is, gone in milliseconds) while
 * it renames the lock aside, checks that it moved the very lock it judged,
 * and removes it. No other taker touches the lock meanwhile, so no newer
 * lock is ever moved: the few milliseconds between a look and a rename,
 * longer now that each call is a trip to libuv's threads, no longer let two
 * holders in. A takeover lock left by a taker that died is judged like the
 * lock itself (its process gone, or older than `garbledStaleMs`) and moved
 * aside the same way, checked, and put back with a hard link (which never
 * replaces one) if it was not the one judged.
 */
import type { Stats } from 'node:fs';
import { hostname } from 'node:os';
import { ClaudeEnvError } from '../errors.js';
import * as fs from '../system/node-fs.js';
import { randomHex } from '../system/system.js';

export const LOCK_TIMING = Object.freeze({ garbledStaleMs: 5_000, foreignStaleMs: 60 * 60 * 1000, pollMs: 100 });
/** How long a taker waits for another taker that is taking a stale lock away. */
const TAKEOVER_POLL_MS = 10;
/** Stale locks taken over in one call before the deadline rules again (a bound against a lock that keeps coming back). */
const MAX_TAKEOVERS = 8;
/** A holder is a few hundred bytes: more is not a holder. */
const MAX_HOLDER_BYTES = 4096;

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** Random, per lock taken: the release removes only the lock with its own token. */
  token?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LockOptions {
  /** Writing the holder fails as on a full disk (the crash test's CLAUDE_ENV_FAIL_LOCK_WRITE). */
  readonly failWrite?: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = fs.errno;

async function removeQuietly(path: string): Promise<void> {
  await fs.unlink(path).catch(() => {});
}

const lstatOf = (path: string): Promise<Stats | undefined> => fs.unlessAbsent(() => fs.lstat(path), undefined);

/** What is at the lock's path: its entry and, when it is one, its holder. */
interface Seen {
  readonly stat: Stats;
  readonly holder?: LockHolder;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  let fd: number;
  try {
    fd = await fs.open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(MAX_HOLDER_BYTES + 1);
    const n = await fs.read(fd, buf, 0, buf.length, 0);
    if (n > MAX_HOLDER_BYTES) return undefined;
    const v = JSON.parse(buf.subarray(0, n).toString('utf8')) as Partial<LockHolder>;
    if (!v || typeof v !== 'object' || !Number.isInteger(v.pid) || (v.pid as number) <= 0 || typeof v.host !== 'string') return undefined;
    return { pid: v.pid!, host: v.host, command: String(v.command ?? '?'), since: String(v.since ?? '?'), ...(typeof v.token === 'string' ? { token: v.token } : {}) };
  } catch {
    return undefined;
  } finally {
    await fs.close(fd);
  }
}

async function look(file: string): Promise<Seen | undefined> {
  const stat = await lstatOf(file);
  if (!stat) return undefined;
  const holder = stat.isFile() ? await readHolder(file) : undefined;
  return holder ? { stat, holder } : { stat };
}

/** Why the lock is stale, or undefined while it is held. */
function staleness(seen: Seen, host: string, now: number): string | undefined {
  const age = now - seen.stat.mtimeMs;
  const h = seen.holder;
  if (!h) return Math.abs(age) > LOCK_TIMING.garbledStaleMs ? 'it holds no holder (empty or damaged)' : undefined;
  if (h.host === host) return alive(h.pid) ? undefined : `its process ${h.pid} is gone`;
  return Math.abs(age) > LOCK_TIMING.foreignStaleMs ? `${h.host} has held it for over an hour` : undefined;
}

const sameEntry = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs && a.size === b.size;

/** Move a stale entry aside and remove it; a newer one found in its place goes back. */
async function moveAside(file: string, seen: Seen): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomHex(4)}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return; // another taker was first
    throw err;
  }
  const moved = await lstatOf(aside);
  if (moved && !sameEntry(moved, seen.stat)) {
    // yet another lock may be there by now: then it is the lock
    await fs.link(aside, file).catch(() => {});
  }
  await fs.rm(aside, { recursive: true, force: true });
}

/**
 * Take a stale lock away, under the takeover lock; false when another taker
 * holds that (it is taking the lock away: look again in a moment).
 */
async function takeOver(file: string, seen: Seen, data: Buffer, token: string, opts: LockOptions): Promise<boolean> {
  const mutex = `${file}.takeover`;
  if (!(await create(mutex, data, opts))) {
    const other = await look(mutex);
    // A taker that died while it held it: moved aside (and a newer one put back), then tried again.
    if (other && staleness(other, hostname(), Date.now()) !== undefined) await moveAside(mutex, other);
    return false;
  }
  try {
    const now = await lstatOf(file);
    // Still the lock judged stale (nobody else may take it away meanwhile): moved aside, checked, removed.
    if (now && sameEntry(now, seen.stat)) await moveAside(file, seen);
  } finally {
    if ((await look(mutex))?.holder?.token === token) await removeQuietly(mutex);
  }
  return true;
}

function failed(file: string, err: unknown): ClaudeEnvError {
  const c = code(err);
  return new ClaudeEnvError('lock-failed', `cannot take the lock ${file}: ${c === 'ENOSPC' ? 'no space left on device' : (c ?? String(err))}; nothing was changed`, {
    file,
    cause: err,
  });
}

/** Write the holder to `path`, created here; a failed write removes it again. */
async function writeNew(path: string, data: Buffer, opts: LockOptions): Promise<void> {
  const fd = await fs.open(path, 'wx', 0o600);
  try {
    try {
      if (opts.failWrite) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
      let off = 0;
      while (off < data.length) off += await fs.write(fd, data, off, data.length - off);
    } finally {
      await fs.close(fd);
    }
  } catch (err) {
    await removeQuietly(path);
    throw err;
  }
}

/** Create the lock with its holder in one step; false when a lock is there. */
async function create(file: string, data: Buffer, opts: LockOptions): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomHex(4)}.tmp`;
  try {
    await writeNew(temp, data, opts);
  } catch (err) {
    throw failed(file, err);
  }
  try {
    await fs.link(temp, file);
    return true;
  } catch (err) {
    const c = code(err);
    if (c === 'EEXIST') return false;
    if (c !== 'EPERM' && c !== 'ENOTSUP' && c !== 'EOPNOTSUPP' && c !== 'ENOSYS' && c !== 'EMLINK') throw failed(file, err);
  } finally {
    await removeQuietly(temp);
  }
  // No hard links here: create, then write (a failed write removes the lock).
  try {
    await writeNew(file, data, opts);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw failed(file, err);
  }
}

const seconds = (ms: number): string => `${Math.round(Math.abs(ms) / 100) / 10} s`;

/** Take the lock at `file`, or wait up to `waitMs` for it (on a timer: the process goes on meanwhile); returns its release. */
export async function takeLock(file: string, command: string, waitMs = 0, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const host = hostname();
  const me: LockHolder = { pid: process.pid, host, command, since: new Date().toISOString(), token: randomHex(8) };
  const data = Buffer.from(JSON.stringify(me));
  const deadline = Date.now() + waitMs;
  let takeovers = 0;
  let busy = 0;
  for (;;) {
    if (await create(file, data, opts)) {
      return async () => {
        // Only our own lock: one taken over meanwhile (judged stale) is someone else's now.
        if ((await look(file))?.holder?.token === me.token) await removeQuietly(file);
      };
    }
    const seen = await look(file);
    const stale = seen ? staleness(seen, host, Date.now()) : 'it is gone';
    if (stale !== undefined && takeovers < MAX_TAKEOVERS) {
      if (!seen || (await takeOver(file, seen, data, me.token!, opts))) takeovers++;
      // Another taker is taking it away: a moment, then look again (bounded: a takeover takes milliseconds).
      else if (busy++ < MAX_TAKEOVERS * 10) await sleep(TAKEOVER_POLL_MS);
      else takeovers++;
      continue;
    }
    if (Date.now() >= deadline) {
      const h = seen?.holder;
      const age = seen ? Date.now() - seen.stat.mtimeMs : 0;
      const who = h
        ? `${h.command} (pid ${h.pid} on ${h.host}, since ${h.since})`
        : `a lock that holds no holder, ${seconds(age)} old (empty or damaged: taken over once it is ${seconds(LOCK_TIMING.garbledStaleMs)} old)`;
      throw new ClaudeEnvError('lock-held', `another claude-env is changing this machine: ${who}`, { file, hint: 'try again when it is done, or pass --wait SECONDS' });
    }
    await sleep(Math.max(1, Math.min(LOCK_TIMING.pollMs, deadline - Date.now())));
  }
}
