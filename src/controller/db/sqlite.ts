/**
 * node:sqlite (`DatabaseSync`) behind Kysely's built-in SqliteDialect, which
 * expects a better-sqlite3-like database: `prepare(sql)` giving a statement
 * with `reader`, `all`, `run` and `iterate` that take an array of
 * parameters. Statements are cached per database (bounded), so a query
 * shape run in a loop is prepared once. Opened with WAL, synchronous=NORMAL,
 * a busy timeout and foreign keys on; transactions begin immediate.
 * Coordination is in-process. One store per file in a process: node:sqlite
 * waits for another connection's lock synchronously, so two stores writing
 * the same file from one process could stall each other.
 */
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Coordinator } from './kysely-store.js';
import type { Database } from './schema.js';

export interface SqliteOptions {
  /** How long a write waits for another connection's lock (ms). */
  readonly busyTimeoutMs?: number;
  /** Prepared statements kept per database. */
  readonly statementCache?: number;
}

class Statement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...(parameters as SQLInputValue[]));
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    const { changes, lastInsertRowid } = this.#stmt.run(...(parameters as SQLInputValue[]));
    return { changes, lastInsertRowid };
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...(parameters as SQLInputValue[]));
  }
}

/** A node:sqlite database as Kysely's SqliteDialect wants it. */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, Statement>();
  readonly #cacheSize: number;

  constructor(path: string, options: SqliteOptions = {}) {
    this.#db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: options.busyTimeoutMs ?? 5000 });
    this.#cacheSize = options.statementCache ?? 256;
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
  }

  prepare(text: string): Statement {
    // Kysely begins every transaction with `begin`. Ours all write, and another process (the CLI's `token create --db`)
    // may write the same file: take the write lock up front, so a transaction waits (busy timeout) instead of failing
    // when its read would have to become a write.
    const sql = text === 'begin' ? 'begin immediate' : text;
    const cached = this.#cache.get(sql);
    if (cached !== undefined) {
      // Most recently used last: the oldest is evicted first.
      this.#cache.delete(sql);
      this.#cache.set(sql, cached);
      return cached;
    }
    const stmt = new Statement(this.#db.prepare(sql));
    this.#cache.set(sql, stmt);
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    return stmt;
  }

  close(): void {
    this.#cache.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

/** A Kysely over a SQLite file (`:memory:` allowed); the file is opened at once, so a bad path throws here. */
export function openSqlite(path: string, options: SqliteOptions = {}): Kysely<Database> {
  const database = new NodeSqliteDatabase(path, options);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/** SQLite has one process: it always leads, and notifications go to this store's own listeners. */
export class LocalCoordinator implements Coordinator {
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  readonly #onError: (err: Error) => void;
  #leading = false;

  constructor(onError: (err: Error) => void = () => {}) {
    this.#onError = onError;
  }

  async lead(): Promise<boolean> {
    this.#leading = true;
    return true;
  }

  leading(): boolean {
    return this.#leading;
  }

  async resign(): Promise<void> {
    this.#leading = false;
  }

  async notify(channel: string, payload: string): Promise<void> {
    // Delivered after the caller goes on, as a NOTIFY would be.
    const callbacks = [...(this.#channels.get(channel) ?? [])];
    queueMicrotask(() => {
      for (const cb of callbacks) {
        try {
          cb(payload);
        } catch (err) {
          this.#onError(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
  }

  async listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.#channels.get(channel);
    if (set === undefined) this.#channels.set(channel, (set = new Set()));
    const entry = (payload: string) => cb(payload);
    set.add(entry);
    return async () => {
      set.delete(entry);
      if (set.size === 0 && this.#channels.get(channel) === set) this.#channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.#leading = false;
    this.#channels.clear();
  }
}
