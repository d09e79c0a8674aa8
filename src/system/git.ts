/** Running git for the config repo: init and first commit, with a fallback identity when none is configured. Never blocking. */
import { gitAsync } from './repo-source.js';

/** The git commands that record who made something (a commit, a reflog entry): only they need an identity. */
const RECORDS_IDENTITY: ReadonlySet<string> = new Set(['commit', 'commit-tree', 'update-ref']);

/** Run git in `dir`; a command that records an identity gets claude-env's when git has none configured. */
export async function runGit(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string | Uint8Array): Promise<string> {
  const opts = { ...(input === undefined ? {} : { input }), wholeError: true };
  if (!RECORDS_IDENTITY.has(args[0] ?? '')) return (await gitAsync(dir, args, { ...opts, env })).toString();
  const identity = {
    GIT_AUTHOR_NAME: env['GIT_AUTHOR_NAME'] ?? 'claude-env',
    GIT_AUTHOR_EMAIL: env['GIT_AUTHOR_EMAIL'] ?? 'claude-env@localhost',
    GIT_COMMITTER_NAME: env['GIT_COMMITTER_NAME'] ?? 'claude-env',
    GIT_COMMITTER_EMAIL: env['GIT_COMMITTER_EMAIL'] ?? 'claude-env@localhost',
  };
  return (await gitAsync(dir, args, { ...opts, env: { ...env, ...(await identityIfUnset(dir, env, identity)) } })).toString();
}

async function identityIfUnset(dir: string, env: NodeJS.ProcessEnv, fallback: Record<string, string>): Promise<Record<string, string>> {
  try {
    const [name, email] = await Promise.all(['user.name', 'user.email'].map(async (key) => (await gitAsync(dir, ['config', key], { env })).toString().trim()));
    if (name && email) return {};
  } catch {
    /* not configured */
  }
  return fallback;
}
