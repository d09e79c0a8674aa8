import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repo } from '../repo/repo.js';
import { memorySource } from '../repo/source.js';
import { scaffoldFiles } from '../repo/scaffold/index.js';
import { scopesOf } from './changes.js';
import { TargetIndex, targetKey } from './target-index.js';
import type { RepoPath, Target } from '../vocabulary.js';

const source = memorySource(Object.fromEntries(scaffoldFiles().map((f) => [f.path, f.content])));
const repo = new Repo(source);
const index = new TargetIndex(repo);
const keys = (ts: readonly Target[]): string[] => ts.map(targetKey).sort();

/** Every repo file each target's render reads: its chain's documents and its files/ overlays. */
function readsOf(t: Target): string[] {
  return repo.chain(t).flatMap((l) => (l.file.endsWith('/') ? source.list(l.file.slice(0, -1)) : [l.file]));
}

describe('TargetIndex', () => {
  it("finds every target whose chain reads a document, and no other (the scaffold's targets against Repo.chain)", () => {
    const readers = new Map<string, Set<string>>();
    for (const t of repo.targets()) for (const p of readsOf(t)) readers.set(p, (readers.get(p) ?? new Set()).add(targetKey(t)));
    assert.ok(readers.size > 40, 'the scaffold has documents and overlays in every layer');
    for (const [path, who] of readers) assert.deepEqual(keys(index.documentTargets(path)), [...who].sort(), path);
  });

  it('reaches every target from the repo settings and the schemas, and none from files outside the layers', () => {
    const all = keys(repo.targets());
    assert.deepEqual(keys(index.documentTargets('claude-env.yml')), all);
    assert.deepEqual(keys(index.documentTargets('schemas/org.schema.json')), all);
    for (const p of ['access.yml', 'README.md', '.github/workflows/config-validation.yml', 'teams/README.md']) assert.deepEqual(index.documentTargets(p), [], p);
  });

  it("reaches a team's targets from its members.yml, in every environment", () => {
    const ts = index.documentTargets('teams/backend-team/members.yml');
    assert.deepEqual(keys(ts), keys(repo.targets({ team: 'backend-team' })));
    assert.deepEqual([...new Set(ts.map((t) => t.env))].sort(), ['development', 'production', 'staging']);
  });

  it('counts a renamed file at both of its paths', () => {
    const scopes = scopesOf([{ status: 'renamed', path: 'users/bob/overrides.yml' as RepoPath, oldPath: 'users/alice/overrides.yml' as RepoPath }]);
    assert.deepEqual(scopes, [
      { kind: 'user', user: 'alice' },
      { kind: 'user', user: 'bob' },
    ]);
  });
});
