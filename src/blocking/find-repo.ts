/** Which config repo the CLI works on when it is not told: a blocking look up from the working directory (a long-lived caller names its repo). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ClaudeEnvError } from '../errors.js';

/** The config repo dir: `repo`, else the nearest folder up from cwd with a claude-env.yml, else $CLAUDE_ENV_REPO. */
export function findRepoDir(repo: string | undefined, proc: { readonly env: NodeJS.ProcessEnv; readonly cwd: string }): string {
  if (repo) return resolve(proc.cwd, repo);
  for (let d = resolve(proc.cwd); ; d = dirname(d)) {
    if (existsSync(join(d, 'claude-env.yml'))) return d;
    if (existsSync(join(d, '.git')) || dirname(d) === d) break;
  }
  if (proc.env['CLAUDE_ENV_REPO']) return resolve(proc.cwd, proc.env['CLAUDE_ENV_REPO']);
  throw new ClaudeEnvError('not-config-repo', `no config repo here: ${proc.cwd} is not in a claude-env config repo`, {
    hint: 'pass --repo DIR, set CLAUDE_ENV_REPO, or run `claude-env init DIR`',
  });
}
