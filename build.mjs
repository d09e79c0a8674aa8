// Bundle the CLI into a few ES modules (one per lazily loaded command), so a
// one-target command loads a handful of files instead of ~40: Node's module
// loader costs about a millisecond per file. yaml, ajv and ajv-formats stay
// outside: they are loaded only when a command needs them.
import { rmSync } from 'node:fs';
import { dirname, relative, resolve as resolvePath } from 'node:path';
import { createRequire } from 'node:module';
const nodeRequire = createRequire(import.meta.url);
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

/**
 * Node's own modules are taken with require() rather than `import`: the ES
 * namespace of node:fs alone pulls in fs/promises, readline and streams
 * (~5 ms at every start), which require() leaves alone.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    // node:module stays an ES import: the banner needs it before anything can be required.
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path === 'node:module') return undefined;
      // The require() inside our stand-in module is the real one.
      if (args.namespace === 'builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    // Named exports, one per property of the module (esbuild keeps only those imported): an ES module
    // namespace built from a CommonJS one would copy every property of node:fs at each start.
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const names = Object.keys(nodeRequire(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const contents = [
        `const m = require(${JSON.stringify(args.path)});`,
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`),
        'export default m;',
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['yaml', 'ajv', 'ajv-formats', '@secretlint/*'],
  // CommonJS dependencies bundled into ES modules call require() for Node's own modules.
  banner: { js: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);" },
  logLevel: 'warning',
  // Where the bundled yaml (below) is, for src/repo/yaml.ts; the unbundled build has none and loads the package.
  define: { 'globalThis.CLAUDE_ENV_YAML_BUNDLE': JSON.stringify('./yaml.cjs'), 'globalThis.CLAUDE_ENV_SCHEMA_COMPILED': JSON.stringify('../schema-compiled/') },
};

const split = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  plugins: [builtinsByRequire],
  outdir: 'dist/bundle',
  metafile: true,
  splitting: true,
});

/**
 * The hot path as one file: `drift` and `explain` (the commands a machine runs
 * on a schedule, and the one people run by hand most) with everything they
 * import, in dist/bundle/hot.js. Loading one module instead of twenty saves
 * most of Node's per-module cost. bin/claude-env.js picks it for those two
 * commands; anything else they might load on demand (the MCP code of
 * `--online`, other commands) resolves to the chunks of the split build above.
 */
const HOT = new Set(['src/cli/drift.ts', 'src/cli/explain.ts']);
const splitOutputOf = new Map(
  Object.entries(split.metafile.outputs)
    .filter(([, o]) => o.entryPoint)
    .map(([out, o]) => [o.entryPoint, `./${out.replace(/^dist\/bundle\//, '')}`]),
);
const toSplit = {
  name: 'to-split',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const source = relative(process.cwd(), resolvePath(dirname(args.importer), args.path.replace(/\.js$/, '.ts')));
      if (HOT.has(source) || source.startsWith('src/secrets/') || source.startsWith('src/validate/policy')) return undefined;
      const out = splitOutputOf.get(source);
      if (!out) throw new Error(`hot bundle: no split chunk for ${source}`);
      return { path: out, external: true };
    });
  },
};
await build({ ...common, entryPoints: { hot: 'src/cli/main.ts' }, plugins: [toSplit, builtinsByRequire], outdir: 'dist/bundle', splitting: false });

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

/**
 * The JSON Schema of a target's merged tree, compiled ahead of time with
 * ajv's standalone code (dist/schema-compiled/merged.cjs): apply checks every
 * target against it before writing, and loading the compiled validator takes
 * ~8 ms where loading ajv and compiling the schema took ~160 ms. Made with the
 * options src/schema/index.ts uses; that module falls back to compiling when
 * the file is missing.
 */
{
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { Ajv } = nodeRequire('ajv');
  const standaloneCode = nodeRequire('ajv/dist/standalone').default;
  const { AJV_OPTIONS, sharedSchemas, shippedSchema } = await import('./dist/src/schema/kinds.js');
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  nodeRequire('ajv-formats').default(ajv);
  for (const schema of sharedSchemas()) ajv.addSchema(schema);
  mkdirSync('dist/schema-compiled', { recursive: true });
  const code = standaloneCode(ajv, ajv.compile(shippedSchema('merged')));
  // Formats would need ajv-formats wired into the generated code: the merged schema has none, and must keep it so.
  if (/formats/.test(code)) throw new Error('build: the merged schema uses formats; compile it with code.formats');
  writeFileSync('dist/schema-compiled/merged.cjs', code);
}
