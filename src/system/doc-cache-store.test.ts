/** The document cache on disk stays under its size limit: once a day, the entries written longest ago go first. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskDocumentCache } from './doc-cache-store.js';

const root = mkdtempSync(join(tmpdir(), 'claude-env-cache-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
const DAY = 24 * 60 * 60;

/** Entries e00…e09 of 100 KB each, e00 written longest ago. */
function fill(dir: string): void {
  const now = Date.now() / 1000;
  for (let i = 0; i < 10; i++) {
    const shard = join(dir, `e${i}`);
    mkdirSync(shard, { recursive: true });
    const path = join(shard, `e${i}-entry`);
    writeFileSync(path, 'x'.repeat(100 * 1024));
    utimesSync(path, now - (10 - i) * 3600, now - (10 - i) * 3600);
  }
}
const entries = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();

describe('document cache on disk', () => {
  it('gives back what was put, and a new cache is not pruned', () => {
    const dir = join(root, 'new');
    const cache = diskDocumentCache({ CLAUDE_ENV_CACHE: dir, CLAUDE_ENV_CACHE_MAX_MB: '0.5' })!;
    fill(dir);
    cache.set('g-abcdef', 'data');
    assert.equal(cache.get('g-abcdef'), 'data');
    assert.equal(cache.get('g-missing'), undefined);
    assert.equal(entries(dir).length, 11, 'the first write into a cache only marks when it was last pruned');
    assert.ok(existsSync(join(dir, '.pruned')));
  });

  it('once a day, removes the entries written longest ago until it is at 80 % of its limit', () => {
    const dir = join(root, 'old');
    fill(dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.pruned'), '');
    const twoDaysAgo = Date.now() / 1000 - 2 * DAY;
    utimesSync(join(dir, '.pruned'), twoDaysAgo, twoDaysAgo);
    // 1 MB of entries against a 0.5 MB limit: down to 400 KB, the oldest first, then this write
    diskDocumentCache({ CLAUDE_ENV_CACHE: dir, CLAUDE_ENV_CACHE_MAX_MB: '0.5' })!.set('g-new', 'data');
    assert.deepEqual(entries(dir), ['e6-entry', 'e7-entry', 'e8-entry', 'e9-entry', 'g-new']);
    assert.ok(Date.now() - statSync(join(dir, '.pruned')).mtimeMs < 60_000);
    // within the day, nothing is looked at again, however full it gets
    fill(dir);
    diskDocumentCache({ CLAUDE_ENV_CACHE: dir, CLAUDE_ENV_CACHE_MAX_MB: '0.5' })!.set('g-newer', 'data');
    assert.equal(entries(dir).length, 12);
  });
});
