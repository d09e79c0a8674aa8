/**
 * `init`: write the seed config repo (src/repo/scaffold) into a new or empty
 * folder and make its first commit. A new folder is built beside it and
 * moved into place in one rename, so a failed init leaves nothing behind; an
 * existing empty folder (perhaps the shell's cwd) is filled in place and
 * emptied again if anything fails. A non-empty folder is refused.
 */
import { basename, dirname, join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { DEFAULT_FILE_MODE, scaffoldFiles, type ScaffoldFile } from '../repo/scaffold/index.js';
import { runGit } from '../system/git.js';
import { randomHex, realSystem, type System } from '../system/system.js';

export interface InitResult {
  dir: string;
  files: string[];
  commit: string;
}

/** true: an empty folder; false: something else is there; undefined: nothing is there. */
async function isEmptyDir(system: System, dir: string): Promise<boolean | undefined> {
  const st = await system.lstat(dir);
  if (st === undefined) return undefined;
  if (st.type !== 'dir') return false;
  return (await system.list(dir)).length === 0;
}

/** The seed's files written below `dir` (the one place init writes them). */
async function writeSeed(system: System, dir: string, files: readonly ScaffoldFile[]): Promise<void> {
  for (const f of files) {
    const path = join(dir, f.path);
    await system.mkdirp(dirname(path));
    // The whole folder becomes the repo in one rename (or is emptied on failure): no fsync per file.
    await system.writeFile(path, Buffer.from(f.content), f.mode ?? DEFAULT_FILE_MODE, { durable: false });
  }
}

/** A config repo in `dir` (absolute), committed with the identity of `env` (else claude-env's own); written through `system`. */
export async function initRepo(dir: string, env: NodeJS.ProcessEnv, system: System = realSystem()): Promise<InitResult> {
  const empty = await isEmptyDir(system, dir);
  if (empty === false) throw new ClaudeEnvError('not-empty', `${dir} is not empty: init only writes into a new or empty directory`, { file: dir });
  await system.mkdirp(dirname(dir));
  const staging = empty === true ? dir : join(dirname(dir), `.${basename(dir)}.claude-env-init-${randomHex(6)}`);
  try {
    if (staging !== dir) await system.mkdirp(staging, 0o755);
    const files = scaffoldFiles();
    await writeSeed(system, staging, files);
    await runGit(staging, ['init', '--quiet', '--initial-branch=main']);
    await runGit(staging, ['add', '--all']);
    await runGit(staging, ['commit', '--quiet', '--no-verify', '-m', 'claude-env init: seed config repo'], env);
    const commit = (await runGit(staging, ['rev-parse', 'HEAD'])).trim();
    if (staging !== dir) await system.rename(staging, dir);
    await system.syncDir(dirname(dir));
    return { dir, files: files.map((f) => f.path), commit };
  } catch (err) {
    if (staging !== dir) await system.removeTree(staging);
    else for (const name of await system.list(dir)) await system.removeTree(join(dir, name));
    throw err;
  }
}
