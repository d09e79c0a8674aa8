/**
 * A commit made without touching the working tree, the index or any branch:
 * the files are written as blobs, laid over the parent's tree in a temporary
 * index, and committed with `git commit-tree`. The commit is reachable from
 * no ref until the caller creates one (`createBranch`), so a caller that
 * stops before that leaves the repository as it was. Every git run is
 * awaited, never blocking.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { runGit } from './git.js';

export interface CommitFile {
  readonly path: string;
  /** null: the file leaves the tree. */
  readonly content: string | Uint8Array | null;
  readonly mode?: 0o644 | 0o755;
}

export async function commitOver(dir: string, parent: string, files: readonly CommitFile[], message: string, env: NodeJS.ProcessEnv): Promise<string> {
  // The temporary index lives in a folder of its own; the blobs go to git on its stdin.
  const tmp = await mkdtemp(join(tmpdir(), 'claude-env-commit-'));
  const withIndex = { ...env, GIT_INDEX_FILE: join(tmp, 'index') };
  try {
    await runGit(dir, ['read-tree', parent], withIndex);
    for (const f of files) {
      if (f.content === null) {
        await runGit(dir, ['update-index', '--force-remove', '--', f.path], withIndex);
        continue;
      }
      const oid = (await runGit(dir, ['hash-object', '-w', `--path=${f.path}`, '--stdin'], withIndex, f.content)).trim();
      await runGit(dir, ['update-index', '--add', '--cacheinfo', `${f.mode === 0o755 ? '100755' : '100644'},${oid},${f.path}`], withIndex);
    }
    const tree = (await runGit(dir, ['write-tree'], withIndex)).trim();
    return (await runGit(dir, ['commit-tree', tree, '-p', parent, '-m', message], withIndex)).trim();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Whether `refs/heads/<name>` exists. */
export async function branchExists(dir: string, name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    return (await runGit(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}`], env)).trim() !== '';
  } catch {
    return false;
  }
}

/** Create a branch at a commit; refuses to move an existing one. */
export async function createBranch(dir: string, name: string, commit: string, env: NodeJS.ProcessEnv): Promise<void> {
  if ((await runGit(dir, ['check-ref-format', '--branch', name], env)).trim() !== name) {
    throw new ClaudeEnvError('usage', `"${name}" is not a valid branch name`);
  }
  // The empty old value makes update-ref fail if the branch appeared meanwhile.
  await runGit(dir, ['update-ref', '-m', 'claude-env onboard', `refs/heads/${name}`, commit, ''], env);
}

/** Paths among `paths` with changes not committed (staged, unstaged or untracked). */
export async function dirtyPaths(dir: string, paths: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const out = await runGit(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths], env);
  return out
    .split('\0')
    .filter((r) => r.length > 3)
    .map((r) => r.slice(3));
}
