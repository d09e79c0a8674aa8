/**
 * Deterministic crash points for the crash test: with CLAUDE_ENV_CRASH_AT=N
 * the process kills itself with SIGKILL at the Nth point it passes (no
 * cleanup, no exit handlers — like a power cut). Unset, a point costs a
 * counter increment.
 */
let passed = 0;
let at: number | undefined;
let failWriteAt: number | undefined;
let writes = 0;

/**
 * Arm the test hooks from the environment: CLAUDE_ENV_CRASH_AT=N (SIGKILL at
 * the Nth crash point) and CLAUDE_ENV_FAIL_WRITE_AT=N (the Nth staged file
 * fails half-way with ENOSPC, as on a full disk).
 */
export function armCrashPoints(env: NodeJS.ProcessEnv): void {
  const n = Number(env['CLAUDE_ENV_CRASH_AT']);
  at = Number.isInteger(n) && n > 0 ? n : undefined;
  const f = Number(env['CLAUDE_ENV_FAIL_WRITE_AT']);
  failWriteAt = Number.isInteger(f) && f > 0 ? f : undefined;
  passed = 0;
  writes = 0;
}

/** True when this staged write is the one that must fail (disk-full simulation). */
export function writeFails(): boolean {
  writes++;
  return failWriteAt !== undefined && writes === failWriteAt;
}

export function crashPoint(): void {
  passed++;
  if (at !== undefined && passed === at) process.kill(process.pid, 'SIGKILL');
}

/** How many points this process has passed (the crash test counts them on a clean run). */
export function crashPointsPassed(): number {
  return passed;
}
