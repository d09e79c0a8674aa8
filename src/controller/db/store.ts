/**
 * The controller's store: one schema, versioned migrations, on SQLite
 * (node:sqlite, WAL; the embedded default) and PostgreSQL (pg, for
 * replicas), through one query layer (Kysely). Rows are plain data; times
 * are milliseconds since the epoch; JSON columns are strings the store
 * parses and serialises itself. Nothing here ever holds a secret value:
 * tokens are stored as their SHA-256 hash only.
 *
 * Coordination between controller replicas is part of the store, because
 * it lives in the database: `lead()` (a PostgreSQL advisory lock held on a
 * connection of its own; SQLite has one process, always the leader) and
 * `notify`/`listen` (PostgreSQL LISTEN/NOTIFY; in-process for SQLite).
 */
import type { MachineIdentity, MachineState, ReportResult, TokenKind } from '../api.js';

export type Dialect = 'sqlite' | 'postgres';

export interface TokenRow {
  readonly id: string;
  readonly kind: TokenKind;
  /** hex SHA-256 of the token text. */
  readonly hash: string;
  readonly user: string | null;
  readonly env: string | null;
  readonly machine_id: string | null;
  readonly created_by: string | null;
  readonly created_at: number;
  readonly expires_at: number | null;
  readonly revoked_at: number | null;
}

export interface MachineRow extends MachineIdentity {
  readonly enrolled_at: number;
  readonly last_seen: number | null;
  /** The revision the machine last received with its assignment. */
  readonly assigned_revision: string | null;
  /** The revision on the machine, from its last report. */
  readonly applied_revision: string | null;
  /** in_sync | applying | failed | drifted (stale is derived from last_seen when read). */
  readonly state: Exclude<MachineState, 'stale'>;
  readonly result: ReportResult | null;
  readonly error_code: string | null;
  readonly drift_percentage: number | null;
  readonly risk_level: string | null;
  /** JSON of the last report's DriftSummary (paths, categories, severities; never values). */
  readonly drift: string | null;
  readonly last_seq: number;
  readonly last_report_at: number | null;
  readonly claude_version: string | null;
}

export interface ReportRow {
  readonly machine_id: string;
  readonly seq: number;
  readonly received_at: number;
  /** When the machine made it. */
  readonly made_at: number;
  readonly revision: string | null;
  readonly assigned_revision: string | null;
  readonly result: ReportResult;
  readonly error_code: string | null;
  /** JSON objects. */
  readonly timings: string | null;
  readonly drift: string | null;
  /** blue-green: the revision the machine staged (its result says whether staging worked). */
  readonly staged_revision?: string | null;
  /** The drift sweep the report answers, and what the machine did (JSON of api.ts SweepReport). */
  readonly sweep_id?: number | null;
  readonly sweep?: string | null;
}

/** A drift sweep the leader asked of an environment's machines. */
export interface SweepRow {
  readonly id: number;
  readonly environment: string;
  readonly at: number;
  readonly max_fixes: number;
  /** The cron that fired it (null: asked by hand). */
  readonly schedule: string | null;
}

/** A report joined with its machine's environment (what the leader folds into a rollout). */
export interface EnvReportRow extends ReportRow {
  readonly env: string;
}

export interface SyncRow {
  readonly id: number;
  readonly revision: string;
  readonly status: 'succeeded' | 'failed';
  readonly at: number;
  readonly duration_ms: number;
  readonly errors: number;
  /** JSON array of strings (already redacted). */
  readonly findings: string;
}

export interface EnvironmentRow {
  readonly name: string;
  readonly revision: string | null;
  readonly previous_revision: string | null;
  readonly updated_at: number;
}

export interface AuditRow {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly address: string | null;
  /** JSON. */
  readonly detail: string | null;
}

export interface EventRow {
  readonly id: number;
  readonly at: number;
  readonly type: string;
  readonly environment: string | null;
  /** JSON. */
  readonly detail: string | null;
}

/** An environment's rollout: the state machine's state as JSON (controller/rollouts), with a version that each save moves by one. */
export interface RolloutRow {
  readonly environment: string;
  readonly revision: string;
  readonly phase: string;
  /** JSON of the RolloutState. */
  readonly state: string;
  readonly version: number;
  readonly updated_at: number;
}

/**
 * Machines per environment and state, derived when read: stale when last_seen
 * (or enrolled_at when never seen) is before `staleBefore`; applying when the
 * applied revision is not the environment's and the last apply did not fail.
 */
export interface StateCount {
  readonly env: string;
  readonly state: MachineState;
  readonly count: number;
  /** Sum of drift_percentage over those machines (null counts 0), for the environment's mean. */
  readonly drift_sum: number;
}

export interface Store {
  readonly dialect: Dialect;
  /** Throws when the database cannot be reached (`/ready`). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Tokens
  createToken(t: TokenRow): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRow | undefined>;
  token(id: string): Promise<TokenRow | undefined>;
  listTokens(): Promise<TokenRow[]>;
  /** false when there is no such token or it was revoked before. */
  revokeToken(id: string, at: number): Promise<boolean>;

  // Machines
  /** The machine and its agent token, in one transaction. */
  enrollMachine(m: MachineRow, agentToken: TokenRow): Promise<void>;
  machine(id: string): Promise<MachineRow | undefined>;
  /** Ordered by id; `after` for paging. */
  listMachines(filter: { env?: string; limit?: number; after?: string }): Promise<MachineRow[]>;
  stateCounts(staleBefore: number): Promise<StateCount[]>;
  /** Check-ins, batched: last_seen := max(last_seen, at) for each, in one transaction. */
  touchMachines(seen: ReadonlyArray<{ readonly id: string; readonly at: number }>): Promise<void>;
  /** The machine received `revision`: assigned_revision := revision, state := applying unless it is the applied one (then its last report's state); last_seen := max(last_seen, at). */
  assign(id: string, revision: string, at: number): Promise<void>;
  /** `assign` for many machines in one transaction (the check-ins of a commit, batched; a rollout's step, with `at` null: last_seen unchanged); the ids that exist. */
  assignMany(items: ReadonlyArray<{ readonly id: string; readonly revision: string; readonly at: number | null }>): Promise<string[]>;

  // Reports
  /**
   * Stores the report once per (machine_id, seq): false when that seq was
   * stored before (nothing changes). When `seq` is newer than the machine's
   * last_seq, the machine's current columns (applied revision, state,
   * result, error, drift, last_seq, last_report_at, last_seen) follow it,
   * in the same transaction: state = failed | (drift items present ? drifted : in_sync), and
   * applying when the report's revision is not the assigned one.
   */
  addReport(r: ReportRow, claudeVersion?: string | null): Promise<boolean>;
  reports(machineId: string, limit?: number): Promise<ReportRow[]>;
  /** Reports of an environment's machines received at or after `since`, oldest first (received_at, machine, seq). */
  reportsSince(env: string, since: number, limit?: number): Promise<EnvReportRow[]>;
  /** Each environment's distinct risk levels (of the machines' last drift summaries): the worst of each, over every machine. */
  riskLevels(): Promise<Array<{ env: string; risk_level: string }>>;
  /** Machines last seen (or, never seen, enrolled) at or after `from` and before `to`: those that turned stale in between. */
  lastSeenBetween(from: number, to: number, limit?: number): Promise<Array<{ id: string; env: string }>>;
  /** The distinct targets (team, project, user) of an environment's machines. */
  targetsIn(env: string): Promise<Array<{ team: string | null; project: string | null; user: string | null }>>;
  /** The ids of an environment's machines, sorted. */
  machineIds(env: string): Promise<string[]>;
  /** An environment's machines: all, holding `revision`, and whose last apply of `revision` failed or rolled back. */
  revisionCounts(env: string, revision: string): Promise<{ total: number; updated: number; failed: number }>;

  // Drift sweeps
  addSweep(s: Omit<SweepRow, 'id'>): Promise<number>;
  /** Newest first. */
  sweeps(filter?: { env?: string; limit?: number }): Promise<SweepRow[]>;
  /** The reports answering a sweep. */
  sweepReports(id: number): Promise<ReportRow[]>;

  // Syncs (each revision the controller saw, validated or failed)
  recordSync(s: Omit<SyncRow, 'id'>): Promise<number>;
  syncs(limit?: number): Promise<SyncRow[]>;
  /** The sync row of a revision, when it was seen. */
  syncOf(revision: string): Promise<SyncRow | undefined>;

  // Environments
  environments(): Promise<EnvironmentRow[]>;
  /** revision := given, previous_revision := the old one (when it differs). */
  setEnvironmentRevision(name: string, revision: string, at: number): Promise<void>;

  // Audit log and events
  audit(a: Omit<AuditRow, 'id'>): Promise<void>;
  auditLog(limit?: number): Promise<AuditRow[]>;
  addEvent(e: Omit<EventRow, 'id'>): Promise<number>;
  events(filter?: { type?: string; limit?: number }): Promise<EventRow[]>;

  // Rollouts
  rollout(environment: string): Promise<RolloutRow | undefined>;
  /**
   * Saves the rollout when the stored one still has `version - 1` (or there is
   * none and `version` is 1): false, and nothing changes, when another replica
   * saved it first.
   */
  saveRollout(row: RolloutRow): Promise<boolean>;

  // Backups (src/controller/backup.ts)
  /** Every row of every table, read in one transaction, and the last migration the store has run. */
  dumpTables(): Promise<{ migration: string; tables: Record<string, Array<Record<string, unknown>>> }>;
  /** Every table's rows replaced by these, in one transaction; generated ids kept, and the next ones past them. */
  loadTables(tables: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>): Promise<void>;
  /** How many rows each table holds. */
  tableCounts(): Promise<Record<string, number>>;

  // Small settings (tracked branch head, webhook deliveries seen)
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  // Coordination
  /**
   * Try once to become the leader (PostgreSQL: pg_try_advisory_lock on a
   * connection of its own; SQLite: always true). True while held. When the
   * connection holding it is lost, `onLost` is called once and `leading()`
   * turns false; call `lead()` again to try anew.
   */
  lead(onLost?: () => void): Promise<boolean>;
  leading(): boolean;
  /** Give the lock up (no-op when not leading). */
  resign(): Promise<void>;
  /** Tell every replica (PostgreSQL NOTIFY; SQLite: this process's listeners). */
  notify(channel: string, payload: string): Promise<void>;
  /** Called for every notification on `channel` (re-listens after a reconnect). Returns the unsubscribe. */
  listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>>;
}
