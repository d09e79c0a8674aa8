/**
 * PostgreSQL for the store: a pg.Pool behind Kysely's PostgresDialect for
 * queries, and two dedicated connections for coordination between
 * replicas: one holds the leader's advisory lock (losing that connection
 * loses leadership at once), one LISTENs (and reconnects with a capped
 * backoff, listening again to every channel). 64-bit integers are read as
 * JS numbers through the connections' own type parser, never globally.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import type { Coordinator } from './kysely-store.js';
import type { Database } from './schema.js';

/** The leader's lock: a fixed 64-bit key ("claudeen" in ASCII), per database. */
export const LEADER_LOCK_KEY = '7164793138337293678';

export interface PostgresOptions {
  /** Pool size (default 10). */
  readonly poolSize?: number;
  /** Bound on opening one connection (ms, default 5000). */
  readonly connectTimeoutMs?: number;
  /** Backoff of the LISTEN connection's and the lock's reconnects (ms, default 100 doubling up to 5000). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** How often the leader checks its lock connection is alive (ms, default 5000). */
  readonly leaderCheckMs?: number;
  /** Errors the store recovered from in the background (a dropped connection, a reconnect that failed). */
  readonly onError?: (err: Error) => void;
}

/** INT8 (bigint: times, ids, counts) as a JS number; everything else as pg parses it. */
const typesOf = (): pg.CustomTypesConfig => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
});

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export interface PostgresStoreParts {
  readonly db: Kysely<Database>;
  readonly coordinator: Coordinator;
}

/** A pool (connected lazily) and the coordination connections (connected when first needed). */
export function openPostgres(url: string, options: PostgresOptions = {}): PostgresStoreParts {
  const onError = options.onError ?? (() => {});
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // pg's pool applies this to waiting for a free client too (brianc/node-pg-pool#70): a burst of queries
    // must queue, not fail, so the pool waits longer than a lone connection attempt.
    connectionTimeoutMillis: Math.max(connectTimeoutMs, 30_000),
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types: typesOf(),
  });
  // An idle client whose server went away: the pool drops it; the process goes on.
  pool.on('error', (err) => onError(err));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const coordinator = new PgCoordinator(db, () => new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, types: typesOf() }), {
    minMs: options.reconnectMinMs ?? 100,
    maxMs: options.reconnectMaxMs ?? 5000,
    leaderCheckMs: options.leaderCheckMs ?? 5000,
    onError,
  });
  return { db, coordinator };
}

interface CoordinatorSettings {
  readonly minMs: number;
  readonly maxMs: number;
  readonly leaderCheckMs: number;
  readonly onError: (err: Error) => void;
}

/** Run a query Kysely compiled on a connection of our own. */
const run = (client: pg.Client, q: CompiledQuery) => client.query(q.sql, q.parameters as unknown[]);

/** A client whose first `error` or `end` calls `gone` once (a lost connection is never reused). */
async function connect(newClient: () => pg.Client, gone: (client: pg.Client, err?: Error) => void): Promise<pg.Client> {
  const client = newClient();
  let done = false;
  const once = (err?: Error) => {
    if (done) return;
    done = true;
    client.end().catch(() => {});
    gone(client, err);
  };
  client.on('error', (err) => once(err));
  client.on('end', () => once());
  try {
    await client.connect();
  } catch (err) {
    done = true;
    client.end().catch(() => {});
    throw err;
  }
  return client;
}

class PgCoordinator implements Coordinator {
  readonly #db: Kysely<Database>;
  readonly #newClient: () => pg.Client;
  readonly #settings: CoordinatorSettings;
  #closed = false;

  // The leader's lock.
  #lockClient: pg.Client | undefined;
  #leading = false;
  #onLost: (() => void) | undefined;
  #leaderCheck: NodeJS.Timeout | undefined;
  #lockFailures = 0;
  #lockRetryAt = 0;
  #leadCall: Promise<boolean> | undefined;

  // LISTEN.
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #listenClient: pg.Client | undefined;
  #listenConnecting: Promise<pg.Client> | undefined;
  #listenFailures = 0;
  #listenRetry: NodeJS.Timeout | undefined;

  constructor(db: Kysely<Database>, newClient: () => pg.Client, settings: CoordinatorSettings) {
    this.#db = db;
    this.#newClient = newClient;
    this.#settings = settings;
  }

  #backoff(failures: number): number {
    const { minMs, maxMs } = this.#settings;
    const ms = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 20));
    return ms / 2 + Math.random() * (ms / 2);
  }

  // --- leader -----------------------------------------------------------------------------------------------------

  leading(): boolean {
    return this.#leading;
  }

  lead(onLost?: () => void): Promise<boolean> {
    if (this.#leading) return Promise.resolve(true);
    this.#leadCall ??= this.#tryLead(onLost).finally(() => (this.#leadCall = undefined));
    return this.#leadCall;
  }

  async #tryLead(onLost?: () => void): Promise<boolean> {
    if (this.#closed) return false;
    let client = this.#lockClient;
    if (client === undefined) {
      // After a failed connect, wait out the backoff: calls before then answer false at once.
      if (Date.now() < this.#lockRetryAt) return false;
      try {
        client = await connect(this.#newClient, (c, err) => this.#lockGone(c, err));
      } catch (err) {
        this.#lockFailures++;
        this.#lockRetryAt = Date.now() + this.#backoff(this.#lockFailures);
        this.#settings.onError(asError(err));
        return false;
      }
      this.#lockFailures = 0;
      if (this.#closed) {
        await client.end().catch(() => {});
        return false;
      }
      this.#lockClient = client;
    }
    let locked = false;
    try {
      const { rows } = await run(client, sql<{ locked: boolean }>`select pg_try_advisory_lock(${LEADER_LOCK_KEY}::bigint) as locked`.compile(this.#db));
      locked = rows[0]?.locked === true;
    } catch (err) {
      this.#settings.onError(asError(err));
      this.#dropLockClient(client);
      return false;
    }
    // The connection may have gone while the answer was on its way: then the lock went with it.
    if (!locked || this.#lockClient !== client || this.#closed) return false;
    this.#leading = true;
    this.#onLost = onLost;
    this.#leaderCheck = setInterval(() => void this.#checkLeader(client), this.#settings.leaderCheckMs);
    this.#leaderCheck.unref();
    return true;
  }

  /** A half-open connection shows no error: ask it something, bounded by the check's own period. */
  async #checkLeader(client: pg.Client): Promise<void> {
    if (this.#lockClient !== client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the leader lock connection did not answer')), this.#settings.leaderCheckMs);
    });
    try {
      await Promise.race([run(client, sql`select 1`.compile(this.#db)), timeout]);
    } catch (err) {
      this.#settings.onError(asError(err));
      this.#dropLockClient(client);
    } finally {
      clearTimeout(timer);
    }
  }

  #lockGone(client: pg.Client, err?: Error): void {
    if (err !== undefined && !this.#closed) this.#settings.onError(err);
    this.#dropLockClient(client);
  }

  /** The lock's connection is gone or unusable: leadership ends now, and onLost is told once. */
  #dropLockClient(client: pg.Client): void {
    if (this.#lockClient !== client) return;
    this.#lockClient = undefined;
    client.end().catch(() => {});
    const wasLeading = this.#leading;
    const onLost = this.#onLost;
    this.#stopLeading();
    if (wasLeading && !this.#closed && onLost !== undefined) {
      try {
        onLost();
      } catch (err) {
        this.#settings.onError(asError(err));
      }
    }
  }

  #stopLeading(): void {
    this.#leading = false;
    this.#onLost = undefined;
    if (this.#leaderCheck !== undefined) clearInterval(this.#leaderCheck);
    this.#leaderCheck = undefined;
  }

  async resign(): Promise<void> {
    await this.#leadCall?.catch(() => false);
    const client = this.#lockClient;
    if (!this.#leading || client === undefined) return;
    this.#stopLeading();
    try {
      await run(client, sql`select pg_advisory_unlock(${LEADER_LOCK_KEY}::bigint)`.compile(this.#db));
    } catch {
      // The connection is gone, and the lock with it.
      this.#dropLockClient(client);
    }
  }

  // --- NOTIFY / LISTEN --------------------------------------------------------------------------------------------

  async notify(channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${channel}, ${payload})`.execute(this.#db);
  }

  async listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('the store is closed');
    let callbacks = this.#channels.get(channel);
    const first = callbacks === undefined;
    if (callbacks === undefined) this.#channels.set(channel, (callbacks = new Set()));
    const entry = (payload: string) => cb(payload);
    callbacks.add(entry);
    if (first) {
      const client = await this.#listenConnection();
      if (client !== undefined && this.#channels.has(channel)) {
        try {
          await run(client, sql`listen ${sql.id(channel)}`.compile(this.#db));
        } catch (err) {
          // The connection broke: its reconnect listens again to every channel.
          this.#settings.onError(asError(err));
        }
      }
    }
    return async () => {
      const set = this.#channels.get(channel);
      if (set === undefined || !set.delete(entry) || set.size > 0) return;
      this.#channels.delete(channel);
      const client = this.#listenClient;
      if (client !== undefined) await run(client, sql`unlisten ${sql.id(channel)}`.compile(this.#db)).catch(() => {});
    };
  }

  /** The LISTEN connection, or undefined while it cannot be had (a reconnect is then under way). */
  async #listenConnection(): Promise<pg.Client | undefined> {
    if (this.#listenClient !== undefined) return this.#listenClient;
    if (this.#listenRetry !== undefined) return undefined;
    try {
      return await this.#connectListen();
    } catch (err) {
      this.#settings.onError(asError(err));
      this.#scheduleListen();
      return undefined;
    }
  }

  #connectListen(): Promise<pg.Client> {
    this.#listenConnecting ??= (async () => {
      const client = await connect(this.#newClient, (c, err) => this.#listenGone(c, err));
      if (this.#closed) {
        await client.end().catch(() => {});
        throw new Error('the store is closed');
      }
      client.on('notification', (msg) => {
        for (const cb of this.#channels.get(msg.channel) ?? []) {
          try {
            cb(msg.payload ?? '');
          } catch (err) {
            this.#settings.onError(asError(err));
          }
        }
      });
      for (const channel of this.#channels.keys()) await run(client, sql`listen ${sql.id(channel)}`.compile(this.#db));
      this.#listenClient = client;
      this.#listenFailures = 0;
      return client;
    })().finally(() => (this.#listenConnecting = undefined));
    return this.#listenConnecting;
  }

  #listenGone(client: pg.Client, err?: Error): void {
    if (this.#listenClient !== client) return;
    this.#listenClient = undefined;
    if (this.#closed) return;
    if (err !== undefined) this.#settings.onError(err);
    this.#scheduleListen();
  }

  #scheduleListen(): void {
    if (this.#closed || this.#listenRetry !== undefined || this.#channels.size === 0) return;
    this.#listenFailures++;
    this.#listenRetry = setTimeout(() => {
      this.#listenRetry = undefined;
      if (this.#closed || this.#listenClient !== undefined) return;
      this.#connectListen().catch((err: unknown) => {
        this.#settings.onError(asError(err));
        this.#scheduleListen();
      });
    }, this.#backoff(this.#listenFailures));
    this.#listenRetry.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#leadCall?.catch(() => false);
    await this.#listenConnecting?.catch(() => undefined);
    if (this.#listenRetry !== undefined) clearTimeout(this.#listenRetry);
    this.#listenRetry = undefined;
    this.#channels.clear();
    this.#stopLeading();
    const clients = [this.#lockClient, this.#listenClient].filter((c): c is pg.Client => c !== undefined);
    this.#lockClient = undefined;
    this.#listenClient = undefined;
    // Ending the lock's connection releases the lock.
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}
