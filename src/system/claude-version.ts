/**
 * The Claude Code on this machine, as `claude --version` on the PATH says:
 * what apply may count on it to read. Asked once per process and PATH, with
 * a timeout; no Claude Code (or one that does not answer) is `undefined`,
 * and then only what every supported release reads is written.
 */
import { execFile } from 'node:child_process';

/**
 * The first release known to read `managed-settings.d/*.json` beside
 * `managed-settings.json` (CLAUDE-CODE.md, verified with 2.1.197; 2.1.0 does
 * not read it). The release that added it lies between the two and was not
 * bisected: earlier ones get the single file.
 */
export const MANAGED_FRAGMENTS_SINCE = '2.1.197';

const asked = new Map<string, Promise<string | undefined>>();

/** `claude --version`'s version (such as 2.1.332), or undefined; `env` gives the PATH it is found on (default: this process's). */
export function claudeVersionOnPath(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const path = env['PATH'] ?? '';
  let got = asked.get(path);
  if (!got) {
    got = new Promise((resolve) => {
      execFile('claude', ['--version'], { env: { PATH: path, HOME: env['HOME'] ?? '', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' }, timeout: 15_000, windowsHide: true }, (err, stdout) => {
        if (err) return resolve(undefined);
        resolve(/\b(\d+\.\d+\.\d+)\b/.exec(String(stdout))?.[1]);
      });
    });
    asked.set(path, got);
  }
  return got;
}

/** a ≥ b, for dotted numeric versions. */
export function versionAtLeast(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Whether the machine's Claude Code reads managed-settings.d fragments. */
export async function readsManagedFragments(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  // Cached per PATH: one process (a test, an agent) may serve several machines.
  const v = await claudeVersionOnPath(env);
  return v !== undefined && versionAtLeast(v, MANAGED_FRAGMENTS_SINCE);
}
