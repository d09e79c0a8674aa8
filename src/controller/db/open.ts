/**
 * Opening the store from `--db`: a `postgres://` or `postgresql://` URL is
 * PostgreSQL, anything else a SQLite file (`:memory:` allowed). Migrations
 * run to the latest before the store is returned. The dialect's module (and
 * pg) loads only when used. A failure is a ClaudeEnvError whose message
 * never holds the URL's password.
 */
import { ClaudeEnvError } from '../../errors.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** PostgreSQL: pool size (default 10). */
  readonly poolSize?: number;
  /** PostgreSQL: bound on opening one connection (ms, default 5000). */
  readonly connectTimeoutMs?: number;
  /** PostgreSQL: backoff of reconnects (ms, default 100 doubling up to 5000). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** PostgreSQL: how often the leader checks its lock's connection (ms, default 5000). */
  readonly leaderCheckMs?: number;
  /** SQLite: how long a write waits for another connection's lock (ms, default 5000). */
  readonly busyTimeoutMs?: number;
  /** Errors the store recovered from in the background (a dropped connection, a failed reconnect, a listener that threw). */
  readonly onError?: (err: Error) => void;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL with its password (`user:pass@`, or a `password=` parameter) as `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** The passwords of a URL (as written and decoded), to take out of messages that might quote them. */
function passwordsOf(url: string): string[] {
  const found = [/^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#]*)@/i.exec(url)?.[1], /[?&]password=([^&#]*)/i.exec(url)?.[1]];
  const out: string[] = [];
  for (const p of found) {
    if (p === undefined || p === '') continue;
    out.push(p);
    try {
      out.push(decodeURIComponent(p));
    } catch {
      // not percent-encoded
    }
  }
  return out;
}

function reasonOf(err: unknown, secrets: readonly string[]): string {
  let reason = err instanceof Error ? err.message : String(err);
  if (reason === '' && err instanceof AggregateError) reason = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  for (const s of secrets) if (s !== '') reason = reason.split(s).join('***');
  return reason;
}

/** Opens the store at `url` and migrates it to the latest schema. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(url)) {
    const shown = redactUrl(url);
    const passwords = passwordsOf(url);
    const { openPostgres } = await import('./postgres.js');
    const { db, coordinator } = openPostgres(url, options);
    const store = new KyselyStore('postgres', db, coordinator);
    try {
      await migrateToLatest(db, 'postgres');
    } catch (err) {
      await store.close().catch(() => {});
      throw new ClaudeEnvError('unavailable', `cannot open the PostgreSQL store ${shown}: ${reasonOf(err, [url, ...passwords])}`, { cause: err });
    }
    return store;
  }
  const { openSqlite, LocalCoordinator } = await import('./sqlite.js');
  let db: ReturnType<typeof openSqlite>;
  try {
    db = openSqlite(url, options);
  } catch (err) {
    throw new ClaudeEnvError('unreadable', `cannot open the SQLite store: ${reasonOf(err, [])}`, { file: url, cause: err });
  }
  const store = new KyselyStore('sqlite', db, new LocalCoordinator(options.onError));
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (err) {
    await store.close().catch(() => {});
    throw new ClaudeEnvError('unreadable', `cannot migrate the SQLite store: ${reasonOf(err, [])}`, { file: url, cause: err });
  }
  return store;
}
