// Bundle the CLI into a few ES modules (one per lazily loaded command), so a
// one-target command loads a handful of files instead of ~40: Node's module
// loader costs about a millisecond per file. yaml, ajv and ajv-formats stay
// outside: they are loaded only when a command needs them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['yaml', 'ajv', 'ajv-formats'],
  // CommonJS dependencies bundled into ES modules call require() for Node's own modules.
  banner: { js: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);" },
  logLevel: 'warning',
  // Where the bundled yaml (below) is, for src/repo/yaml.ts; the unbundled build has none and loads the package.
  define: { 'globalThis.CLAUDE_ENV_YAML_BUNDLE': JSON.stringify('./yaml.cjs') },
});

// yaml as one CommonJS file: it loads in ~5 ms instead of ~20 ms for its ~80 files,
// which a command pays whenever a document is not in the document cache.
await build({
  entryPoints: ['node_modules/yaml/dist/index.js'],
  outfile: 'dist/bundle/yaml.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  logLevel: 'warning',
});
