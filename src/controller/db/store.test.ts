/**
 * The Store conformance suite on SQLite (a temp file) and PostgreSQL (a
 * throwaway cluster), then what only PostgreSQL has: surviving a server
 * restart, and a leader whose connection is killed from the server side.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ClaudeEnvError } from '../../errors.js';
import { openStore, redactUrl, type OpenStoreOptions } from './open.js';
import { LEADER_LOCK_KEY } from './postgres.js';
import { storeCase, until } from './store.case.js';
import type { Store } from './store.js';
import { postgresAvailable, startPostgres, type PostgresCluster } from '../../../test/support/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'claude-env-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storeCase('sqlite', () => openStore(join(dir, 'controller.db')));

const pgSkip = postgresAvailable();
let cluster: PostgresCluster | undefined;
let caseUrl = '';
/** Quick reconnects, so the tests need not wait out the production backoff. */
const fast: OpenStoreOptions = { reconnectMinMs: 50, reconnectMaxMs: 500, connectTimeoutMs: 2_000, leaderCheckMs: 1_000 };

describe('PostgreSQL', { skip: pgSkip ?? false }, () => {
  before(async () => {
    cluster = await startPostgres();
    caseUrl = await cluster.createDatabase('store_case');
  });
  after(async () => {
    await cluster?.close();
  });

  storeCase('postgres', () => openStore(caseUrl, fast));
});

describe('openStore', () => {
  it('opens an in-memory SQLite store', async () => {
    const s = await openStore(':memory:');
    await s.setMeta('k', 'v');
    assert.equal(await s.getMeta('k'), 'v');
    await s.close();
  });

  it('says which SQLite file it could not open', async () => {
    const file = join(dir, 'no-such-dir', 'controller.db');
    await assert.rejects(openStore(file), (err: unknown) => {
      assert.ok(err instanceof ClaudeEnvError);
      assert.equal(err.code, 'unreadable');
      assert.equal(err.file, file);
      return true;
    });
  });

  it('never shows the password of a PostgreSQL URL it could not reach', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const a = server.address();
        server.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 1));
      });
    });
    const url = `postgresql://ada:s3cr%40t-pw@127.0.0.1:${port}/fleet`;
    await assert.rejects(openStore(url, { connectTimeoutMs: 2_000 }), (err: unknown) => {
      assert.ok(err instanceof ClaudeEnvError);
      assert.equal(err.code, 'unavailable');
      assert.match(err.message, new RegExp(`postgresql://ada:\\*\\*\\*@127\\.0\\.0\\.1:${port}/fleet`));
      assert.doesNotMatch(err.message + JSON.stringify(err.toJSON()), /s3cr/);
      return true;
    });
  });

  it('redacts the password of a URL, and leaves one without a password alone', () => {
    assert.equal(redactUrl('postgres://u:p@ss@host:5432/db'), 'postgres://u:***@host:5432/db');
    assert.equal(redactUrl('postgres://u@host/db'), 'postgres://u@host/db');
    assert.equal(redactUrl('postgres://host/db?sslmode=require&password=x&user=u'), 'postgres://host/db?sslmode=require&password=***&user=u');
  });
});

/** The pids of the backends holding the leader's lock in the current database. */
async function lockHolders(admin: pg.Client): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `select pid from pg_locks
      where locktype = 'advisory' and granted and objsubid = 1
        and database = (select oid from pg_database where datname = current_database())
        and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [LEADER_LOCK_KEY],
  );
  return rows.map((r) => r.pid);
}

describe('PostgreSQL store under failure', { skip: pgSkip ?? false, timeout: 120_000 }, () => {
  const stores: Store[] = [];
  const admins: pg.Client[] = [];
  let failing: PostgresCluster | undefined;
  const open = async (url: string) => {
    const s = await openStore(url, { ...fast, onError: () => {} });
    stores.push(s);
    return s;
  };
  const admin = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    admins.push(c);
    return c;
  };

  before(async () => {
    // A cluster of its own: restarting it must not disturb the suite above.
    failing = await startPostgres();
  });
  after(async () => {
    await Promise.all(admins.map((c) => c.end().catch(() => {})));
    await Promise.all(stores.map((s) => s.close()));
    await failing?.close();
  });

  it('survives a server restart: the leader is told it lost, then leads again, and queries and notifications work', { timeout: 60_000 }, async () => {
    const url = await failing!.createDatabase('restart');
    const s = await open(url);
    let lost = 0;
    assert.equal(await s.lead(() => void lost++), true);
    const got: string[] = [];
    await s.listen('assign', (p) => got.push(p));
    await s.notify('assign', 'before');
    await until('the notification before the restart', () => got.includes('before'));

    await failing!.stop();
    await until('the loss of leadership', () => lost === 1);
    assert.equal(s.leading(), false);
    await assert.rejects(s.ping(), 'the database is down');
    await failing!.start();

    await s.ping();
    await s.setMeta('after-restart', 'yes');
    assert.equal(await s.getMeta('after-restart'), 'yes');
    await until('leading again', () => s.lead(() => void lost++), 15_000);
    assert.equal(s.leading(), true);
    // Notifications sent before the LISTEN connection is back are lost: send until one arrives.
    let n = 0;
    await until('a notification after the restart', async () => {
      await s.notify('assign', `after-${n++}`);
      await new Promise((r) => setTimeout(r, 50));
      return got.some((p) => p.startsWith('after-'));
    }, 15_000);
    assert.equal(lost, 1, 'onLost once for the one loss');
  });

  it('hands leadership over when the leader\'s connection is killed by the server, never to two at once', { timeout: 60_000 }, async () => {
    const url = await failing!.createDatabase('terminate');
    const [a, b] = [await open(url), await open(url)];
    const watcher = await admin(url);
    let lostA = 0;
    assert.equal(await a.lead(() => void lostA++), true);
    assert.equal(await b.lead(), false);
    const holders = await lockHolders(watcher);
    assert.equal(holders.length, 1);

    // Sample the lock's holders all along the handover.
    let sampling = true;
    let most = 0;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await lockHolders(watcher)).length);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const killer = await admin(url);
    await killer.query('select pg_terminate_backend($1)', [holders[0]]);
    await until('the leader to learn it lost', () => lostA === 1);
    assert.equal(a.leading(), false);
    await until('the other to lead', () => b.lead());
    assert.equal(a.leading(), false);
    assert.equal(await a.lead(), false, 'the new leader holds the lock');
    sampling = false;
    await sampler;

    const now = await lockHolders(watcher);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], holders[0]);
    assert.ok(most <= 1, `at most one holder of the lock at any time (saw ${most})`);
    assert.equal(lostA, 1);
  });
});
