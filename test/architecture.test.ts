/**
 * The architecture is checked, not hoped for: parts.json maps every folder of
 * src/ to a part and lists the arrows between parts; this test reads every
 * import of every source file (type imports, `export … from` and `import()`
 * included) and fails on an arrow the map does not allow. The core is also
 * kept free of the environment, the clock and randomness.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';
import { checkParts, describeArrow, partOf, type PartsMap } from './support/parts.js';

const map = JSON.parse(readFileSync(join(ROOT, 'parts.json'), 'utf8')) as PartsMap;

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.set(relative(ROOT, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

const src = sources(join(ROOT, 'src'));
const verdict = checkParts(map, src);

describe('the parts map (parts.json)', () => {
  it('puts every source file of src/ in a part', () => {
    assert.deepEqual(verdict.unmapped, []);
  });

  it('is consistent: every part it names exists, and no part is allowed an arrow its layer forbids', () => {
    const problems: string[] = [];
    const names = new Set(Object.keys(map.parts));
    const mayNot: Record<string, readonly string[]> = { core: map.rules['core may not import'], edge: map.rules['edge may not import'], kernel: map.rules['kernel may not import'], api: map.rules['api may not import'] };
    for (const [name, part] of Object.entries(map.parts)) {
      if (!(part.layer in map.layers)) problems.push(`${name}: unknown layer ${part.layer}`);
      for (const to of part.uses) {
        if (to === '*') continue;
        if (!names.has(to)) problems.push(`${name} uses ${to}, which is no part`);
        else if (mayNot[part.layer]?.includes(map.parts[to]!.layer)) problems.push(`${name} (${part.layer}) lists ${to} (${map.parts[to]!.layer}), which its layer may not import`);
        else if (map.rules['nobody imports'].includes(map.parts[to]!.layer)) problems.push(`${name} lists ${to}, which nobody imports`);
      }
    }
    for (const p of map.pending) if (!names.has(p.from) || !names.has(p.to)) problems.push(`pending ${p.from} → ${p.to} names no part`);
    assert.deepEqual(problems, []);
  });

  it('finds no import along an arrow the map does not allow', () => {
    assert.deepEqual(verdict.wrong.map(describeArrow), []);
    assert.deepEqual(verdict.unresolved, []);
  });

  it('lists as pending only arrows that are still there (empty the list as they go)', (t) => {
    const stale = map.pending.filter((p) => !verdict.pending.some((a) => a.from === p.from && a.to === p.to));
    assert.deepEqual(stale, []);
    // The arrows still waiting, for whoever runs the suite.
    for (const a of verdict.pending) t.diagnostic(`pending: ${describeArrow(a)}`);
  });

  it('fails on a forbidden import planted in the core, a type import too, and names the arrow', () => {
    const planted = new Map(src);
    planted.set('src/drift/planted.ts', "import type { Lock } from '../state/lock.js';\nimport { git } from '../system/git.js';\nexport const x = (): unknown => [git, null as unknown as Lock];\n");
    planted.set('src/render/planted.ts', "export * from '../cli/io.js';\nexport const later = () => import('../mcp/check.js');\nimport { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    planted.set('src/state/planted.ts', "export type T = import('../cli/main.js').CliIO;\n");
    const v = checkParts(map, planted);
    const found = v.wrong.filter((a) => a.file.endsWith('/planted.ts')).map((a) => `${a.file}:${a.line} ${a.how} ${a.from} → ${a.to}`);
    assert.deepEqual(found.sort(), [
      'src/drift/planted.ts:1 import type drift → state',
      'src/drift/planted.ts:2 import drift → system',
      'src/render/planted.ts:1 export from render → cli',
      'src/render/planted.ts:2 import() render → mcp',
      'src/render/planted.ts:3 import render → node:fs',
      'src/state/planted.ts:1 import type() state → cli',
    ]);
    // An arrow listed as pending is reported as pending, never let through silently.
    const lenient = checkParts({ ...map, pending: [{ from: 'drift', to: 'state', why: 'planted' }] }, planted);
    assert.ok(lenient.pending.some((a) => a.file === 'src/drift/planted.ts' && a.to === 'state' && a.how === 'import type'));
    assert.ok(!lenient.wrong.some((a) => a.file === 'src/drift/planted.ts' && a.to === 'state'));
  });

  it('fails on a file no part maps (a new folder must be placed in the map)', () => {
    const planted = new Map(src);
    planted.set('src/newfolder/x.ts', 'export const x = 1;\n');
    assert.deepEqual(checkParts(map, planted).unmapped, ['src/newfolder/x.ts']);
  });

  it('keeps the programmatic API (index.ts) to the core: it exports no edge and no CLI', () => {
    assert.equal(partOf(map, 'src/index.ts'), 'api');
    const planted = new Map(src);
    planted.set('src/index.ts', `${src.get('src/index.ts')}\nexport { main } from './cli/main.js';\nexport { runApply } from './apply/run.js';\n`);
    const arrows = checkParts(map, planted).wrong.filter((a) => a.file === 'src/index.ts').map((a) => `${a.from} → ${a.to}`);
    assert.deepEqual(arrows.sort(), ['api → apply-run', 'api → cli']);
  });
});

/** `process.env`, `Date.now()`, `new Date()` (no argument), `Math.random()`, `performance.now()` in a file. */
function impureUses(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (n: ts.Node): string => `${file}:${source.getLineAndCharacterOfPosition(n.getStart(source)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && n.getText(source) === 'process.env') found.push(`${at(n)} process.env`);
    if (ts.isCallExpression(n) && ['Date.now', 'Math.random', 'performance.now'].includes(n.expression.getText(source))) found.push(`${at(n)} ${n.expression.getText(source)}()`);
    if (ts.isNewExpression(n) && n.expression.getText(source) === 'Date' && (n.arguments?.length ?? 0) === 0) found.push(`${at(n)} new Date()`);
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

describe('the core', () => {
  it('reads no environment, clock or randomness: they arrive as arguments', () => {
    const problems: string[] = [];
    for (const [file, text] of src) {
      const part = partOf(map, file);
      if (/\.(test|prop\.test|case)\.ts$/.test(file) || part === undefined) continue;
      const layer = map.parts[part]!.layer;
      if (layer === 'core' || layer === 'kernel') problems.push(...impureUses(file, text));
    }
    assert.deepEqual(problems, []);
  });

  it('would be caught reading the clock or the environment', () => {
    assert.deepEqual(impureUses('src/drift/x.ts', 'const a = process.env.HOME; const b = Date.now(); const c = new Date(); const d = new Date(0);'), ['src/drift/x.ts:1 process.env', 'src/drift/x.ts:1 Date.now()', 'src/drift/x.ts:1 new Date()']);
  });
});
