/**
 * `claude-env backup create|list|verify|restore` on a running controller's store, SQLite and PostgreSQL: a backup
 * restored into an empty store holds every row (tokens still sign in, ids go on past the restored ones), a damaged
 * file is refused before anything changes, and a store that holds data is only replaced with --force, after a backup
 * of what it held.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { databaseFor, enrollAgent, skipPostgres, startFleet, waitFor, type DbKind } from '../support/fleet.js';
import { listBackups, readBackup } from '../../src/controller/backup.js';
import { openStore } from '../../src/controller/db/open.js';
import { hashToken } from '../../src/controller/tokens.js';

for (const db of ['sqlite', 'postgres'] as DbKind[]) {
  describe(`backups of the controller's store (${db})`, { skip: db === 'postgres' ? skipPostgres() ?? false : false }, () => {
    it('a backup restores into an empty store with every row, a damaged one is refused, a full store is replaced only with --force', { timeout: 180_000 }, async (t) => {
      const fleet = await startFleet({ db });
      t.after(() => fleet.close());
      const bob = await enrollAgent(fleet, join(fleet.root, 'bob'), { enrollToken: await fleet.token('enroll', 'development'), user: 'bob', team: 'frontend-team', project: 'web-application' });
      await bob.agent({ once: true }).run();
      const dir = join(fleet.root, 'backups');

      // While the controller runs
      const made = await cli(['backup', 'create', '--db', fleet.db, '--dir', dir, '--json']);
      assert.equal(made.code, 0, made.stderr);
      const backup = JSON.parse(made.stdout) as { file: string; migration: string; tables: Record<string, number> };
      assert.equal(backup.tables['machines'], 1);
      assert.ok(backup.tables['tokens']! >= 3 && backup.tables['reports']! >= 1 && backup.tables['rollouts']! >= 1, made.stdout);
      const list = await cli(['backup', 'list', '--dir', dir]);
      assert.match(list.stdout, /controller-\d{8}T\d{9}Z\.jsonl\.gz {2}hourly, daily, weekly, monthly\n$/);
      const verified = await cli(['backup', 'verify', '--dir', dir]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /: sound \(checksum and counts\), schema 0003_sweeps, /);

      // Into an empty store: every row, tokens sign in, and ids go on past the restored ones
      const target = await databaseFor(db, fleet.root, `restored_${process.pid}_${Date.now()}`);
      const restored = await cli(['backup', 'restore', backup.file, '--db', target.url]);
      assert.equal(restored.code, 0, restored.stderr);
      const [src, dst] = [fleet.store, await openStore(target.url)];
      t.after(() => dst.close());
      // Every row of the backup (the running controller may have written more since)
      assert.deepEqual(await dst.tableCounts(), backup.tables);
      assert.deepEqual((await dst.listMachines({})).map((m) => [m.id, m.user, m.applied_revision, m.state]), (await src.listMachines({})).map((m) => [m.id, m.user, m.applied_revision, m.state]));
      assert.equal((await dst.tokenByHash(hashToken(fleet.admin)))?.user, 'judy');
      await dst.audit({ at: Date.now(), actor: 'test', action: 'after-restore', subject: null, address: null, detail: null });
      assert.equal((await dst.auditLog(1))[0]!.action, 'after-restore');

      // A damaged backup: refused, the store untouched
      const bytes = readFileSync(backup.file);
      const damaged = join(fleet.root, 'damaged.jsonl.gz');
      writeFileSync(damaged, bytes.subarray(0, bytes.length - 40));
      const bad = await cli(['backup', 'verify', damaged]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /backup-invalid {2}.*damaged\.jsonl\.gz is not a sound backup: it does not decompress/);
      const before = await dst.tableCounts();
      assert.equal((await cli(['backup', 'restore', damaged, '--db', target.url, '--force'])).code, 1);
      assert.deepEqual(await dst.tableCounts(), before);

      // A store that holds data: only with --force, and what it held is backed up first
      const refused = await cli(['backup', 'restore', backup.file, '--db', target.url]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /the store holds 1 machines, \d+ tokens, \d+ syncs: restore into an empty store, or pass --force/);
      const forced = await cli(['backup', 'restore', backup.file, '--db', target.url, '--dir', join(fleet.root, 'pre'), '--force', '--json']);
      assert.equal(forced.code, 0, forced.stderr);
      const saved = (JSON.parse(forced.stdout) as { saved_first: string }).saved_first;
      assert.equal(JSON.parse((await cli(['backup', 'verify', saved, '--json'])).stdout).tables.audit, before['audit']);
    });
  });
}

describe('scheduled backups (serve --backup-every)', () => {
  it('the leader backs its store up on schedule, each backup sound', { timeout: 60_000 }, async (t) => {
    const dir = join(tmpdir(), `claude-env-scheduled-${process.pid}-${Date.now()}`);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fleet = await startFleet({ db: 'sqlite', serve: { backups: { dir, everyMs: 200 } } });
    t.after(() => fleet.close());
    await waitFor(() => listBackups(dir).length >= 1, 20_000, 'a scheduled backup');
    const first = listBackups(dir)[0]!.name;
    // The next one replaces it: the hourly tier keeps the newest of each hour
    await waitFor(() => listBackups(dir)[0]!.name !== first, 20_000, 'the next scheduled backup');
    assert.equal(listBackups(dir).length, 1);
    const { header } = readBackup(listBackups(dir)[0]!.file);
    assert.equal(header.migration, '0003_sweeps');
    assert.ok(header.tables['tokens']! >= 1 && header.tables['syncs']! >= 1, JSON.stringify(header.tables));
  });
});

