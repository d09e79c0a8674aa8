/** A git tree listing as impact reads it: from `git ls-tree -r -z` or the cache, changed, and compared. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tree } from './repo-source.js';

const oid = (n: number): string => n.toString(16).padStart(40, '0');
const record = (mode: string, type: string, id: string, path: string): string => `${mode} ${type} ${id}\t${path}\0`;

describe('tree listing', () => {
  it('reads blobs with their modes, leaves submodules out and refuses symbolic links', () => {
    const t = Tree.fromLsTree(record('100644', 'blob', oid(1), 'a.yml') + record('100755', 'blob', oid(2), 'bin/run') + record('120000', 'blob', oid(3), 'link') + record('160000', 'commit', oid(4), 'vendor/lib'));
    assert.deepEqual(t.paths, ['a.yml', 'bin/run']);
    assert.deepEqual(t.get('bin/run'), { mode: 0o755, oid: oid(2) });
    assert.equal(t.get('link'), undefined);
    assert.deepEqual(t.refused.map((e) => [e.path, e.rule]), [['link', 'repo-symlink']]);
    assert.equal(t.get('vendor/lib'), undefined);
    assert.deepEqual(t.under('bin'), ['bin/run']);
  });

  it('refuses entries a crafted tree can hold: "..", ".", ".git", empty, a control character, a path listed twice; nothing under them is listed', () => {
    const t = Tree.fromLsTree(
      record('100644', 'blob', oid(1), 'base/files/../.bashrc') +
        record('100644', 'blob', oid(2), 'base/files/./x.md') +
        record('100644', 'blob', oid(3), 'base/files/.GIT/config') +
        record('100644', 'blob', oid(4), 'base/files//x.md') +
        record('100644', 'blob', oid(5), 'base/files/a\u001b.md') +
        record('100644', 'blob', oid(6), 'base/files/hooks/fmt.sh') +
        record('100644', 'blob', oid(7), 'base/files/hooks/fmt.sh') +
        record('100644', 'blob', oid(8), 'base/files/ok.md') +
        record('100644', 'blob', oid(9), 'base/files/.github/x.md'),
    );
    assert.deepEqual(t.paths, ['base/files/.github/x.md', 'base/files/ok.md']);
    assert.deepEqual(
      t.refused.map((e) => `${e.rule} ${e.path}`),
      ['repo-path base/files/../.bashrc', 'repo-path base/files/./x.md', 'repo-path base/files/.GIT/config', 'repo-path base/files//x.md', 'repo-path base/files/a\u001b.md', 'repo-path base/files/hooks/fmt.sh'],
    );
    assert.match(t.refused.find((e) => e.path.endsWith('fmt.sh'))!.message, /listed twice/);
    // the cache form keeps them, and a change that makes a path plain again lists it
    const back = Tree.fromJSON(t.toJSON())!;
    assert.deepEqual(back.refused, t.refused);
    const fixed = back.withChanges(new Map([['base/files/hooks/fmt.sh', { mode: 0o755, oid: oid(10) }], ['base/files/link', { mode: 0, oid: oid(11), link: true }]]));
    assert.ok(fixed.has('base/files/hooks/fmt.sh'));
    assert.deepEqual(fixed.refused.map((e) => e.path).filter((p) => p.endsWith('fmt.sh') || p.endsWith('link')), ['base/files/link']);
  });

  it('comes back from its cache form unchanged, and a damaged one is refused', () => {
    const t = Tree.fromLsTree(record('100644', 'blob', oid(1), 'a/b.yml') + record('160000', 'commit', oid(2), 'sub'));
    const back = Tree.fromJSON(t.toJSON())!;
    assert.deepEqual(back.paths, t.paths);
    assert.deepEqual(back.get('a/b.yml'), t.get('a/b.yml'));
    const json = t.toJSON();
    assert.equal(Tree.fromJSON(json.slice(0, json.length - 3)), undefined);
    assert.equal(Tree.fromJSON('{"p":["a"],"o":[],"m":[420],"r":[]}'), undefined);
    assert.equal(Tree.fromJSON('{"p":[],"o":[],"m":[],"r":[["a","repo-other","x"]]}'), undefined);
    assert.equal(Tree.fromJSON('null'), undefined);
  });

  it('gives the second of any two trees when the files they differ in are applied to the first', () => {
    // Trees over a small set of paths, so that the two share many files; content ids and modes from a small range.
    const paths = ['base/config.yml', 'teams/a/base-config.yml', 'teams/a/members.yml', 'teams/b/x.yml', 'teams/b-x.yml', 'users/u1/overrides.yml', 'z'];
    const tree = fc.dictionary(fc.constantFrom(...paths), fc.record({ oid: fc.integer({ min: 1, max: 4 }), exec: fc.boolean() }));
    fc.assert(
      fc.property(tree, tree, (x, y) => {
        const listing = (d: typeof x): Tree =>
          Tree.fromLsTree(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, e]) => record(e.exec ? '100755' : '100644', 'blob', oid(e.oid), p)).join(''));
        const a = listing(x);
        const b = listing(y);
        const changed = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((p) => !(p in x) || !(p in y) || x[p]!.oid !== y[p]!.oid || x[p]!.exec !== y[p]!.exec);
        const applied = a.withChanges(new Map(changed.map((p) => [p, b.get(p)])));
        assert.deepEqual(applied.paths, b.paths);
        for (const p of b.paths) assert.deepEqual(applied.get(p), b.get(p));
      }),
    );
  });
});
