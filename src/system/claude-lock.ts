/**
 * Claude Code's own lock on its state file, taken the way Claude Code takes
 * it (proper-lockfile, CLAUDE-CODE.md §3): a folder `<file>.lock` made with
 * mkdir, its mtime kept fresh by the holder, stale after 10 s. claude-env
 * holds it while it rewrites `.claude.json`.
 *
 * Whatever is in the way is judged by its age (proper-lockfile records no
 * owner, so age is all there is to know) and never waited for past the
 * deadline:
 * - a lock whose mtime is more than `staleMs` old, or more than `staleMs` in
 *   the future (no live holder on this machine writes that), is stale, be it
 *   an empty folder, a folder with things in it, a file or a symlink;
 * - a stale empty folder is removed, as proper-lockfile does; anything else
 *   is moved aside to `<file>.lock.stale-<epoch ms>` and kept, so no byte
 *   in the home is lost;
 * - either way it is renamed first: of several takers only one moves it,
 *   and a taker that finds it moved a newer lock (not the one it judged)
 *   puts that back.
 */
import type { Stats } from 'node:fs';
import { ClaudeEnvError } from '../errors.js';
import * as fs from './node-fs.js';

/** `waitMs`: how long a command waits for Claude Code's lock when `--wait` does not say. */
export const CLAUDE_LOCK = Object.freeze({ staleMs: 10_000, pollMs: 50, waitMs: 5_000 });
/** Stale locks moved out of the way in one call before the deadline rules again (a bound, not a budget anyone reaches). */
const MAX_TAKEOVERS = 8;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const lstatOf = (path: string): Promise<Stats | undefined> => fs.unlessAbsent(() => fs.lstat(path), undefined);

/** The same lock, not a newer one in its place (a freed inode number is soon used again; a newer lock's mtime is later). */
const sameEntry = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs;

/** Move a stale lock out of the way; undefined when it is gone, else why it could not be moved. */
async function stepAside(dir: string, seen: Stats): Promise<string | undefined> {
  const aside = `${dir}.stale-${Date.now()}-${process.pid}`;
  try {
    await fs.rename(dir, aside);
  } catch (err) {
    const code = fs.errno(err);
    if (code === 'ENOENT') return undefined; // another taker moved it first
    return code ?? String(err);
  }
  const moved = await lstatOf(aside);
  if (moved && !sameEntry(moved, seen)) {
    // A newer lock took the stale one's place between the look and the rename: it goes back
    // (unless a third one is there by now: this one then stays aside).
    if (!(await lstatOf(dir))) await fs.rename(aside, dir).catch(() => {});
    return undefined;
  }
  // Only when empty: a folder with things in it is kept aside.
  if (moved?.isDirectory()) await fs.rmdir(aside).catch(() => {});
  return undefined;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Take the lock, waiting up to `waitMs` (on a timer: the process goes on
 * meanwhile); returns its release. A file's folder that does not exist yet
 * has no lock to take (nobody can hold it).
 */
export async function lockClaudeJson(abs: string, waitMs: number = CLAUDE_LOCK.waitMs, staleMs: number = CLAUDE_LOCK.staleMs): Promise<() => Promise<void>> {
  const dir = `${abs}.lock`;
  const deadline = Date.now() + waitMs;
  let takeovers = 0;
  let stuck: string | undefined;
  for (;;) {
    try {
      await fs.mkdir(dir);
      const mine = await fs.lstat(dir);
      return async () => {
        // Only the lock this call made: if it was judged stale and replaced meanwhile, the new one is not ours.
        const now = await lstatOf(dir);
        if (!now || !sameEntry(now, mine)) return;
        // gone, or someone put something in it: left as it is
        await fs.rmdir(dir).catch(() => {});
      };
    } catch (err) {
      const code = fs.errno(err);
      if (code === 'ENOENT') return async () => {};
      if (code !== 'EEXIST') throw err;
    }
    const seen = await lstatOf(dir);
    const age = seen ? Date.now() - seen.mtimeMs : 0;
    if (takeovers < MAX_TAKEOVERS && (!seen || Math.abs(age) > staleMs)) {
      takeovers++;
      stuck = seen ? await stepAside(dir, seen) : undefined;
      if (stuck === undefined) continue;
    }
    if (Date.now() >= deadline) {
      const what = !seen ? 'a lock that keeps coming back' : seen.isDirectory() ? 'the lock' : `a ${seen.isSymbolicLink() ? 'symlink' : 'file'} in the lock's place`;
      const when = age < 0 ? `dated ${seconds(-age)} in the future` : `${seconds(age)} old`;
      const message = stuck
        ? `${dir} is stale (${when}) but cannot be moved aside: ${stuck}; remove it by hand`
        : `Claude Code holds ${dir} (${what}, ${when}; stale after ${seconds(staleMs)}); try again in a moment`;
      throw new ClaudeEnvError('lock-held', message, { file: dir });
    }
    await sleep(Math.max(1, Math.min(CLAUDE_LOCK.pollMs, deadline - Date.now())));
  }
}
