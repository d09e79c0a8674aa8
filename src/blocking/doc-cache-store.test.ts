/** The document cache on disk serves what was put, and stays under its size limit: once a day, the entries written longest ago go first. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskDocumentCache, pruneDaily } from './doc-cache-store.js';

const root = mkdtempSync(join(tmpdir(), 'claude-env-cache-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const LIMIT = 0.5 * 1024 * 1024;

/** Every file below `dir` (what the folder costs on disk). */
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const size = (dir: string): number => files(dir).reduce((n, f) => n + statSync(f).size, 0);
/** Moves every file below `dir` one hour into the past (what was written before looks older). */
const anHourPasses = (dir: string): void => {
  for (const f of files(dir)) {
    const t = (statSync(f).mtimeMs - HOUR) / 1000;
    utimesSync(f, t, t);
  }
};

describe('document cache on disk', () => {
  it('gives back what was put, and nothing for what was not', () => {
    const cache = diskDocumentCache({ CLAUDE_ENV_CACHE: join(root, 'new'), CLAUDE_ENV_CACHE_MAX_MB: '0.5' })!;
    cache.set('g-abcdef', 'data');
    assert.equal(cache.get('g-abcdef'), 'data');
    assert.equal(cache.get('g-missing'), undefined);
  });

  it('once a day, brings its folder under its size limit, the entries written longest ago going first', () => {
    const dir = join(root, 'full');
    const cache = diskDocumentCache({ CLAUDE_ENV_CACHE: dir, CLAUDE_ENV_CACHE_MAX_MB: '0.5' })!;
    const value = (i: number): string => String(i).repeat(100 * 1024);
    // Ten entries of 100 KB, one an hour: 1 MB against a 0.5 MB limit.
    for (let i = 0; i < 10; i++) {
      cache.set(`g-${i}`, value(i));
      anHourPasses(dir);
    }
    assert.ok(size(dir) > LIMIT);
    const later = Date.now() + 2 * DAY;
    pruneDaily(dir, LIMIT, later);
    assert.ok(size(dir) <= LIMIT, `${size(dir)} bytes`);
    assert.equal(cache.get('g-9'), value(9), 'the newest entries are kept');
    assert.equal(cache.get('g-0'), undefined, 'the oldest went first');
    // Within the same day nothing is looked at again, however full it gets.
    for (let i = 10; i < 16; i++) cache.set(`g-${i}`, value(i));
    pruneDaily(dir, LIMIT, later + HOUR);
    assert.ok(size(dir) > LIMIT);
    assert.equal(cache.get('g-10'), value(10));
  });
});
