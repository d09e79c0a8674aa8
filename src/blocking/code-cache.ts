/**
 * A CommonJS file loaded through a V8 code cache that is made after the
 * process has run: it holds the functions compiled during the run. Node's own
 * compile cache (enabled in bin/claude-env.js) is made when a module is
 * compiled, before any of its functions has run, so it holds only the module's
 * top level; a parser's hundreds of functions are then compiled again, lazily,
 * in every process (`yaml`: ~10 ms to load and ~10 ms more for the first
 * document, against ~4 and ~5 with this cache, measured here).
 *
 * The cache is written at exit, atomically, when the run used the module
 * (`use()` > 0: for `yaml`, the documents it parsed) and there was no cache,
 * V8 refused it (another Node), or this run used it more than the run that
 * made it (the cache then holds the functions of a bigger run: a first run
 * that parsed one document leaves out most of the parser). Any failure is a
 * plain load: a cache never stops a command.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cacheKey } from '../repo/doc-cache.js';
import { writeFileAtomic } from './atomic.js';

const require = createRequire(import.meta.url);

export function requireWithCodeCache(file: string, cacheDir: string | undefined, use: () => number): unknown {
  const { Script } = require('node:vm') as typeof import('node:vm');
  const source = readFileSync(file, 'utf8');
  const path = cacheDir === undefined ? undefined : join(cacheDir, 'v8', `${basename(file)}-${process.versions.v8}-${cacheKey(source)}.bin`);
  let cachedData: Buffer | undefined;
  let madeBy = 0;
  if (path !== undefined) {
    try {
      cachedData = readFileSync(path);
      madeBy = Number(readFileSync(`${path}.use`, 'utf8')) || 0;
    } catch {
      /* no cache yet, or made by a run that did not say how much it used */
    }
  }
  // The wrapper CommonJS gives a module, on one line so that line numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  if (path !== undefined) {
    const refresh = cachedData === undefined || script.cachedDataRejected === true;
    process.once('exit', () => {
      const used = use();
      if (used <= 0 || (!refresh && used <= madeBy)) return;
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileAtomic(path, script.createCachedData(), 0o600, false);
        writeFileAtomic(`${path}.use`, String(used), 0o600, false);
      } catch {
        /* a cache that cannot be written is just a cache that misses */
      }
    });
  }
  return module.exports;
}
