/**
 * The store's schema as versioned migrations in code, run by Kysely's own
 * Migrator (which locks against concurrent runs: an advisory lock on
 * PostgreSQL). Schema builder only; the one dialect difference is the
 * generated id column. Migrations are append-only: never edit a released one.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Database } from './schema.js';
import type { Dialect } from './store.js';

/** A migration sees no table types (like Kysely's own `Migration`): it works on the schema as it was then. */
export interface StoreMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down?(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** Times: 64-bit integers (ms since the epoch). */
const TIME = 'bigint';

/** An id the database generates, as the primary key. */
function autoId(dialect: Dialect) {
  return dialect === 'sqlite'
    ? (['integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()] as const)
    : (['bigint', (c: ColumnDefinitionBuilder) => c.primaryKey().generatedByDefaultAsIdentity()] as const);
}

/** In order: names sort as they run. */
export const MIGRATIONS: Readonly<Record<string, StoreMigration>> = Object.freeze({
  '0001_initial': {
    async up(db, dialect) {
      const [idType, idColumn] = autoId(dialect);
      await db.schema
        .createTable('machines')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('team', 'text')
        .addColumn('project', 'text')
        .addColumn('user', 'text')
        .addColumn('hostname', 'text')
        .addColumn('enrolled_at', TIME, (c) => c.notNull())
        .addColumn('last_seen', TIME)
        .addColumn('assigned_revision', 'text')
        .addColumn('applied_revision', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error_code', 'text')
        .addColumn('drift_percentage', 'double precision')
        .addColumn('risk_level', 'text')
        .addColumn('drift', 'text')
        .addColumn('last_seq', TIME, (c) => c.notNull().defaultTo(0))
        .addColumn('last_report_at', TIME)
        .addColumn('claude_version', 'text')
        .execute();
      // listMachines by environment, in id order; stateCounts groups by (env, state).
      await db.schema.createIndex('machines_env_id').on('machines').columns(['env', 'id']).execute();
      await db.schema.createIndex('machines_env_state').on('machines').columns(['env', 'state']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('user', 'text')
        .addColumn('env', 'text')
        .addColumn('machine_id', 'text', (c) => c.references('machines.id').onDelete('cascade'))
        .addColumn('created_by', 'text')
        .addColumn('created_at', TIME, (c) => c.notNull())
        .addColumn('expires_at', TIME)
        .addColumn('revoked_at', TIME)
        .execute();
      await db.schema.createIndex('tokens_machine_id').on('tokens').column('machine_id').execute();

      await db.schema
        .createTable('reports')
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id').onDelete('cascade'))
        .addColumn('seq', TIME, (c) => c.notNull())
        .addColumn('received_at', TIME, (c) => c.notNull())
        .addColumn('made_at', TIME, (c) => c.notNull())
        .addColumn('revision', 'text')
        .addColumn('assigned_revision', 'text')
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('timings', 'text')
        .addColumn('drift', 'text')
        .addPrimaryKeyConstraint('reports_pk', ['machine_id', 'seq'])
        .execute();

      await db.schema
        .createTable('syncs')
        .addColumn('id', idType, idColumn)
        .addColumn('revision', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('duration_ms', TIME, (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('findings', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('syncs_revision').on('syncs').columns(['revision', 'id']).execute();

      await db.schema
        .createTable('environments')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('revision', 'text')
        .addColumn('previous_revision', 'text')
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('id', idType, idColumn)
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('address', 'text')
        .addColumn('detail', 'text')
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', idType, idColumn)
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('environment', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('events_type_id').on('events').columns(['type', 'id']).execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      for (const table of ['meta', 'events', 'audit', 'environments', 'syncs', 'reports', 'tokens', 'machines']) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
  '0002_rollouts': {
    // The rollout of each environment: the state machine's state (controller/rollouts) as JSON, and a version
    // for optimistic concurrency (replicas never overwrite each other's step).
    async up(db) {
      await db.schema
        .createTable('rollouts')
        .addColumn('environment', 'text', (c) => c.primaryKey())
        .addColumn('revision', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', TIME, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('rollouts').execute();
    },
  },
  '0003_sweeps': {
    async up(db, dialect) {
      const [idType, idColumn] = autoId(dialect);
      // What a report says beyond an apply: the revision staged beside the active one (blue-green), the sweep it answers.
      await db.schema.alterTable('reports').addColumn('staged_revision', 'text').execute();
      await db.schema.alterTable('reports').addColumn('sweep_id', 'bigint').execute();
      await db.schema.alterTable('reports').addColumn('sweep', 'text').execute();
      await db.schema.createIndex('reports_sweep').on('reports').column('sweep_id').execute();
      await db.schema.createIndex('reports_received').on('reports').column('received_at').execute();
      await db.schema
        .createTable('sweeps')
        .addColumn('id', idType, idColumn)
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('at', TIME, (c) => c.notNull())
        .addColumn('max_fixes', 'integer', (c) => c.notNull())
        .addColumn('schedule', 'text')
        .execute();
      await db.schema.createIndex('sweeps_environment').on('sweeps').columns(['environment', 'id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('sweeps').execute();
      await db.schema.dropIndex('reports_received').execute();
      await db.schema.dropIndex('reports_sweep').execute();
      for (const c of ['sweep', 'sweep_id', 'staged_revision']) await db.schema.alterTable('reports').dropColumn(c).execute();
    },
  },
});

/** Kysely's provider for the migrations above, bound to a dialect. */
export class CodeMigrationProvider implements MigrationProvider {
  readonly #dialect: Dialect;
  readonly #migrations: Readonly<Record<string, StoreMigration>>;

  constructor(dialect: Dialect, migrations: Readonly<Record<string, StoreMigration>> = MIGRATIONS) {
    this.#dialect = dialect;
    this.#migrations = migrations;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const dialect = this.#dialect;
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(this.#migrations)) {
      const down = m.down;
      out[name] = {
        up: (db) => m.up(db, dialect),
        ...(down ? { down: (db) => down(db, dialect) } : {}),
      };
    }
    return out;
  }
}

/** Runs every migration not yet run; throws the first failure (a connection error as it is). Safe to call from many processes at once. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new CodeMigrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    if (failed === undefined) throw error;
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
