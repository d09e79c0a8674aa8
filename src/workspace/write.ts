/**
 * The files a command writes outside a machine's Claude Code config: the
 * tree of `render --all --out DIR` and the file of `access codeowners --out
 * FILE`, through the System port (src/system): one step per file, never
 * through a symbolic link.
 */
import { dirname, resolve } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { insideRoot } from '../apply/paths.js';
import { LinkGuard } from '../system/links.js';
import type { System } from '../system/system.js';

/** Writes `text` to `path` (relative to `cwd`), making its folder; returns the absolute path. A link at `path` is refused (the port's rule). */
export async function writeOutFile(system: System, cwd: string, path: string, text: string): Promise<string> {
  const out = resolve(cwd, path);
  await system.mkdirp(dirname(out));
  await system.writeFile(out, Buffer.from(text), 0o644);
  return out;
}

export type TreeWriter = (rel: string, data: string | Uint8Array, mode: number) => Promise<void>;

/**
 * A writer of files below `root`, through the same checks as apply's write
 * port: the path stays under the folder (apply/paths.ts `insideRoot`), and
 * no symbolic link is on the way nor is the file one (system/links.ts).
 * The files are rendered copies (no fsync: a crash costs a re-run, never a
 * half-written file).
 */
export function treeWriter(system: System, root: string): TreeWriter {
  const links = new LinkGuard([root], system);
  // A folder this run made holds only what this run wrote: no link to look for.
  const madeDirs = new Map<string, boolean>();
  return async (rel, data, mode) => {
    const file = insideRoot(root, rel);
    const dir = dirname(file);
    if (madeDirs.get(dir) !== true) {
      const problem = await links.problem(file, root);
      if (problem !== undefined) throw new ClaudeEnvError('unsafe-path', `${file} ${problem}; render --all stopped there`, { file });
    }
    if (!madeDirs.has(dir)) {
      const existed = (await system.lstat(dir)) !== undefined;
      if (!existed) await system.mkdirp(dir);
      madeDirs.set(dir, !existed);
    }
    await system.writeFile(file, typeof data === 'string' ? Buffer.from(data) : data, mode, { durable: false });
  };
}
