/**
 * `claude-env init [DIR]`: write the seed config repo and make its first
 * commit. It is built in a temp folder beside DIR and moved into place in one
 * rename, so a failed init leaves nothing behind. A non-empty DIR is refused.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ClaudeEnvError, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { DEFAULT_FILE_MODE, scaffoldFiles } from '../repo/scaffold/index.js';
import { writeFileAtomic } from '../system/atomic.js';
import { runGit } from '../system/git.js';
import { printJson, type CliIO } from './io.js';

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

export async function initRepo(dir: string, env: NodeJS.ProcessEnv): Promise<InitResult> {
  const empty = isEmptyDir(dir);
  if (empty === false) {
    throw new ClaudeEnvError('not-empty', `${dir} is not empty: init only writes into a new or empty directory`, { file: dir, exitCode: EXIT_USAGE });
  }
  // A new DIR is built beside it and renamed into place; an existing empty DIR (perhaps
  // the shell's cwd) is filled in place and emptied again if anything fails.
  mkdirSync(dirname(dir), { recursive: true });
  const staging = empty === true ? dir : mkdtempSync(join(dirname(dir), `.${basename(dir)}.claude-env-init-`));
  try {
    const files = scaffoldFiles();
    for (const f of files) {
      const path = join(staging, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, f.content, f.mode ?? DEFAULT_FILE_MODE);
    }
    await runGit(staging, ['init', '--quiet', '--initial-branch=main']);
    await runGit(staging, ['add', '--all']);
    await runGit(staging, ['commit', '--quiet', '--no-verify', '-m', 'claude-env init: seed config repo'], env);
    const commit = (await runGit(staging, ['rev-parse', 'HEAD'])).trim();
    if (staging !== dir) renameSync(staging, dir);
    return { dir, files: files.map((f) => f.path), commit };
  } catch (err) {
    if (staging !== dir) rmSync(staging, { recursive: true, force: true });
    else for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    throw err;
  }
}

export async function run(io: CliIO, opts: { json?: boolean }, args: string[]): Promise<ExitCode> {
  const dir = resolve(io.cwd, args[0] ?? '.');
  const result = await initRepo(dir, io.env);
  if (opts.json) printJson(io, result);
  else io.stdout.write(`created config repo ${dir} (${result.files.length} files, commit ${result.commit.slice(0, 12)})\nnext: claude-env validate --repo ${dir}\n`);
  return EXIT_OK;
}
