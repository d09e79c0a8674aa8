import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Homes of sandbox machines under `root`, each with its own claude-env state folder and environment. */
export function machineHomes(root: string, base: Record<string, string> = {}): (extra?: Record<string, string>) => { home: string; stateDir: string; env: NodeJS.ProcessEnv; cwd: string } {
  let n = 0;
  return (extra = {}) => {
    const home = join(root, `home${n}`);
    const stateDir = join(root, `state${n++}`);
    mkdirSync(home);
    return { home, stateDir, env: { HOME: home, PATH: process.env['PATH'], ...base, ...extra }, cwd: home };
  };
}
