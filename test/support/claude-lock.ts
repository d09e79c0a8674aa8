/**
 * Claude Code's lock on `.claude.json`, held the way Claude Code holds it
 * (proper-lockfile: a folder `<file>.lock` made with mkdir, its mtime kept
 * fresh by the holder), around a claude-env command run in process.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { CliRun } from '../helpers.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

export interface HeldRun {
  /** The command's run, after the lock was let go. */
  readonly run: CliRun;
  /** Whether the command had finished while the lock was still held (it did not wait). */
  readonly finishedWhileHeld: boolean;
  /** `.claude.json` as it was just before the lock was let go. */
  readonly whileHeld: string;
}

/**
 * Hold `<home>/.claude.json.lock` while `command` runs. Once the command is
 * on the machine (claude-env's own lock is there), the holder keeps the lock
 * for as long as the command's own work takes many times over (75 looks,
 * well under the 5 s a command waits by default), then lets go: if the
 * command honours Claude Code's lock it is still waiting then, and
 * `.claude.json` is untouched.
 */
export async function runWhileClaudeHoldsItsLock(home: string, command: () => Promise<CliRun>): Promise<HeldRun> {
  const lock = join(home, '.claude.json.lock');
  mkdirSync(lock);
  let finished = false;
  const pending = command().finally(() => {
    finished = true;
  });
  for (let looks = 0; !finished && looks < 75; ) {
    await tick();
    const now = Date.now() / 1000;
    utimesSync(lock, now, now); // the holder keeps it fresh
    if (existsSync(join(home, '.claude-env', 'lock'))) looks++;
  }
  const finishedWhileHeld = finished;
  const whileHeld = readFileSync(join(home, '.claude.json'), 'utf8');
  rmdirSync(lock);
  return { run: await pending, finishedWhileHeld, whileHeld };
}

/** Run `command` while the lock is held throughout (it is let go after). */
export async function runWhileClaudeKeepsItsLock(home: string, command: () => Promise<CliRun>): Promise<CliRun> {
  const lock = join(home, '.claude.json.lock');
  mkdirSync(lock);
  try {
    return await command();
  } finally {
    rmdirSync(lock);
  }
}
