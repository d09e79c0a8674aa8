/**
 * The machine identity (which env/team/project/user this machine is), kept in
 * `$CLAUDE_ENV_HOME/identity.json` (default `<home>/.claude-env`).
 */
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { isLink, realSystem, type System } from '../system/system.js';
import type { Target } from '../vocabulary.js';

export function stateDir(home: string, env: NodeJS.ProcessEnv): string {
  return env['CLAUDE_ENV_HOME'] || join(home, '.claude-env');
}

export function identityPath(home: string, env: NodeJS.ProcessEnv): string {
  return join(stateDir(home, env), 'identity.json');
}

const unreadable = (path: string, err: unknown): ClaudeEnvError =>
  new ClaudeEnvError('state-unreadable', `cannot read the machine identity ${path}: ${(err as NodeJS.ErrnoException).code}`, { file: path, cause: err });

function parseIdentity(text: string, path: string): Partial<Target> {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const out: Partial<Target> = {};
    for (const k of ['env', 'team', 'project', 'user'] as const) if (typeof v[k] === 'string') out[k] = v[k] as string;
    return out;
  } catch (err) {
    throw new ClaudeEnvError('state-corrupt', `the machine identity ${path} is not valid JSON: ${(err as Error).message}`, { file: path, cause: err });
  }
}

/** The stored identity, or an empty one when the machine has none (or a link stands in its place), read through `sys`. */
export async function readIdentity(home: string, env: NodeJS.ProcessEnv, sys: System = realSystem()): Promise<Partial<Target>> {
  const path = identityPath(home, env);
  let found;
  try {
    found = await sys.read(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  if (found === undefined || isLink(found)) return {};
  return parseIdentity(found.bytes.toString('utf8'), path);
}

/** Record the machine identity in the state folder `dir` (what later commands default to), once, through `sys`: an existing identity is never overwritten here. */
export async function ensureIdentity(sys: System, dir: string, target: Target): Promise<boolean> {
  const path = join(dir, 'identity.json');
  let found;
  try {
    found = await sys.read(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  if (found && !isLink(found) && parseIdentity(found.bytes.toString('utf8'), path).env !== undefined) return false;
  await sys.mkdirp(dir, 0o700);
  await sys.writeFile(path, Buffer.from(`${JSON.stringify(target, null, 2)}\n`), 0o600);
  return true;
}
