/**
 * The core is pure (STYLE.md): no file, network or process I/O, no
 * environment, clock or randomness, and no imports of the edges. This test
 * reads the imports of every core file and fails on any that break it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './helpers.js';

const CORE = ['provenance', 'merge', 'repo', 'render', 'validate', 'schema', 'drift', 'access', 'impact'];
const EDGES = ['system', 'state', 'cli', 'secrets', 'mcp', 'controller', 'agent', 'metrics', 'dashboard', 'apply', 'remediate'];
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster|os)$/;
const IMPURE = [/process\.env/, /Date\.now\(/, /new Date\(\)/, /Math\.random\(/];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.includes('.test.') ? [join(dir, e.name)] : []));
}

describe('architecture', () => {
  it('keeps I/O, the environment, the clock and randomness out of the core', () => {
    const problems: string[] = [];
    for (const folder of CORE) {
      for (const file of files(join(ROOT, 'src', folder))) {
        const text = readFileSync(file, 'utf8');
        const rel = relative(ROOT, file);
        // `import type` leaves nothing at run time: only value imports count.
        for (const m of text.matchAll(/^\s*import\s(?!type\s)[^'"]*['"]([^'"]+)['"]/gm)) {
          const spec = m[1]!;
          if (IO_MODULES.test(spec)) problems.push(`${rel} imports ${spec}`);
          const edge = EDGES.find((e) => spec.includes(`/${e}/`));
          if (edge) problems.push(`${rel} imports the edge ${spec}`);
        }
        for (const re of IMPURE) if (re.test(text)) problems.push(`${rel} uses ${re.source}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
