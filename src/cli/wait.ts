/** `--wait SECONDS`: how long a command that changes the machine waits for another claude-env to finish. */
import { ClaudeEnvError } from '../errors.js';

/** An hour: longer than any apply, short enough that a mistyped value never leaves a command waiting for days. */
export const MAX_WAIT_SECONDS = 3600;

/** The value in milliseconds (0 when not given); anything but a number of seconds from 0 to MAX_WAIT_SECONDS is a usage error. */
export function parseWait(value: unknown): number {
  if (value === undefined) return 0;
  const text = String(value).trim();
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= 0 && seconds <= MAX_WAIT_SECONDS)) {
    throw new ClaudeEnvError('usage', `--wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS} (got "${String(value)}")`);
  }
  return Math.round(seconds * 1000);
}
