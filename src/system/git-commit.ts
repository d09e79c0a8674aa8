/**
 * A commit made without touching the working tree, the index or any branch:
 * the files are written as blobs, laid over the parent's tree in a temporary
 * index, and committed with `git commit-tree`. The commit is reachable from
 * no ref until the caller creates one (`createBranch`), so a caller that
 * stops before that leaves the repository as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import { runGit } from './git.js';

export interface CommitFile {
  readonly path: string;
  readonly content: string;
  readonly mode?: 0o644 | 0o755;
}

export function commitOver(dir: string, parent: string, files: readonly CommitFile[], message: string, env: NodeJS.ProcessEnv): string {
  const tmp = mkdtempSync(join(tmpdir(), 'claude-env-commit-'));
  const withIndex = { ...env, GIT_INDEX_FILE: join(tmp, 'index') };
  try {
    runGit(dir, ['read-tree', parent], withIndex);
    files.forEach((f, i) => {
      const blob = join(tmp, `blob-${i}`);
      writeFileSync(blob, f.content);
      const oid = runGit(dir, ['hash-object', '-w', `--path=${f.path}`, '--', blob], withIndex).trim();
      runGit(dir, ['update-index', '--add', '--cacheinfo', `${f.mode === 0o755 ? '100755' : '100644'},${oid},${f.path}`], withIndex);
    });
    const tree = runGit(dir, ['write-tree'], withIndex).trim();
    return runGit(dir, ['commit-tree', tree, '-p', parent, '-m', message], withIndex).trim();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether `refs/heads/<name>` exists. */
export function branchExists(dir: string, name: string, env: NodeJS.ProcessEnv): boolean {
  try {
    return runGit(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}`], env).trim() !== '';
  } catch {
    return false;
  }
}

/** Create a branch at a commit; refuses to move an existing one. */
export function createBranch(dir: string, name: string, commit: string, env: NodeJS.ProcessEnv): void {
  if (runGit(dir, ['check-ref-format', '--branch', name], env).trim() !== name) {
    throw new ClaudeEnvError('usage', `"${name}" is not a valid branch name`, { exitCode: EXIT_USAGE });
  }
  // The empty old value makes update-ref fail if the branch appeared meanwhile.
  runGit(dir, ['update-ref', '-m', 'claude-env onboard', `refs/heads/${name}`, commit, ''], env);
}

/** Paths among `paths` with changes not committed (staged, unstaged or untracked). */
export function dirtyPaths(dir: string, paths: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const out = runGit(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths], env);
  return out
    .split('\0')
    .filter((r) => r.length > 3)
    .map((r) => r.slice(3));
}
