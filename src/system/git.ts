/** Running git for the config repo: init and first commit, with a fallback identity when none is configured. */
import { createRequire } from 'node:module';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';

/** node:child_process is loaded only when git is run (a worktree command never needs it). */
const require = createRequire(import.meta.url);
const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

export function runGit(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const identity = {
    GIT_AUTHOR_NAME: env['GIT_AUTHOR_NAME'] ?? 'claude-env',
    GIT_AUTHOR_EMAIL: env['GIT_AUTHOR_EMAIL'] ?? 'claude-env@localhost',
    GIT_COMMITTER_NAME: env['GIT_COMMITTER_NAME'] ?? 'claude-env',
    GIT_COMMITTER_EMAIL: env['GIT_COMMITTER_EMAIL'] ?? 'claude-env@localhost',
  };
  try {
    return childProcess().execFileSync('git', ['-C', dir, ...args], { env: { ...env, ...identityIfUnset(dir, env, identity) }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new ClaudeEnvError('git', `git ${args[0]} failed in ${dir}: ${stderr || (err as Error).message}`, { exitCode: EXIT_USAGE, cause: err });
  }
}

function identityIfUnset(dir: string, env: NodeJS.ProcessEnv, fallback: Record<string, string>): Record<string, string> {
  try {
    const name = childProcess().execFileSync('git', ['-C', dir, 'config', 'user.name'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const email = childProcess().execFileSync('git', ['-C', dir, 'config', 'user.email'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (name && email) return {};
  } catch {
    /* not configured */
  }
  return fallback;
}
