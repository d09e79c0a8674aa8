/**
 * Merge laws, for any layers (fast-check): an empty layer changes nothing;
 * `unique` never yields duplicates and keeps first positions; every leaf's
 * provenance points at a document that holds that value.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseYaml } from '../repo/yaml.js';
import { Merger, canonical } from './merge.js';
import { strategyLookup, parseStrategy } from './strategy.js';
import { isMap, originAt, toPlain, type LayerMap, type TreeMap, type Value } from '../provenance/tree.js';
import type { Finding, LayerName, RepoPath } from '../vocabulary.js';

const merger = (): Merger =>
  new Merger(
    strategyLookup([
      ['**.u', parseStrategy('unique')!],
      ['**.p', parseStrategy('append')!],
      ['**.m', parseStrategy({ 'merge-by-key': 'name' })!],
    ]),
  );

const key = fc.constantFrom('a', 'b', 'c', 'u', 'p', 'm', 'name');
const scalar = fc.oneof(fc.constantFrom('x', 'y', 'z', 'DEL', 'NULL'), fc.integer({ min: 0, max: 3 }), fc.boolean());
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
  list: fc.array(fc.oneof(scalar, fc.record({ name: fc.constantFrom('n1', 'n2', 'n3'), v: scalar })), { maxLength: 4 }),
}));
const layerDoc = fc.dictionary(key, tree, { maxKeys: 4 });

/** YAML text of a generated layer, with `DEL` as the `!delete` tag and `NULL` as null. */
function yamlOf(v: unknown): string {
  return stringify(v).replaceAll(/: DEL$/gm, ': !delete').replaceAll(/- DEL$/gm, '- x').replaceAll(/: NULL$/gm, ': null').replaceAll(/- NULL$/gm, '- y');
}

function parseLayer(text: string, file: string, layer: LayerName = 'team'): LayerMap {
  const p = parseYaml(text, file as RepoPath, layer);
  assert.equal(p.findings.length, 0, JSON.stringify(p.findings));
  return (isMap(p.value) ? p.value : {}) as LayerMap;
}

function fold(m: Merger, layers: LayerMap[]): TreeMap {
  const findings: Finding[] = [];
  let t: TreeMap = {};
  for (const l of layers) t = m.apply(t, l, findings);
  return t;
}

describe('merge laws', () => {
  it('an empty layer changes nothing, wherever it is inserted', () => {
    fc.assert(
      fc.property(fc.array(layerDoc, { minLength: 1, maxLength: 4 }), fc.nat(), (docs, pos) => {
        const m = merger();
        const layers = docs.map((d, i) => parseLayer(yamlOf(d), `l${i}.yml`));
        const empty = parseLayer('{}\n', 'empty.yml');
        const at = pos % (layers.length + 1);
        const with_ = [...layers.slice(0, at), empty, ...layers.slice(at)];
        const a = fold(m, layers);
        const b = fold(m, with_);
        assert.deepEqual(toPlain(b), toPlain(a));
      }),
      { numRuns: 300 },
    );
  });

  it('unique never yields duplicates and keeps the first position of each item', () => {
    const item = fc.oneof(fc.constantFrom('r1', 'r2', 'r3', 'r4'), fc.record({ k: fc.constantFrom('a', 'b') }));
    fc.assert(
      fc.property(fc.array(fc.array(item, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), (lists) => {
        const m = merger();
        const layers = lists.map((l, i) => parseLayer(stringify({ u: l }), `l${i}.yml`));
        const merged = fold(m, layers)['u'] as Value[];
        const ids = merged.map(canonical);
        assert.equal(new Set(ids).size, ids.length, 'no duplicates');
        const all = lists.flat().map((v) => canonical(v as Value));
        const firsts = all.filter((id, i) => all.indexOf(id) === i);
        assert.deepEqual(ids, firsts, 'first positions kept, in order');
      }),
      { numRuns: 300 },
    );
  });

  it("every leaf's provenance points at a document that holds that value", () => {
    fc.assert(
      fc.property(fc.array(layerDoc, { minLength: 1, maxLength: 4 }), (docs) => {
        const m = merger();
        const texts = new Map(docs.map((d, i) => [`l${i}.yml`, yamlOf(d)]));
        const layers = [...texts].map(([file, text]) => parseLayer(text, file));
        const merged = fold(m, layers);
        // value at each file:line:col of each document, read back from the documents themselves
        const held = new Map<string, unknown>();
        for (const [file, text] of texts) collectLeaves(parseLayer(text, file), held);
        const check = (v: Value, container: object, k: string | number): void => {
          if (typeof v === 'object' && v !== null) {
            if (Array.isArray(v)) v.forEach((item, i) => check(item, v, i));
            else for (const [ck, cv] of Object.entries(v)) check(cv, v, ck);
            return;
          }
          const o = originAt(container, k);
          assert.ok(o, `leaf ${String(k)} has an origin`);
          const id = `${o.file}:${o.line}:${o.column}`;
          assert.ok(held.has(id), `${id} holds a value`);
          assert.deepEqual(held.get(id), v, `${id} holds ${JSON.stringify(v)}`);
        };
        for (const [k, v] of Object.entries(merged)) check(v, merged, k);
      }),
      { numRuns: 300 },
    );
  });
});

function collectLeaves(v: unknown, out: Map<string, unknown>): void {
  if (typeof v !== 'object' || v === null) return;
  const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, child] of entries) {
    const o = originAt(v, k);
    if (o && (typeof child !== 'object' || child === null)) out.set(`${o.file}:${o.line}:${o.column}`, child);
    collectLeaves(child, out);
  }
}
