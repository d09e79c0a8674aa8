/** The document cache gives back exactly what the parser gave: tree, origins, findings; and a changed byte is a miss. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { cacheKey, decodeParsed, encodeParsed, type DocumentCache } from './doc-cache.js';
import { Repo } from './repo.js';
import { memorySource, type RepoSource } from './source.js';
import { parseYaml, type ParsedYaml } from './yaml.js';
import { DELETE, SecretValue, originsOf, type LayerValue } from '../provenance/tree.js';
import type { RepoPath } from '../vocabulary.js';

/** Value and every origin, as plain data, to compare two parses. */
function dump(v: LayerValue | undefined): unknown {
  if (v === undefined || v === null) return v;
  if (v === DELETE) return '<delete>';
  if (v instanceof SecretValue) return `<secret ${v.provider} ${v.ref}>`;
  if (typeof v !== 'object') return v;
  const o = originsOf(v)!;
  if (Array.isArray(v)) return { self: o.self, items: v.map((x, i) => [o.items![i], dump(x)]) };
  return { self: o.self, keys: Object.entries(v).map(([k, x]) => [k, o.keys![k], dump(x)]) };
}
const same = (a: ParsedYaml, b: ParsedYaml): void => {
  assert.deepEqual(dump(b.value), dump(a.value));
  assert.deepEqual(b.findings, a.findings);
  assert.deepEqual(b.rootOrigin, a.rootOrigin);
};
const file = 'teams/web/base-config.yml' as RepoPath;

describe('document cache', () => {
  it('round-trips any document exactly, origins included', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), tie('m'), tie('l')),
      m: fc.dictionary(fc.string({ minLength: 1 }), tie('v'), { maxKeys: 4 }),
      l: fc.array(tie('v'), { maxLength: 4 }),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const parsed = parseYaml(stringify(v), file, 'team');
        same(parsed, decodeParsed(encodeParsed(parsed, stringify(v)), stringify(v), file, 'team')!);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps !delete, secrets, findings and documents with errors', () => {
    for (const text of ['model: !delete\ntoken: !secret env:TOKEN\nbad: !secret nope\n', 'a: [1\n', 'a: 1\na: 2\n', '', '# only a comment\n']) {
      const parsed = parseYaml(text, file, 'team');
      same(parsed, decodeParsed(encodeParsed(parsed, text), text, file, 'team')!);
    }
  });

  it('names the file and layer of the place it is read for, not where it was first parsed', () => {
    const parsed = parseYaml('a: 1\n', file, 'team');
    const elsewhere = decodeParsed(encodeParsed(parsed, 'a: 1\n'), 'a: 1\n', 'teams/api/base-config.yml' as RepoPath, 'team')!;
    assert.equal(originsOf(elsewhere.value as object)!.keys!['a']!.file, 'teams/api/base-config.yml');
  });

  it('keys by content, uses an entry only for the very text it was parsed from, and treats a damaged entry as a miss', () => {
    assert.notEqual(cacheKey('a: 1\n'), cacheKey('a: 2\n'));
    assert.equal(cacheKey('a: 1\n'), cacheKey('a: 1\n'));
    const entry = encodeParsed(parseYaml('a: 1\n', file, 'team'), 'a: 1\n');
    assert.equal(decodeParsed(entry, 'a: 2\n', file, 'team'), undefined, 'a colliding key with another text is a miss');
    assert.equal(decodeParsed('{"v": [', 'a: 1\n', file, 'team'), undefined);
  });

  it('finds a document by its content id without reading it, and reads it again when the id changes', () => {
    const files: Record<string, string> = { 'claude-env.yml': 'version: 1\n', 'teams/web/base-config.yml': 'settings:\n  model: opus\n' };
    const ids: Record<string, string> = { 'claude-env.yml': 'id-settings', 'teams/web/base-config.yml': 'id-web-1' };
    const reads: string[] = [];
    const prefetched: string[] = [];
    const store = new Map<string, string>();
    const cache: DocumentCache = { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    const source = (): RepoSource => {
      const inner = memorySource(files);
      return {
        ...inner,
        read: (p) => (reads.push(p), inner.read(p)),
        prefetch: (ps) => void prefetched.push(...ps),
        contentId: (p) => ids[p],
      };
    };
    const first = new Repo(source(), { cache });
    const model = (r: Repo): unknown => (r.document('teams/web/base-config.yml')!.value as { settings: { model: string } }).settings.model;
    assert.equal(model(first), 'opus');
    assert.deepEqual(reads.sort(), ['claude-env.yml', 'teams/web/base-config.yml']);
    // A second run with the same content ids reads nothing, prefetches nothing, and gets the same tree, origins included.
    reads.length = 0;
    const second = new Repo(source(), { cache, prefetch: ['claude-env.yml', 'teams/web/base-config.yml'] });
    assert.deepEqual(prefetched, []);
    assert.equal(model(second), 'opus');
    assert.deepEqual(reads, []);
    same(parseYaml(files['teams/web/base-config.yml']!, 'teams/web/base-config.yml' as RepoPath, 'team'), { value: second.document('teams/web/base-config.yml')!.value, findings: [...second.document('teams/web/base-config.yml')!.findings], rootOrigin: second.document('teams/web/base-config.yml')!.rootOrigin });
    // New content under a new id: read and parsed, never the old tree.
    files['teams/web/base-config.yml'] = 'settings:\n  model: sonnet\n';
    ids['teams/web/base-config.yml'] = 'id-web-2';
    const third = new Repo(source(), { cache, prefetch: ['claude-env.yml', 'teams/web/base-config.yml'] });
    assert.deepEqual(prefetched, ['teams/web/base-config.yml']);
    assert.equal(model(third), 'sonnet');
    // A damaged entry is a miss: the document is read and parsed again.
    for (const k of store.keys()) store.set(k, `${store.get(k)!.slice(0, 40)}`);
    reads.length = 0;
    const fourth = new Repo(source(), { cache });
    assert.equal(model(fourth), 'sonnet');
    assert.deepEqual(reads.sort(), ['claude-env.yml', 'teams/web/base-config.yml']);
  });
});
