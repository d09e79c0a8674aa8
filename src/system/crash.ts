/**
 * Deterministic crash points for the crash test: with CLAUDE_ENV_CRASH_AT=N
 * the process kills itself with SIGKILL at the Nth point it passes (no
 * cleanup, no exit handlers — like a power cut). Unset, a point costs a
 * counter increment.
 */
let passed = 0;
let at: number | undefined;

export function armCrashPoints(env: NodeJS.ProcessEnv): void {
  const n = Number(env['CLAUDE_ENV_CRASH_AT']);
  at = Number.isInteger(n) && n > 0 ? n : undefined;
  passed = 0;
}

export function crashPoint(): void {
  passed++;
  if (at !== undefined && passed === at) process.kill(process.pid, 'SIGKILL');
}

/** How many points this process has passed (the crash test counts them on a clean run). */
export function crashPointsPassed(): number {
  return passed;
}
