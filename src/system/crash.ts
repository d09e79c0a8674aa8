/**
 * Deterministic crash points for the crash test: with CLAUDE_ENV_CRASH_AT=N
 * the process kills itself with SIGKILL at the Nth point it passes (no
 * cleanup, no exit handlers — like a power cut). Unset, a point costs a
 * counter increment.
 */
let passed = 0;
let at: number | undefined;
let failWriteAt: number | undefined;
let corruptWriteAt: number | undefined;
let failLockWrite = false;
let writes = 0;

/**
 * Arm the test hooks from the environment: CLAUDE_ENV_CRASH_AT=N (SIGKILL at
 * the Nth crash point), CLAUDE_ENV_FAIL_WRITE_AT=N (the Nth staged file
 * fails half-way with ENOSPC, as on a full disk) and
 * CLAUDE_ENV_CORRUPT_WRITE_AT=N (the Nth staged file lands with a damaged
 * first byte, as with a disk that lies or a program that rewrites the file
 * at once: what the post-apply check and remediate's re-check must catch),
 * and CLAUDE_ENV_FAIL_LOCK_WRITE=1 (writing claude-env's lock fails with
 * ENOSPC, as on a full disk).
 */
export function armCrashPoints(env: NodeJS.ProcessEnv): void {
  const n = Number(env['CLAUDE_ENV_CRASH_AT']);
  at = Number.isInteger(n) && n > 0 ? n : undefined;
  const f = Number(env['CLAUDE_ENV_FAIL_WRITE_AT']);
  failWriteAt = Number.isInteger(f) && f > 0 ? f : undefined;
  const c = Number(env['CLAUDE_ENV_CORRUPT_WRITE_AT']);
  corruptWriteAt = Number.isInteger(c) && c > 0 ? c : undefined;
  failLockWrite = env['CLAUDE_ENV_FAIL_LOCK_WRITE'] === '1';
  passed = 0;
  writes = 0;
}

/** Count one staged write: whether it must fail half-way (disk full) or land damaged. */
export function nextWrite(): { fails: boolean; corrupts: boolean } {
  writes++;
  return { fails: writes === failWriteAt, corrupts: writes === corruptWriteAt };
}

/** Whether writing the lock must fail (disk full). */
export function lockWriteFails(): boolean {
  return failLockWrite;
}

export function crashPoint(): void {
  passed++;
  if (at !== undefined && passed === at) process.kill(process.pid, 'SIGKILL');
}

/** How many points this process has passed (the crash test counts them on a clean run). */
export function crashPointsPassed(): number {
  return passed;
}
