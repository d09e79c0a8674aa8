/**
 * targetOutputs: a warm cache gives exactly what a fresh render gives, and any
 * change to what the outputs are made from (a document of the chain, an
 * overlay file or its mode, the machine's own layer, the options) is a miss.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repo, type LayerDocument } from '../repo/repo.js';
import { memorySource } from '../repo/source.js';
import type { DocumentCache } from '../repo/doc-cache.js';
import { parseYaml } from '../repo/yaml.js';
import type { LayerMap } from '../provenance/tree.js';
import type { RepoPath, Target } from '../vocabulary.js';
import { renderTarget, targetOutputs } from './index.js';

const FILES: Record<string, string> = {
  'claude-env.yml': 'version: 1\n',
  'base/config.yml': 'settings:\n  model: sonnet\ninstructions:\n  - Base.\n',
  'base/mcp/memory.yml': 'command: npx\nargs: [server-memory]\n',
  'base/files/hooks/fmt.sh': '#!/bin/sh\necho base\n',
  'environments/development/config.yml': 'settings:\n  env:\n    REGION: eu\n',
  'teams/web/base-config.yml': 'settings:\n  model: opus\n',
  'teams/web/members.yml': '- { user: ann, role: developer, projects: [shop] }\n',
  'projects/shop/claude-config.yml': 'mcpServers:\n  shop-db:\n    command: db-server\n',
  'users/ann/overrides.yml': 'settings:\n  theme: dark\n',
};
const target: Target = { env: 'development', team: 'web', project: 'shop', user: 'ann' };

function memoryCache(): DocumentCache & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, get: (k) => entries.get(k), set: (k, v) => void entries.set(k, v) };
}
const open = (files: Record<string, string>, cache: DocumentCache, modes: Record<string, number> = {}): Repo => new Repo(memorySource(files, modes), { cache });
const plain = (outputs: readonly unknown[]): unknown => JSON.parse(JSON.stringify(outputs));
const local = (text: string): LayerDocument[] => [{ layer: 'user_local', file: '/home/ann/.claude/local-overrides.yml' as RepoPath, root: parseYaml(text, '/l.yml' as RepoPath, 'user_local').value as LayerMap }];

describe('targetOutputs', () => {
  it('gives from a warm cache exactly what a fresh render gives', () => {
    const cache = memoryCache();
    const cold = targetOutputs(open(FILES, cache), target);
    assert.deepEqual(plain(cold), plain(renderTarget(open(FILES, memoryCache()), target).outputs));
    const before = cache.entries.size;
    const warm = targetOutputs(open(FILES, cache), target);
    assert.deepEqual(plain(warm), plain(cold));
    assert.equal(cache.entries.size, before, 'a hit stores nothing new');
  });

  it('misses when any input changes: a document, an overlay, its mode, the local layer, --project-dir', () => {
    const cache = memoryCache();
    const base = plain(targetOutputs(open(FILES, cache), target));
    const cases: Array<[string, () => unknown, (o: unknown) => void]> = [
      ['a team document', () => targetOutputs(open({ ...FILES, 'teams/web/base-config.yml': 'settings:\n  model: haiku\n' }, cache), target), (o) => assert.match(JSON.stringify(o), /haiku/)],
      ['an overlay file', () => targetOutputs(open({ ...FILES, 'base/files/hooks/fmt.sh': '#!/bin/sh\necho changed\n' }, cache), target), (o) => assert.match(JSON.stringify(o), /echo changed/)],
      ['an overlay mode', () => targetOutputs(open(FILES, cache, { 'base/files/hooks/fmt.sh': 0o755 }), target), (o) => assert.ok((o as Array<{ path: string; mode: number }>).some((x) => x.path === '.claude/hooks/fmt.sh' && x.mode === 0o755))],
      ['the machine’s local layer', () => targetOutputs(open(FILES, cache), target, { extra: local('settings:\n  theme: light\n') }), (o) => assert.match(JSON.stringify(o), /light/)],
      ['--project-dir', () => targetOutputs(open(FILES, cache), target, { projectMcp: true }), (o) => assert.ok((o as Array<{ path: string }>).some((x) => x.path === '@project/.mcp.json'))],
    ];
    for (const [name, run, check] of cases) {
      const got = plain(run() as readonly unknown[]);
      assert.notDeepEqual(got, base, name);
      check(got);
    }
    // and the first input set is still served as it was
    assert.deepEqual(plain(targetOutputs(open(FILES, cache), target)), base);
  });

  it('keys a secret reference apart from a string that looks like its description', () => {
    const cache = memoryCache();
    targetOutputs(open(FILES, cache), target, { extra: local('settings:\n  env:\n    TOKEN: !secret env:TOKEN\n') });
    const after = cache.entries.size;
    targetOutputs(open(FILES, cache), target, { extra: local('settings:\n  env:\n    TOKEN: "«secret:env:TOKEN»"\n') });
    assert.equal(cache.entries.size, after + 1, 'the look-alike string is a miss, rendered and stored on its own');
  });
});
