/** `claude-env init [DIR]`: write the seed config repo and make its first commit (src/workspace/init.ts). */
import { resolve } from 'node:path';
import { EXIT_OK, type ExitCode } from '../errors.js';
import { systemFor } from '../system/crash.js';
import { initRepo } from '../workspace/init.js';
import { printJson, type CliIO } from './io.js';

export async function run(io: CliIO, opts: { json?: boolean }, args: string[]): Promise<ExitCode> {
  const dir = resolve(io.cwd, args[0] ?? '.');
  const result = await initRepo(dir, io.env, systemFor(io.env));
  if (opts.json) printJson(io, result);
  else io.stdout.write(`created config repo ${dir} (${result.files.length} files, commit ${result.commit.slice(0, 12)})\nnext: claude-env validate --repo ${dir}\n`);
  return EXIT_OK;
}
