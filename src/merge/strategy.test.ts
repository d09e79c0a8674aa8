/** Which list strategy a key path gets: first matching glob wins, dotted globs, compiled globs cached safely. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrategy, strategyLookup, type ArrayStrategy } from './strategy.js';

const rules: Array<readonly [string, ArrayStrategy]> = [
  ['settings.permissions.allow', parseStrategy('unique')!],
  ['workflows.*.steps', parseStrategy({ 'merge-by-key': 'name' })!],
  ['settings.hooks.*', parseStrategy('append')!],
  ['security.**', parseStrategy('unique')!],
  ['settings.hooks.PreToolUse', parseStrategy('unique')!],
];
const kind = (lookup: ReturnType<typeof strategyLookup>, path: string): string => {
  const s = lookup(path.split('.'));
  return s.kind === 'merge-by-key' ? `merge-by-key:${s.key}` : s.kind;
};

describe('list strategies by path', () => {
  it('takes the first matching glob, * for one key and ** for any depth, replace otherwise, append for instructions', () => {
    const lookup = strategyLookup(rules);
    assert.equal(kind(lookup, 'settings.permissions.allow'), 'unique');
    assert.equal(kind(lookup, 'settings.permissions.deny'), 'replace');
    assert.equal(kind(lookup, 'workflows.release.steps'), 'merge-by-key:name');
    assert.equal(kind(lookup, 'workflows.release.extra.steps'), 'replace');
    assert.equal(kind(lookup, 'settings.hooks.PreToolUse'), 'append', 'the earlier glob wins');
    assert.equal(kind(lookup, 'security.permissions.required_deny'), 'unique');
    assert.equal(kind(lookup, 'instructions'), 'append');
    assert.equal(kind(lookup, 'files.a/b.c'), 'replace');
  });

  it('rejects values that are not strategies', () => {
    assert.equal(parseStrategy('merge'), undefined);
    assert.equal(parseStrategy({ 'merge-by-key': '' }), undefined);
    assert.equal(parseStrategy({ 'merge-by-key': 'name', extra: 1 }), undefined);
  });

  it('keeps compiled globs in a cache and answers the same from it, ignoring an entry made for another glob', () => {
    const store = new Map<string, string>();
    const cache = { get: (k: string) => store.get(k), set: (k: string, v: string) => void store.set(k, v) };
    const first = strategyLookup(rules, cache);
    const paths = ['workflows.a.steps', 'workflows.a.b.steps', 'settings.hooks.Stop', 'security.x.y', 'instructions'];
    const expected = paths.map((p) => kind(first, p));
    assert.ok(store.size >= 2, 'wildcard globs were compiled and kept');
    const again = strategyLookup(rules, cache);
    assert.deepEqual(paths.map((p) => kind(again, p)), expected);
    for (const k of store.keys()) store.set(k, JSON.stringify({ key: 'another glob', source: '.*', flags: '' }));
    const tampered = strategyLookup(rules, cache);
    assert.deepEqual(paths.map((p) => kind(tampered, p)), expected);
  });
});
