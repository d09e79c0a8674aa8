import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup, kept, listBackups, parseTiers, readBackup, type BackupFile } from './backup.js';
import { openStore } from './db/open.js';

const at = (iso: string): BackupFile => ({ file: `/b/${iso}`, name: iso, created_at: iso, bytes: 1 });

describe('backup tiers', () => {
  it('keep the newest backup of each of the last N hours, days, ISO weeks and months, and always the newest', () => {
    const backups = [
      '2026-12-03T14:50:00.000Z', // newest: hourly, daily, weekly, monthly
      '2026-12-03T14:10:00.000Z', // same hour as the newest: not kept
      '2026-12-03T13:30:00.000Z', // the second hour
      '2026-12-03T09:00:00.000Z', // a third hour: past hourly=2
      '2026-12-02T23:00:00.000Z', // the second day
      '2026-11-30T08:00:00.000Z', // Monday of the week: past daily=2, same ISO week as the newest
      '2026-11-29T08:00:00.000Z', // Sunday: the ISO week before, past weekly=1
      '2026-11-02T08:00:00.000Z', // November: the second month, past monthly=1
    ].map(at);
    const keep = kept(backups, { hourly: 2, daily: 2, weekly: 1, monthly: 1 });
    assert.deepEqual(Object.fromEntries(keep), {
      '2026-12-03T14:50:00.000Z': ['hourly', 'daily', 'weekly', 'monthly'],
      '2026-12-03T13:30:00.000Z': ['hourly'],
      '2026-12-02T23:00:00.000Z': ['daily'],
    });
    assert.deepEqual(Object.fromEntries(kept(backups, { hourly: 0, daily: 0, weekly: 0, monthly: 0 })), { '2026-12-03T14:50:00.000Z': ['latest'] });
  });

  it('are read from --keep, each tier defaulting to hourly 24, daily 7, weekly 4, monthly 12', () => {
    assert.deepEqual(parseTiers('daily=30, monthly=24'), { hourly: 24, daily: 30, weekly: 4, monthly: 24 });
    assert.throws(() => parseTiers('yearly=2'), /--keep yearly=2: expected tier=N pairs/);
  });
});

describe('backup names', () => {
  it('two backups made in the same millisecond get two names, and the tiers keep the newer', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'claude-env-backup-names-'));
    const store = await openStore(':memory:');
    t.after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const at = Date.parse('2026-12-03T15:00:00.000Z');
    const first = await createBackup(store, dir, at);
    const second = await createBackup(store, dir, at);
    assert.notEqual(second.file, first.file);
    assert.match(second.file, /controller-20261203T150000001Z\.jsonl\.gz$/);
    assert.deepEqual(second.removed, [first.file.slice(dir.length + 1)]);
    assert.deepEqual(listBackups(dir).map((b) => b.file), [second.file]);
    assert.equal(readBackup(second.file).header.migration, '0003_sweeps');
  });
});

