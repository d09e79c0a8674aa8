/**
 * `init`: write the seed config repo (src/repo/scaffold) into a new or empty
 * folder and make its first commit. A new folder is built beside it and
 * moved into place in one rename, so a failed init leaves nothing behind; an
 * existing empty folder (perhaps the shell's cwd) is filled in place and
 * emptied again if anything fails. A non-empty folder is refused.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { DEFAULT_FILE_MODE, scaffoldFiles, type ScaffoldFile } from '../repo/scaffold/index.js';
import { writeFileAtomic } from '../system/atomic.js';
import { runGit } from '../system/git.js';

export interface InitResult {
  dir: string;
  files: string[];
  commit: string;
}

function isEmptyDir(dir: string): boolean | undefined {
  try {
    if (!statSync(dir).isDirectory()) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return readdirSync(dir).length === 0;
}

/** The seed's files written below `dir` (the one place init writes them). */
function writeSeed(dir: string, files: readonly ScaffoldFile[]): void {
  for (const f of files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, f.content, f.mode ?? DEFAULT_FILE_MODE);
  }
}

/** A config repo in `dir` (absolute), committed with the identity of `env` (else claude-env's own). */
export function initRepo(dir: string, env: NodeJS.ProcessEnv): InitResult {
  const empty = isEmptyDir(dir);
  if (empty === false) throw new ClaudeEnvError('not-empty', `${dir} is not empty: init only writes into a new or empty directory`, { file: dir });
  mkdirSync(dirname(dir), { recursive: true });
  const staging = empty === true ? dir : mkdtempSync(join(dirname(dir), `.${basename(dir)}.claude-env-init-`));
  try {
    const files = scaffoldFiles();
    writeSeed(staging, files);
    runGit(staging, ['init', '--quiet', '--initial-branch=main']);
    runGit(staging, ['add', '--all']);
    runGit(staging, ['commit', '--quiet', '--no-verify', '-m', 'claude-env init: seed config repo'], env);
    const commit = runGit(staging, ['rev-parse', 'HEAD']).trim();
    if (staging !== dir) renameSync(staging, dir);
    return { dir, files: files.map((f) => f.path), commit };
  } catch (err) {
    if (staging !== dir) rmSync(staging, { recursive: true, force: true });
    else for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    throw err;
  }
}
