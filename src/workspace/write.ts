/**
 * The files a command writes outside a machine's Claude Code config: the
 * tree of `render --all --out DIR` and the file of `access codeowners --out
 * FILE`. Each is one function, so that it can go through the System write
 * port (src/system) once that port covers them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT_FINDINGS, ClaudeEnvError } from '../errors.js';
import { insideRoot } from '../apply/paths.js';
import { writeFileAtomic } from '../system/atomic.js';
import { LinkGuard } from '../system/links.js';

/** Writes `text` to `path` (relative to `cwd`), making its folder; returns the absolute path. */
export function writeOutFile(cwd: string, path: string, text: string): string {
  const out = resolve(cwd, path);
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, text, 0o644);
  return out;
}

export type TreeWriter = (rel: string, data: string | Uint8Array, mode: number) => void;

/**
 * A writer of files below `root`, through the same checks as apply's write
 * port: the path stays under the folder (apply/paths.ts `insideRoot`), and
 * no symbolic link is on the way nor is the file one (system/links.ts).
 */
export function treeWriter(root: string): TreeWriter {
  const links = new LinkGuard([root]);
  // A folder this run made holds only what this run wrote: no link to look for.
  const madeDirs = new Map<string, boolean>();
  return (rel, data, mode) => {
    const file = insideRoot(root, rel);
    const dir = dirname(file);
    if (madeDirs.get(dir) !== true) {
      const problem = links.problem(file, root);
      if (problem !== undefined) throw new ClaudeEnvError('unsafe-path', `${file} ${problem}; render --all stopped there`, { file, exitCode: EXIT_FINDINGS });
    }
    if (!madeDirs.has(dir)) madeDirs.set(dir, mkdirSync(dir, { recursive: true }) !== undefined);
    writeFileSync(file, data, { mode });
  };
}
