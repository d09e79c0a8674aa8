/**
 * The files that differ between two revisions of the config repo, from
 * `git diff --name-status -z -M` (renames detected, both paths kept), and the
 * commit a revision names.
 */
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import type { ChangedFile } from '../impact/changes.js';
import type { RepoPath } from '../vocabulary.js';
import { runGit } from './git.js';

/** The commit a revision names; a usage error (exit 2) for one that names none. */
export function resolveCommit(dir: string, rev: string, env: NodeJS.ProcessEnv, flag = '--rev'): string {
  // A revision that starts with "-" would be read by git as an option.
  if (rev === '' || rev.startsWith('-') || rev.includes('\0')) {
    throw new ClaudeEnvError('usage', `${flag} "${rev}" is not a revision`, { exitCode: EXIT_USAGE, hint: 'name a commit, branch or tag (git log shows them)' });
  }
  try {
    runGit(dir, ['rev-parse', '--git-dir'], env);
  } catch (err) {
    throw new ClaudeEnvError('git', `${flag} needs a git repository, and ${dir} is not one`, { exitCode: EXIT_USAGE, cause: err });
  }
  let out = '';
  try {
    out = runGit(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], env).trim();
  } catch (err) {
    throw new ClaudeEnvError('git', `unknown revision "${rev}" (${flag}) in ${dir}`, { exitCode: EXIT_USAGE, cause: err, hint: 'name a commit, branch or tag (git log shows them)' });
  }
  return out;
}

const STATUS: Record<string, ChangedFile['status']> = { A: 'added', M: 'modified', D: 'deleted', T: 'modified', R: 'renamed', C: 'copied' };

/** Files changed from `base` to `head` (commits), in git's order. */
export function changedFiles(dir: string, base: string, head: string, env: NodeJS.ProcessEnv): ChangedFile[] {
  const out = runGit(dir, ['-c', 'core.quotePath=false', 'diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', base, head, '--'], env);
  const fields = out.split('\0');
  const changes: ChangedFile[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++]!;
    if (code === '') continue;
    const status = STATUS[code[0]!] ?? 'modified';
    if (status === 'renamed' || status === 'copied') {
      const from = fields[i++]! as RepoPath;
      const to = fields[i++]! as RepoPath;
      changes.push({ status, path: to, oldPath: from });
    } else changes.push({ status, path: fields[i++]! as RepoPath });
  }
  return changes;
}
