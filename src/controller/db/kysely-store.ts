/**
 * The one Store over a Kysely<Database>, shared by SQLite and PostgreSQL:
 * builders only, with the dialect consulted where the two must differ (row
 * locks and the batched check-in update). Coordination (lead, notify,
 * listen) is the dialect's own `Coordinator`. Rows leave as plain objects
 * with numbers for every integer column.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DriftSummary, MachineState, ReportResult } from '../api.js';
import { ClaudeEnvError } from '../../errors.js';
import type { Database } from './schema.js';
import type { AuditRow, Dialect, EnvironmentRow, EnvReportRow, EventRow, MachineRow, ReportRow, RolloutRow, StateCount, Store, SweepRow, SyncRow, TokenRow } from './store.js';

/** What differs between the dialects beyond SQL: leadership and notifications. */
export interface Coordinator {
  lead(onLost?: () => void): Promise<boolean>;
  leading(): boolean;
  resign(): Promise<void>;
  notify(channel: string, payload: string): Promise<void>;
  listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Lists without a limit give this many rows. */
export const DEFAULT_LIMIT = 100;
/** Machines per UPDATE of a check-in batch on PostgreSQL. */
const TOUCH_CHUNK = 1000;
/** Last-seen times written per statement (a few milliseconds of SQLite's time each). */
const SEEN_CHUNK = 250;
/** PostgreSQL's deadlock_detected and serialization_failure: the transaction is tried again. */
const RETRYABLE = new Set(['40P01', '40001']);

type Row = Record<string, unknown>;

/** A unique or primary key violation: PostgreSQL's 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY. */
function isDuplicate(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown } | null;
  return e?.code === '23505' || e?.errcode === 2067 || e?.errcode === 1555;
}

/** Runs an insert; a duplicate key becomes a `conflict` error saying what exists. */
async function inserting<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isDuplicate(err)) throw new ClaudeEnvError('conflict', `${what} exists already`, { cause: err });
    throw err;
  }
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toToken(r: Row): TokenRow {
  return {
    id: str(r['id']),
    kind: str(r['kind']) as TokenRow['kind'],
    hash: str(r['hash']),
    user: strOrNull(r['user']),
    env: strOrNull(r['env']),
    machine_id: strOrNull(r['machine_id']),
    created_by: strOrNull(r['created_by']),
    created_at: num(r['created_at']),
    expires_at: numOrNull(r['expires_at']),
    revoked_at: numOrNull(r['revoked_at']),
  };
}

function toMachine(r: Row): MachineRow {
  return {
    id: str(r['id']),
    env: str(r['env']),
    team: strOrNull(r['team']),
    project: strOrNull(r['project']),
    user: strOrNull(r['user']),
    hostname: strOrNull(r['hostname']),
    enrolled_at: num(r['enrolled_at']),
    last_seen: numOrNull(r['last_seen']),
    assigned_revision: strOrNull(r['assigned_revision']),
    applied_revision: strOrNull(r['applied_revision']),
    state: str(r['state']) as MachineRow['state'],
    result: strOrNull(r['result']) as ReportResult | null,
    error_code: strOrNull(r['error_code']),
    drift_percentage: numOrNull(r['drift_percentage']),
    risk_level: strOrNull(r['risk_level']),
    drift: strOrNull(r['drift']),
    last_seq: num(r['last_seq']),
    last_report_at: numOrNull(r['last_report_at']),
    claude_version: strOrNull(r['claude_version']),
  };
}

function toReport(r: Row): ReportRow {
  return {
    machine_id: str(r['machine_id']),
    seq: num(r['seq']),
    received_at: num(r['received_at']),
    made_at: num(r['made_at']),
    revision: strOrNull(r['revision']),
    assigned_revision: strOrNull(r['assigned_revision']),
    result: str(r['result']) as ReportResult,
    error_code: strOrNull(r['error_code']),
    timings: strOrNull(r['timings']),
    drift: strOrNull(r['drift']),
    staged_revision: strOrNull(r['staged_revision']),
    sweep_id: numOrNull(r['sweep_id']),
    sweep: strOrNull(r['sweep']),
  };
}

function toSync(r: Row): SyncRow {
  return {
    id: num(r['id']),
    revision: str(r['revision']),
    status: str(r['status']) as SyncRow['status'],
    at: num(r['at']),
    duration_ms: num(r['duration_ms']),
    errors: num(r['errors']),
    findings: str(r['findings']),
  };
}

function toEnvironment(r: Row): EnvironmentRow {
  return { name: str(r['name']), revision: strOrNull(r['revision']), previous_revision: strOrNull(r['previous_revision']), updated_at: num(r['updated_at']) };
}

function toAudit(r: Row): AuditRow {
  return {
    id: num(r['id']),
    at: num(r['at']),
    actor: str(r['actor']),
    action: str(r['action']),
    subject: strOrNull(r['subject']),
    address: strOrNull(r['address']),
    detail: strOrNull(r['detail']),
  };
}

function toEvent(r: Row): EventRow {
  return { id: num(r['id']), at: num(r['at']), type: str(r['type']), environment: strOrNull(r['environment']), detail: strOrNull(r['detail']) };
}

/** The drift summary of a report, when its JSON is one. */
function driftOf(json: string | null): DriftSummary | undefined {
  if (json === null) return undefined;
  try {
    const d = JSON.parse(json) as Partial<DriftSummary> | null;
    return d !== null && typeof d === 'object' ? (d as DriftSummary) : undefined;
  } catch {
    return undefined;
  }
}

/** What the last report says of a machine: failed when the apply did not succeed (failed or rolled back), else drifted or in sync. */
export function reportedState(result: ReportResult, drift: string | null): Exclude<MachineState, 'stale' | 'applying'> {
  if (result !== 'ok') return 'failed';
  return (driftOf(drift)?.items?.length ?? 0) > 0 ? 'drifted' : 'in_sync';
}

/** The tables a backup holds, parents first (restored in this order, emptied in the reverse). */
const BACKUP_TABLES = ['meta', 'environments', 'machines', 'tokens', 'reports', 'syncs', 'audit', 'events', 'rollouts', 'sweeps'] as const;
/** The tables whose id the database generates. */
const GENERATED_ID_TABLES = ['syncs', 'audit', 'events', 'sweeps'] as const;

export class KyselyStore implements Store {
  readonly dialect: Dialect;
  readonly #db: Kysely<Database>;
  readonly #coordinator: Coordinator;
  #closing: Promise<void> | undefined;

  constructor(dialect: Dialect, db: Kysely<Database>, coordinator: Coordinator) {
    this.dialect = dialect;
    this.#db = db;
    this.#coordinator = coordinator;
  }

  /** A transaction, tried again (PostgreSQL) when it lost a deadlock or a serialization race. */
  async #transaction<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(work);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (this.dialect !== 'postgres' || attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
      }
    }
  }

  // --- backups --------------------------------------------------------------------------------------------------------

  async dumpTables(): Promise<{ migration: string; tables: Record<string, Array<Record<string, unknown>>> }> {
    const read = async (tx: Kysely<Database>): Promise<{ migration: string; tables: Record<string, Array<Record<string, unknown>>> }> => {
      const tables: Record<string, Array<Record<string, unknown>>> = {};
      for (const t of BACKUP_TABLES) tables[t] = (await tx.selectFrom(t).selectAll().execute()) as Array<Record<string, unknown>>;
      const m = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(tx);
      return { migration: m.rows[0]?.name ?? '', tables };
    };
    // One snapshot: PostgreSQL's repeatable read; SQLite's transaction holds its one connection.
    return this.dialect === 'postgres' ? this.#db.transaction().setIsolationLevel('repeatable read').execute(read) : this.#db.transaction().execute(read);
  }

  async loadTables(tables: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>): Promise<void> {
    await this.#transaction(async (tx) => {
      for (const t of [...BACKUP_TABLES].reverse()) await tx.deleteFrom(t).execute();
      for (const t of BACKUP_TABLES) {
        const rows = tables[t] ?? [];
        const columns = rows[0] ? Object.keys(rows[0]).length : 1;
        // Within SQLite's bound on the variables of one statement.
        const batch = Math.max(1, Math.floor(30_000 / columns));
        for (let i = 0; i < rows.length; i += batch) await tx.insertInto(t).values(rows.slice(i, i + batch) as never).execute();
      }
      if (this.dialect === 'postgres') {
        // Identity columns: the next id past the restored ones.
        for (const t of GENERATED_ID_TABLES) await sql`select setval(pg_get_serial_sequence(${t}, 'id'), coalesce((select max(id) from ${sql.table(t)}), 0) + 1, false)`.execute(tx);
      }
    });
  }

  async tableCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of BACKUP_TABLES) out[t] = Number((await this.#db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return out;
  }

  async ping(): Promise<void> {
    await this.#db.selectFrom('meta').select('key').limit(1).execute();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#coordinator.close();
      await this.#db.destroy();
    })();
    return this.#closing;
  }

  // --- tokens ---------------------------------------------------------------------------------------------------------

  async createToken(t: TokenRow): Promise<void> {
    await inserting(`token ${t.id} (or one with its hash)`, () => this.#db.insertInto('tokens').values({ ...t }).execute());
  }

  async tokenByHash(hash: string): Promise<TokenRow | undefined> {
    const r = await this.#db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r === undefined ? undefined : toToken(r);
  }

  async token(id: string): Promise<TokenRow | undefined> {
    const r = await this.#db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toToken(r);
  }

  async listTokens(): Promise<TokenRow[]> {
    const rows = await this.#db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const r = await this.#db.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  // --- machines -------------------------------------------------------------------------------------------------------

  async enrollMachine(m: MachineRow, agentToken: TokenRow): Promise<void> {
    await inserting(`machine ${m.id} or token ${agentToken.id} (or one with its hash)`, () =>
      this.#transaction(async (tx) => {
        await tx.insertInto('machines').values({ ...m }).execute();
        await tx.insertInto('tokens').values({ ...agentToken }).execute();
      }),
    );
  }

  async machine(id: string): Promise<MachineRow | undefined> {
    const r = await this.#db.selectFrom('machines').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : toMachine(r);
  }

  async listMachines(filter: { env?: string; limit?: number; after?: string }): Promise<MachineRow[]> {
    let q = this.#db.selectFrom('machines').selectAll().orderBy('id');
    if (filter.env !== undefined) q = q.where('env', '=', filter.env);
    if (filter.after !== undefined) q = q.where('id', '>', filter.after);
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    return (await q.execute()).map(toMachine);
  }

  async stateCounts(staleBefore: number): Promise<StateCount[]> {
    const rows = await this.#db
      .selectFrom((db) =>
        db
          .selectFrom('machines')
          .select((eb) => [
            'machines.env as env',
            eb
              .case()
              .when(eb.fn.coalesce('machines.last_seen', 'machines.enrolled_at'), '<', staleBefore)
              .then(eb.val<MachineState>('stale'))
              // Not yet at the revision the controller wants it to hold: on its way there, unless its last apply failed.
              .when(eb.and([eb('machines.assigned_revision', 'is not', null), eb('machines.state', '!=', 'failed'), eb.or([eb('machines.applied_revision', 'is', null), eb('machines.applied_revision', '!=', eb.ref('machines.assigned_revision'))])]))
              .then(eb.val<MachineState>('applying'))
              .else(eb.ref('machines.state'))
              .end()
              .as('state'),
            eb.fn.coalesce('machines.drift_percentage', eb.val(0)).as('drift'),
          ])
          .as('m'),
      )
      .select((eb) => ['m.env', 'm.state', eb.fn.countAll().as('count'), eb.fn.sum('m.drift').as('drift_sum')])
      .groupBy(['m.env', 'm.state'])
      .orderBy('m.env')
      .orderBy('m.state')
      .execute();
    return rows.map((r) => ({ env: str(r.env), state: str(r.state) as MachineState, count: num(r.count), drift_sum: num(r.drift_sum ?? 0) }));
  }

  async touchMachines(seen: ReadonlyArray<{ readonly id: string; readonly at: number }>): Promise<void> {
    if (seen.length === 0) return;
    // To the second (a machine is stale after minutes): a flush holds one or two distinct times, each one UPDATE per chunk of ids.
    const latest = new Map<string, number>();
    for (const { id, at } of seen) {
      const t = Math.ceil(at / 1000) * 1000;
      latest.set(id, Math.max(t, latest.get(id) ?? t));
    }
    const byTime = new Map<number, string[]>();
    for (const [id, at] of latest) byTime.set(at, [...(byTime.get(at) ?? []), id]);
    // A transaction per chunk, with a turn of the event loop between them: node:sqlite runs a statement
    // synchronously, and check-ins go on being answered while ten thousand last-seen times are written.
    // (Each time only ever moves forward, so chunks need not be one transaction.)
    for (const [at, all] of byTime) {
      // In id order: concurrent batches lock rows in the same order.
      all.sort();
      for (let i = 0; i < all.length; i += SEEN_CHUNK) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        await this.#transaction((tx) =>
          tx
            .updateTable('machines')
            .set({ last_seen: at })
            .where('id', 'in', all.slice(i, i + SEEN_CHUNK))
            .where((eb) => eb.or([eb('last_seen', 'is', null), eb('last_seen', '<', at)]))
            .execute(),
        );
      }
    }
  }

  /** The machine's row, locked for this transaction (PostgreSQL: the row; SQLite: its transactions begin immediate). */
  #lockedMachine(tx: Transaction<Database>, id: string) {
    const q = tx.selectFrom('machines').selectAll().where('id', '=', id);
    return (this.dialect === 'postgres' ? q.forNoKeyUpdate() : q).executeTakeFirst();
  }

  async assign(id: string, revision: string, at: number): Promise<void> {
    const [done] = await this.assignMany([{ id, revision, at }]);
    if (done === undefined) throw new ClaudeEnvError('not-found', `no machine ${id}`);
  }

  async assignMany(items: ReadonlyArray<{ readonly id: string; readonly revision: string; readonly at: number | null }>): Promise<string[]> {
    if (items.length === 0) return [];
    const latest = new Map<string, { revision: string; at: number | null }>();
    for (const it of items) {
      const before = latest.get(it.id)?.at ?? null;
      latest.set(it.id, { revision: it.revision, at: it.at === null ? before : Math.max(it.at, before ?? it.at) });
    }
    const ids = [...latest.keys()].sort();
    const done: string[] = [];
    await this.#transaction(async (tx) => {
      for (let i = 0; i < ids.length; i += TOUCH_CHUNK) {
        const chunk = ids.slice(i, i + TOUCH_CHUNK);
        const q = tx.selectFrom('machines').select(['id', 'applied_revision', 'result', 'drift', 'last_seen']).where('id', 'in', chunk).orderBy('id');
        const rows = await (this.dialect === 'postgres' ? q.forNoKeyUpdate() : q).execute();
        // One UPDATE per (revision, state, time) among the chunk: a commit gives them all the same.
        const groups = new Map<string, { revision: string; state: MachineRow['state']; at: number | null; ids: string[] }>();
        for (const row of rows) {
          const want = latest.get(row.id)!;
          const state = want.revision !== row.applied_revision || row.result === null ? 'applying' : reportedState(row.result as ReportResult, row.drift);
          const seen = row.last_seen === null ? null : Number(row.last_seen);
          const at = want.at === null ? seen : Math.max(want.at, seen ?? want.at);
          const key = `${want.revision}\0${state}\0${at}`;
          const g = groups.get(key) ?? { revision: want.revision, state, at, ids: [] };
          g.ids.push(row.id);
          groups.set(key, g);
          done.push(row.id);
        }
        for (const g of groups.values()) await tx.updateTable('machines').set({ assigned_revision: g.revision, state: g.state, last_seen: g.at }).where('id', 'in', g.ids).execute();
      }
    });
    return done;
  }

  // --- reports --------------------------------------------------------------------------------------------------------

  async addReport(r: ReportRow, claudeVersion?: string | null): Promise<boolean> {
    return this.#transaction(async (tx) => {
      const row = await this.#lockedMachine(tx, r.machine_id);
      if (row === undefined) throw new ClaudeEnvError('not-found', `no machine ${r.machine_id}`);
      const inserted = await tx
        .insertInto('reports')
        .values({ ...r, staged_revision: r.staged_revision ?? null, sweep_id: r.sweep_id ?? null, sweep: r.sweep ?? null })
        .onConflict((oc) => oc.columns(['machine_id', 'seq']).doNothing())
        .returning('seq')
        .executeTakeFirst();
      if (inserted === undefined) return false;
      const m = toMachine(row);
      if (r.seq <= m.last_seq) return true;
      const drift = driftOf(r.drift);
      await tx
        .updateTable('machines')
        .set({
          applied_revision: r.revision,
          // A failure shows as failed even on the old revision (after a rollback); else applying until the assigned one is on.
          state: r.result === 'ok' && m.assigned_revision !== null && r.revision !== m.assigned_revision ? 'applying' : reportedState(r.result, r.drift),
          result: r.result,
          error_code: r.error_code,
          drift: r.drift,
          drift_percentage: typeof drift?.drift_percentage === 'number' ? drift.drift_percentage : null,
          risk_level: typeof drift?.risk_level === 'string' ? drift.risk_level : null,
          last_seq: r.seq,
          last_report_at: r.received_at,
          last_seen: Math.max(r.received_at, m.last_seen ?? r.received_at),
          ...(typeof claudeVersion === 'string' ? { claude_version: claudeVersion } : {}),
        })
        .where('id', '=', r.machine_id)
        .execute();
      return true;
    });
  }

  async reports(machineId: string, limit = DEFAULT_LIMIT): Promise<ReportRow[]> {
    const rows = await this.#db.selectFrom('reports').selectAll().where('machine_id', '=', machineId).orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(toReport);
  }

  async reportsSince(env: string, since: number, limit = 10_000): Promise<EnvReportRow[]> {
    const rows = await this.#db
      .selectFrom('reports')
      .innerJoin('machines', 'machines.id', 'reports.machine_id')
      .selectAll('reports')
      .select('machines.env as env')
      .where('machines.env', '=', env)
      .where('reports.received_at', '>=', since)
      .orderBy('reports.received_at')
      .orderBy('reports.machine_id')
      .orderBy('reports.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...toReport(r as Row), env: str((r as Row)['env']) }));
  }

  async riskLevels(): Promise<Array<{ env: string; risk_level: string }>> {
    const rows = await this.#db.selectFrom('machines').select(['env', 'risk_level']).distinct().where('risk_level', 'is not', null).orderBy('env').execute();
    return rows.map((r) => ({ env: str(r.env), risk_level: str(r.risk_level) }));
  }

  async lastSeenBetween(from: number, to: number, limit = 1000): Promise<Array<{ id: string; env: string }>> {
    const rows = await this.#db
      .selectFrom('machines')
      .select(['id', 'env'])
      .where((eb) => eb.and([eb(eb.fn.coalesce('last_seen', 'enrolled_at'), '>=', from), eb(eb.fn.coalesce('last_seen', 'enrolled_at'), '<', to)]))
      .orderBy('env')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: str(r.id), env: str(r.env) }));
  }

  async targetsIn(env: string): Promise<Array<{ team: string | null; project: string | null; user: string | null }>> {
    const rows = await this.#db.selectFrom('machines').select(['team', 'project', 'user']).distinct().where('env', '=', env).orderBy('team').orderBy('project').orderBy('user').execute();
    return rows.map((r) => ({ team: strOrNull(r.team), project: strOrNull(r.project), user: strOrNull(r.user) }));
  }

  async machineIds(env: string): Promise<string[]> {
    return (await this.#db.selectFrom('machines').select('id').where('env', '=', env).orderBy('id').execute()).map((r) => str(r.id));
  }

  async revisionCounts(env: string, revision: string): Promise<{ total: number; updated: number; failed: number }> {
    const r = await this.#db
      .selectFrom('machines')
      .select((eb) => [
        eb.fn.countAll().as('total'),
        eb.fn.sum(eb.case().when('applied_revision', '=', revision).then(1).else(0).end()).as('updated'),
        eb.fn.sum(eb.case().when(eb.and([eb('assigned_revision', '=', revision), eb('result', 'in', ['failed', 'rolled-back'])])).then(1).else(0).end()).as('failed'),
      ])
      .where('env', '=', env)
      .executeTakeFirstOrThrow();
    return { total: num(r.total), updated: num(r.updated ?? 0), failed: num(r.failed ?? 0) };
  }

  // --- sweeps ---------------------------------------------------------------------------------------------------------

  async addSweep(sw: Omit<SweepRow, 'id'>): Promise<number> {
    const r = await this.#db.insertInto('sweeps').values({ environment: sw.environment, at: sw.at, max_fixes: sw.max_fixes, schedule: sw.schedule }).returning('id').executeTakeFirstOrThrow();
    return num(r.id);
  }

  async sweeps(filter: { env?: string; limit?: number } = {}): Promise<SweepRow[]> {
    let q = this.#db.selectFrom('sweeps').selectAll().orderBy('id', 'desc').limit(filter.limit ?? DEFAULT_LIMIT);
    if (filter.env !== undefined) q = q.where('environment', '=', filter.env);
    return (await q.execute()).map((r) => ({ id: num(r.id), environment: str(r.environment), at: num(r.at), max_fixes: num(r.max_fixes), schedule: strOrNull(r.schedule) }));
  }

  async sweepReports(id: number): Promise<ReportRow[]> {
    return (await this.#db.selectFrom('reports').selectAll().where('sweep_id', '=', id).orderBy('machine_id').orderBy('seq').execute()).map(toReport);
  }

  // --- syncs ----------------------------------------------------------------------------------------------------------

  async recordSync(s: Omit<SyncRow, 'id'>): Promise<number> {
    const r = await this.#db
      .insertInto('syncs')
      .values({ revision: s.revision, status: s.status, at: s.at, duration_ms: s.duration_ms, errors: s.errors, findings: s.findings })
      .returning('id')
      .executeTakeFirstOrThrow();
    return num(r.id);
  }

  async syncs(limit = DEFAULT_LIMIT): Promise<SyncRow[]> {
    return (await this.#db.selectFrom('syncs').selectAll().orderBy('id', 'desc').limit(limit).execute()).map(toSync);
  }

  async syncOf(revision: string): Promise<SyncRow | undefined> {
    const r = await this.#db.selectFrom('syncs').selectAll().where('revision', '=', revision).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r === undefined ? undefined : toSync(r);
  }

  // --- environments ---------------------------------------------------------------------------------------------------

  async environments(): Promise<EnvironmentRow[]> {
    return (await this.#db.selectFrom('environments').selectAll().orderBy('name').execute()).map(toEnvironment);
  }

  async setEnvironmentRevision(name: string, revision: string, at: number): Promise<void> {
    await this.#db
      .insertInto('environments')
      .values({ name, revision, previous_revision: null, updated_at: at })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet((eb) => {
          const changed = eb.or([eb('environments.revision', 'is', null), eb('environments.revision', '<>', eb.ref('excluded.revision'))]);
          return {
            previous_revision: eb.case().when(changed).then(eb.ref('environments.revision')).else(eb.ref('environments.previous_revision')).end(),
            updated_at: eb.case().when(changed).then(eb.ref('excluded.updated_at')).else(eb.ref('environments.updated_at')).end(),
            revision: eb.ref('excluded.revision'),
          };
        }),
      )
      .execute();
  }

  // --- audit and events -----------------------------------------------------------------------------------------------

  async audit(a: Omit<AuditRow, 'id'>): Promise<void> {
    await this.#db.insertInto('audit').values({ at: a.at, actor: a.actor, action: a.action, subject: a.subject, address: a.address, detail: a.detail }).execute();
  }

  async auditLog(limit = DEFAULT_LIMIT): Promise<AuditRow[]> {
    return (await this.#db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(limit).execute()).map(toAudit);
  }

  async addEvent(e: Omit<EventRow, 'id'>): Promise<number> {
    const r = await this.#db
      .insertInto('events')
      .values({ at: e.at, type: e.type, environment: e.environment, detail: e.detail })
      .returning('id')
      .executeTakeFirstOrThrow();
    return num(r.id);
  }

  async events(filter: { type?: string; limit?: number } = {}): Promise<EventRow[]> {
    let q = this.#db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit ?? DEFAULT_LIMIT);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(toEvent);
  }

  // --- rollouts -------------------------------------------------------------------------------------------------------

  async rollout(environment: string): Promise<RolloutRow | undefined> {
    const r = await this.#db.selectFrom('rollouts').selectAll().where('environment', '=', environment).executeTakeFirst();
    if (r === undefined) return undefined;
    return { environment: str(r.environment), revision: str(r.revision), phase: str(r.phase), state: str(r.state), version: num(r.version), updated_at: num(r.updated_at) };
  }

  async saveRollout(row: RolloutRow): Promise<boolean> {
    if (!Number.isInteger(row.version) || row.version < 1) throw new ClaudeEnvError('bad-request', `a rollout's version starts at 1 (got ${row.version})`);
    if (row.version === 1) {
      const inserted = await this.#db.insertInto('rollouts').values({ ...row }).onConflict((oc) => oc.column('environment').doNothing()).returning('environment').executeTakeFirst();
      return inserted !== undefined;
    }
    const r = await this.#db
      .updateTable('rollouts')
      .set({ revision: row.revision, phase: row.phase, state: row.state, version: row.version, updated_at: row.updated_at })
      .where('environment', '=', row.environment)
      .where('version', '=', row.version - 1)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  // --- meta -----------------------------------------------------------------------------------------------------------

  async getMeta(key: string): Promise<string | undefined> {
    const r = await this.#db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return r === undefined ? undefined : str(r.value);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
  }

  // --- coordination ---------------------------------------------------------------------------------------------------

  lead(onLost?: () => void): Promise<boolean> {
    return this.#coordinator.lead(onLost);
  }

  leading(): boolean {
    return this.#coordinator.leading();
  }

  resign(): Promise<void> {
    return this.#coordinator.resign();
  }

  notify(channel: string, payload: string): Promise<void> {
    return this.#coordinator.notify(channel, payload);
  }

  listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> {
    return this.#coordinator.listen(channel, cb);
  }
}
