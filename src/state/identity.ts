/**
 * The machine identity (which env/team/project/user this machine is), kept in
 * `$CLAUDE_ENV_HOME/identity.json` (default `<home>/.claude-env`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../system/atomic.js';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import type { Target } from '../vocabulary.js';

export function stateDir(home: string, env: NodeJS.ProcessEnv): string {
  return env['CLAUDE_ENV_HOME'] || join(home, '.claude-env');
}

export function identityPath(home: string, env: NodeJS.ProcessEnv): string {
  return join(stateDir(home, env), 'identity.json');
}

/** The stored identity, or an empty one when the machine has none. */
export function readIdentity(home: string, env: NodeJS.ProcessEnv): Partial<Target> {
  const path = identityPath(home, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ClaudeEnvError('state-unreadable', `cannot read the machine identity ${path}: ${(err as NodeJS.ErrnoException).code}`, { file: path, exitCode: EXIT_USAGE, cause: err });
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const out: Partial<Target> = {};
    for (const k of ['env', 'team', 'project', 'user'] as const) if (typeof v[k] === 'string') out[k] = v[k] as string;
    return out;
  } catch (err) {
    throw new ClaudeEnvError('state-corrupt', `the machine identity ${path} is not valid JSON: ${(err as Error).message}`, { file: path, exitCode: EXIT_USAGE, cause: err });
  }
}

/** Record the machine identity (what later commands default to), once: an existing identity is never overwritten here. */
export function ensureIdentity(home: string, env: NodeJS.ProcessEnv, target: Target): boolean {
  const current = readIdentity(home, env);
  if (current.env !== undefined) return false;
  mkdirSync(stateDir(home, env), { recursive: true, mode: 0o700 });
  writeFileAtomic(identityPath(home, env), `${JSON.stringify(target, null, 2)}\n`, 0o600);
  return true;
}
