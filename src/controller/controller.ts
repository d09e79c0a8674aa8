/**
 * The controller (SPEC.md "The fleet"): what `serve` runs behind its HTTP
 * routes. It knows every machine (the store), the config repo (a tracker),
 * and each environment's desired revision; it answers check-ins from memory
 * (tokens, machines and bundles cached, last-seen times written in batches),
 * wakes long polls when a revision lands (here, or on another replica through
 * the store's notifications), and, while it leads, fetches the repo,
 * validates each new revision and assigns the ones that pass.
 *
 * Everything that reads the clock or waits takes it from `ControllerOptions`,
 * so tests drive time; nothing is module-level state, so several controllers
 * (replicas in a test) live in one process.
 */
import { createBackup, type Tiers } from './backup.js';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ClaudeEnvError } from '../errors.js';
import type { Target } from '../vocabulary.js';
import type { Assignment, EnrollRequest, EnrollResponse, FleetStatus, FreezeView, MachineState, MachineView, Report, ReportAck, RolloutVerb, RolloutView, SweepReport, SweepView, TokenCreated, TokenKind, TokenView } from './api.js';
import type { MachineRow, StateCount, Store, TokenRow } from './db/store.js';
import { BoundedMap } from './bounded-map.js';
import { hashToken, isTokenShaped, newMachineId, newToken } from './tokens.js';
import { ControllerMetrics } from '../metrics/controller.js';
import type { Notifier } from './notify/notifier.js';
import { Rollouts } from './rollout-driver.js';
import { decide, type Assignment as Desired, type RolloutSettings } from './rollouts/machine.js';
import { DEFAULT_DRIFT_SCHEDULES, SweepScheduler, realClock, type SweepClock } from './sweeps/schedule.js';
import { createHash } from 'node:crypto';

/** What the controller needs of the config repo (controller/tracker). */
export interface Tracker {
  /** Fetch, and the commit at the tip of the tracked branch. */
  head(): Promise<string>;
  validate(sha: string): Promise<{ ok: boolean; errors: number; warnings: number; findings: string[]; duration_ms: number }>;
  environments(sha: string): Promise<string[]>;
  resolveTarget(sha: string, partial: { env: string; team?: string; project?: string; user: string }): Promise<Target>;
  rolesOf(sha: string, user: string): Promise<string[]>;
  /** Whether a role grants everything (`*`): admin routes. */
  isAdminRole?(sha: string, role: string): Promise<boolean>;
  bundle(sha: string, target: Target): Promise<Assignment>;
  /** `rollout.<env>` of claude-env.yml (none: every revision goes to every machine at once). */
  rolloutOf?(sha: string, env: string): Promise<RolloutSettings | undefined>;
  /** The member who made the commit (never an approver of its rollout), else the author's email. */
  authorOf?(sha: string): Promise<string | null>;
  /** The member whose key of access.yml `signing_keys` signed the commit, else null. */
  signerOf?(sha: string): Promise<string | null>;
  /** `schedules.drift` of claude-env.yml (none: the seed's). */
  driftSchedulesOf?(sha: string): Promise<string[] | undefined>;
}

export interface Logger {
  (event: string, fields?: Record<string, unknown>): void;
}

export interface ControllerOptions {
  readonly store: Store;
  readonly tracker: Tracker;
  /** ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** How often the leader fetches the repo (default 60 s), with ±10 % jitter. */
  readonly pollMs?: number;
  /** How often a replica that does not lead tries to (default 1 s). */
  readonly leaderRetryMs?: number;
  /** A machine not seen for this long is stale (default 10 min). */
  readonly staleAfterMs?: number;
  /** The longest a long poll waits (default 55 s). */
  readonly longPollMaxMs?: number;
  /** How often check-ins' last-seen times are written (default 1 s). */
  readonly flushMs?: number;
  /** `X-Hub-Signature-256` secret of `POST /api/v1/hooks/git`; without it the route refuses every call. */
  readonly webhookSecret?: string;
  readonly log?: Logger;
  /**
   * The notifier of a revision's `notifications` (claude-env.yml), or none:
   * while this controller leads, each event it records is sent through the
   * one of the tracked revision.
   */
  readonly notifications?: (revision: string) => Promise<Notifier | undefined>;
  /** prom-client's process metrics (default on). */
  readonly processMetrics?: boolean;
  /** How often the leader moves rollouts along (default 1 s). */
  readonly rolloutTickMs?: number;
  /** The clock drift sweeps are scheduled on (tests move it by hand; default the real one). */
  readonly sweepClock?: SweepClock;
  /** Critical items an agent fixes per sweep (default 10, as `remediate --max-fixes`). */
  readonly sweepMaxFixes?: number;
  /** `serve --backup-every`: the leader backs the store up into `dir` this often, the tiers pruning the rest. */
  readonly backups?: { readonly dir: string; readonly everyMs: number; readonly tiers?: Tiers };
}

export type Caller =
  | { readonly kind: 'user'; readonly user: string; readonly tokenId: string }
  | { readonly kind: 'agent'; readonly machineId: string; readonly tokenId: string }
  | { readonly kind: 'enroll'; readonly env: string; readonly tokenId: string };

interface CachedMachine {
  readonly id: string;
  readonly env: string;
  readonly target: Target;
  /** The target as a cache key of bundles. */
  readonly key: string;
  /** When a last-seen time of this machine was last queued for the store. */
  seenQueued: number;
  /** The revision last sent with a body (an assign write is made only when it changes). */
  assigned: string | null;
}

interface CachedBundle {
  readonly etag: string;
  /** The Assignment as JSON, and gzipped: made once, sent to every machine of the target. */
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly revision: string;
}

const gzipAsync = promisify(gzip);
const DEFAULT_STALE_AFTER_MS = 600_000;
/** How precisely last-seen times are written (ms). */
const SEEN_PRECISION_MS = 30_000;

const NOTIFY_ASSIGNMENTS = 'claude_env_assignments';
const NOTIFY_TOKENS = 'claude_env_tokens';
const NOTIFY_POLL = 'claude_env_poll';
/** The store's meta key of the freeze: JSON {by, at, reason}, or empty when not frozen. */
const META_FROZEN = 'frozen';
/** An event recorded by a replica that does not lead, for the leader to send. */
const NOTIFY_EVENTS = 'claude_env_events';
const NOTIFY_SWEEPS = 'claude_env_sweeps';
const DEFAULT_SWEEP_MAX_FIXES = 10;
/** How often the leader looks for machines that turned stale. */
const STALE_CHECK_MS = 30_000;
const STATES: readonly MachineState[] = ['in_sync', 'applying', 'failed', 'drifted', 'stale'];
const RISKS = ['none', 'low', 'medium', 'high', 'critical'] as const;

export class Controller {
  readonly store: Store;
  readonly tracker: Tracker;
  readonly metrics: ControllerMetrics;
  readonly now: () => number;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private readonly tokens = new BoundedMap<string, TokenRow | null>(200_000);
  private readonly machines = new BoundedMap<string, CachedMachine>(200_000);
  private readonly bundles = new BoundedMap<string, Promise<CachedBundle>>(4_096);
  private readonly roles = new BoundedMap<string, Promise<string[]>>(10_000);
  private readonly envRevision = new Map<string, string>();
  readonly rollouts: Rollouts;
  /** Each environment's latest drift sweep. */
  private readonly sweepOf = new Map<string, { id: number; max_fixes: number }>();
  private sweeper: { crons: string; scheduler: SweepScheduler } | undefined;
  private ticking: Promise<void> | undefined;
  /** The last revision that validated: roles and enrollment are judged at it. */
  private tracked: string | undefined;
  private readonly seen = new Map<string, number>();
  /** Revisions sent with a body since the last flush, written in one batch (a commit sends one to every machine at once). */
  private readonly assigned = new Map<string, { revision: string; at: number }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private timers: NodeJS.Timeout[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private unlisten: Array<() => Promise<void>> = [];
  private notifier: { revision: string; made: Promise<Notifier | undefined> } | undefined;
  private countsMemo: { at: number; value: Promise<StateCount[]> } | undefined;
  private started = false;
  private stopped = false;
  /** The last fetch of the repo worked (`/ready`). */
  private repoOk = false;
  /** A new revision that waits for the unfreeze (the leader's). */
  private held: string | undefined;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.tracker = opts.tracker;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.metrics = new ControllerMetrics({ counts: () => this.counts(), rolloutSteps: () => this.rolloutSteps() }, { processMetrics: opts.processMetrics ?? true });
    this.rollouts = new Rollouts({
      store: this.store,
      now: this.now,
      log: this.log,
      event: (type, env, detail) => this.event(type, env, detail),
      moved: async (env) => {
        this.wake(env);
        await this.store.notify(NOTIFY_ASSIGNMENTS, `rollout:${env}`);
      },
    });
  }

  private rolloutSteps(): Array<{ env: string; percent: number }> {
    return this.rollouts.environments().map((env) => {
      const s = this.rollouts.current(env)!;
      return { env, percent: s.stepIndex < 0 ? 0 : (s.policy.steps[s.stepIndex] ?? 100) };
    });
  }

  private wake(env: string): void {
    const set = this.waiters.get(env);
    if (set) for (const wake of [...set]) wake();
  }

  /** Load what the store knows, listen to other replicas, start leading when it can. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.reloadRevisions();
    this.unlisten.push(await this.store.listen(NOTIFY_ASSIGNMENTS, () => void this.reloadRevisions().catch((err) => this.log('reload-failed', { error: String(err) }))));
    this.unlisten.push(await this.store.listen(NOTIFY_SWEEPS, () => void this.reloadSweeps().catch((err) => this.log('reload-failed', { error: String(err) }))));
    this.unlisten.push(
      await this.store.listen(NOTIFY_EVENTS, (payload) => {
        if (!this.store.leading()) return;
        try {
          const e = JSON.parse(payload) as { id: number; type: string; at: number; environment: string | null; detail: Record<string, unknown> };
          this.send(e.id, e.type, e.at, e.environment, e.detail);
        } catch (err) {
          this.log('event-relay-failed', { error: String(err) });
        }
      }),
    );
    await this.reloadSweeps();
    this.unlisten.push(await this.store.listen(NOTIFY_TOKENS, (id) => this.tokens.deleteWhere((t) => t === null || t.id === id)));
    this.unlisten.push(await this.store.listen(NOTIFY_POLL, () => { if (this.store.leading()) this.pollSoon(); }));
    this.timers.push(setInterval(() => void this.flush().catch((err) => this.log('flush-failed', { error: String(err) })), this.opts.flushMs ?? 1000));
    await this.tryLead();
    this.timers.push(setInterval(() => void this.tryLead(), this.opts.leaderRetryMs ?? 1000));
    this.timers.push(setInterval(() => void this.tickRollouts(), this.opts.rolloutTickMs ?? 1000));
    const backups = this.opts.backups;
    if (backups) this.timers.push(setInterval(() => void this.backupNow(backups).catch(() => {}), backups.everyMs));
  }

  private backingUp = false;

  /** One scheduled backup, by the leader only, never two at once; a failure is logged and said as `backup.failed`. */
  private async backupNow(b: { readonly dir: string; readonly tiers?: Tiers }): Promise<void> {
    if (this.stopped || this.backingUp || !this.store.leading()) return;
    this.backingUp = true;
    try {
      const made = await createBackup(this.store, b.dir, this.now(), b.tiers);
      this.log('backup', { file: made.file, removed: made.removed.length });
    } catch (err) {
      this.log('backup-failed', { error: err instanceof Error ? err.message.slice(0, 200) : String(err) });
      await this.event('backup.failed', null, { error: err instanceof ClaudeEnvError ? err.code : 'error' });
    } finally {
      this.backingUp = false;
    }
  }

  /** The leader's periodic work, one tick at a time: rollouts moved along (reports, machines, time), machines gone stale. */
  async tickRollouts(): Promise<void> {
    if (this.stopped || !this.store.leading() || this.ticking) return this.ticking;
    this.ticking = (async () => {
      // Frozen: no rollout moves (no step, no automatic rollback); each machine keeps what it holds.
      if (!(await this.frozen().catch(() => undefined))) await this.rollouts.tick().catch((err) => this.log('rollout-tick-failed', { error: String(err) }));
      await this.staleCheck().catch((err) => this.log('stale-check-failed', { error: String(err) }));
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private staleCheckedAt = 0;

  /**
   * `machine.stale`, once per machine as it turns stale: the machines whose
   * last sign of life fell behind the stale line since the previous check
   * (the line is kept in the store, so a new leader goes on where the last
   * one stopped), one event per environment.
   */
  async staleCheck(): Promise<void> {
    const now = this.now();
    if (now - this.staleCheckedAt < STALE_CHECK_MS) return;
    this.staleCheckedAt = now;
    const line = this.staleBefore();
    const kept = Number(await this.store.getMeta('stale-line'));
    if (Number.isFinite(kept) && kept > 0 && kept < line) {
      const gone = await this.store.lastSeenBetween(kept, line);
      const byEnv = new Map<string, string[]>();
      for (const m of gone) byEnv.set(m.env, [...(byEnv.get(m.env) ?? []), m.id]);
      for (const [env, ids] of byEnv) await this.event('machine.stale', env, { machines: ids.length, ids: ids.slice(0, 20), stale_after_ms: this.opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS });
    }
    if (!(kept >= line)) await this.store.setMeta('stale-line', String(line));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.stopSweeps();
    await this.ticking;
    for (const set of this.waiters.values()) for (const wake of set) wake();
    await this.polling?.catch(() => {});
    await this.flush().catch(() => {});
    for (const u of this.unlisten) await u().catch(() => {});
    await this.store.resign().catch(() => {});
  }

  leading(): boolean {
    return this.store.leading();
  }

  /** `/ready`: the store answers and the repo has been fetched (here, or by the leader: a revision is known). */
  async ready(): Promise<{ ready: boolean; reason?: string }> {
    try {
      await this.store.ping();
    } catch {
      return { ready: false, reason: 'the store cannot be reached' };
    }
    // Ready once machines can be answered: a revision fetched and assigned (here, or by the leader).
    if (!this.repoOk && this.envRevision.size === 0) return { ready: false, reason: 'the config repo has not been fetched yet' };
    return { ready: true };
  }

  // --- leading and tracking the repo ---

  private async tryLead(): Promise<void> {
    if (this.stopped || this.store.leading()) return;
    let got = false;
    try {
      got = await this.store.lead(() => {
        this.log('leader-lost');
        if (this.pollTimer) clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
        this.stopSweeps();
      });
    } catch (err) {
      this.log('lead-failed', { error: String(err) });
      return;
    }
    if (got && !this.stopped) {
      this.log('leader');
      this.pollSoon();
    }
  }

  /** Fetch now (after the webhook, or on taking the lead), then on the interval with jitter. */
  pollSoon(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.polling = this.pollOnce()
      .catch((err) => this.log('poll-failed', { error: String(err) }))
      .finally(() => {
        this.polling = undefined;
        if (this.stopped || !this.store.leading()) return;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.pollSoon();
          return;
        }
        const base = this.opts.pollMs ?? 60_000;
        this.pollTimer = setTimeout(() => this.pollSoon(), base * (0.9 + Math.random() * 0.2));
        this.pollTimer.unref?.();
      });
  }

  /** One fetch: a new head is validated; it is assigned to every environment if it passes, recorded as a failed sync if not. */
  async pollOnce(): Promise<void> {
    if (!this.store.leading()) return;
    const head = await this.tracker.head();
    if ((await this.store.syncOf(head)) !== undefined) {
      this.repoOk = true;
      await this.armSweeps();
      return;
    }
    if (await this.frozen()) {
      // Frozen: the new revision waits, neither validated nor assigned, until the unfreeze.
      if (this.held !== head) {
        this.held = head;
        await this.event('sync.held', null, { revision: head });
        this.log('sync-held', { revision: head });
      }
      this.repoOk = true;
      return;
    }
    const started = this.now();
    const verdict = await this.tracker.validate(head);
    if (!this.store.leading()) return;
    const at = this.now();
    const sync = { revision: head, at, duration_ms: verdict.duration_ms, errors: verdict.errors, findings: JSON.stringify(verdict.findings) };
    this.metrics.syncDuration.observe((at - started) / 1000);
    if (!verdict.ok) {
      await this.store.recordSync({ ...sync, status: 'failed' });
      this.repoOk = true;
      this.metrics.syncFailure.inc();
      await this.event('sync.failed', null, { revision: head, errors: verdict.errors, findings: verdict.findings.slice(0, 5) });
      await this.store.audit({ at, actor: 'controller', action: 'sync.failed', subject: head, address: null, detail: JSON.stringify({ errors: verdict.errors }) });
      this.log('sync-failed', { revision: head, errors: verdict.errors });
      return;
    }
    this.metrics.syncSuccess.inc();
    const envs = await this.tracker.environments(head);
    const before = new Map((await this.store.environments()).map((e) => [e.name, e.revision]));
    await this.store.setMeta('tracked', head);
    this.tracked = head;
    await this.store.audit({ at, actor: 'controller', action: 'sync.succeeded', subject: head, address: null, detail: JSON.stringify({ environments: envs }) });
    await this.event('sync.succeeded', null, { revision: head, environments: envs });
    // Each environment's rollout first (the machines it moves are told which revision to hold), then its revision: a
    // status never shows the new revision with machines not yet told. The sync is recorded last: a leader that dies
    // midway leaves the revision to its successor, which starts only the rollouts not yet started.
    const author = (await this.tracker.authorOf?.(head).catch(() => null)) ?? null;
    for (const env of envs) await this.rollouts.begin(env, head, await this.tracker.rolloutOf?.(head, env), author, before.get(env) ?? null, (stable) => this.sameFor(env, stable, head));
    for (const env of envs) await this.store.setEnvironmentRevision(env, head, at);
    await this.store.recordSync({ ...sync, status: 'succeeded' });
    this.log('sync-succeeded', { revision: head, environments: envs.length });
    await this.reloadRevisions();
    this.repoOk = true;
    await this.store.notify(NOTIFY_ASSIGNMENTS, head);
    await this.armSweeps();
  }

  /** Whether every machine of the environment gets the same files at both revisions (its targets' bundles compared). */
  private async sameFor(env: string, from: string, to: string): Promise<boolean> {
    for (const t of await this.store.targetsIn(env)) {
      const target = { env, ...(t.team ? { team: t.team } : {}), ...(t.project ? { project: t.project } : {}), ...(t.user ? { user: t.user } : {}) } as Target;
      const [a, b] = await Promise.all([this.tracker.bundle(from, target), this.tracker.bundle(to, target)]);
      if (!sameFiles(a.files, b.files)) return false;
    }
    return true;
  }

  private async event(type: string, environment: string | null, detail: unknown): Promise<void> {
    const at = this.now();
    const id = await this.store.addEvent({ at, type, environment, detail: JSON.stringify(detail) });
    // Only the leader sends: another replica passes the event on to it.
    if (!this.store.leading()) {
      await this.store.notify(NOTIFY_EVENTS, JSON.stringify({ id, type, at, environment, detail })).catch((err) => this.log('event-relay-failed', { error: String(err) }));
      return;
    }
    this.send(id, type, at, environment, detail);
  }

  /** Through the notifications of the tracked revision, never waiting for a channel: delivery retries on its own. */
  private send(id: number, type: string, at: number, environment: string | null, detail: unknown): void {
    if (!this.opts.notifications || this.tracked === undefined) return;
    const revision = this.tracked;
    if (this.notifier?.revision !== revision) {
      const made = this.opts.notifications(revision).catch((err: unknown) => {
        this.log('notify-setup-failed', { revision, error: err instanceof Error ? err.message : String(err) });
        return undefined;
      });
      this.notifier = { revision, made };
    }
    void this.notifier.made
      .then((n) =>
        n?.send({ id: String(id), type, at, environment, detail: detail as Record<string, unknown> }).then((r) => {
          for (const o of r.outcomes) if (o.status === 'failed') this.log('notify-failed', { event: type, channel: o.channel, code: o.error?.code ?? null });
        }),
      )
      // A notifier that throws never becomes an unhandled rejection: it is logged like a failed channel.
      .catch((err: unknown) => this.log('notify-failed', { event: type, error: err instanceof Error ? err.message.slice(0, 200) : String(err) }));
  }

  /** Environments' revisions from the store; long polls of an environment whose revision moved wake up. */
  async reloadRevisions(): Promise<void> {
    const rows = await this.store.environments();
    const tracked = await this.store.getMeta('tracked');
    if (tracked !== undefined) this.tracked = tracked;
    for (const row of rows) {
      if (row.revision === null || this.envRevision.get(row.name) === row.revision) continue;
      this.envRevision.set(row.name, row.revision);
      this.wake(row.name);
    }
    for (const env of await this.rollouts.reload(rows.map((r) => r.name))) this.wake(env);
  }

  /** Each environment's latest sweep; long polls of an environment with a new one answer. */
  async reloadSweeps(): Promise<void> {
    for (const row of await this.store.environments()) {
      const [latest] = await this.store.sweeps({ env: row.name, limit: 1 });
      if (latest === undefined || this.sweepOf.get(row.name)?.id === latest.id) continue;
      this.sweepOf.set(row.name, { id: latest.id, max_fixes: latest.max_fixes });
      this.wake(row.name);
    }
  }

  // --- drift sweeps ---

  /** The leader schedules sweeps on the tracked revision's `schedules.drift` (the seed's by default). */
  private async armSweeps(): Promise<void> {
    if (this.stopped || !this.store.leading() || this.tracked === undefined) return;
    const crons = (await this.tracker.driftSchedulesOf?.(this.tracked).catch(() => undefined)) ?? [...DEFAULT_DRIFT_SCHEDULES];
    const key = crons.join('\n');
    if (this.sweeper?.crons === key) return;
    this.stopSweeps();
    if (crons.length === 0) return;
    const scheduler = new SweepScheduler(crons, (at) => this.sweep({ at: at.getTime(), schedule: crons.join(' | ') }).then(() => undefined, (err: unknown) => this.log('sweep-skipped', { reason: err instanceof ClaudeEnvError ? err.code : String(err) })), this.opts.sweepClock ?? realClock);
    this.sweeper = { crons: key, scheduler };
    scheduler.start();
  }

  private stopSweeps(): void {
    this.sweeper?.scheduler.stop();
    this.sweeper = undefined;
  }

  /** When the next scheduled sweep fires (while this controller leads). */
  nextSweep(): Date | undefined {
    return this.sweeper?.scheduler.next;
  }

  // --- freeze (read-only mode) ---

  /**
   * The freeze as the store has it (every replica reads the same), or
   * undefined. While frozen no machine gets a new assignment: a new revision
   * of the repo waits (not even validated), no rollout moves (neither a step
   * nor an automatic rollback), no verb is taken and no sweep starts;
   * check-ins, reports and enrollments go on, each machine keeping the
   * revision it holds.
   */
  async frozen(): Promise<{ by: string; at: number; reason: string | null } | undefined> {
    const raw = await this.store.getMeta(META_FROZEN);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as { by: string; at: number; reason: string | null };
    } catch {
      return { by: 'unknown', at: 0, reason: null };
    }
  }

  async freezeView(): Promise<FreezeView> {
    const f = await this.frozen();
    return { frozen: f !== undefined, by: f?.by ?? null, at: f ? new Date(f.at).toISOString() : null, reason: f?.reason ?? null, waiting: f ? this.held ?? null : null };
  }

  /** A 503 `frozen` for what would change assignments while the fleet is frozen. */
  private async refuseFrozen(what: string): Promise<void> {
    const f = await this.frozen();
    if (f) throw new ClaudeEnvError('frozen', `the fleet is frozen (by ${f.by} at ${new Date(f.at).toISOString()}${f.reason ? `: ${f.reason}` : ''}), so ${what} waits until \`claude-env unfreeze\``);
  }

  async freeze(caller: Caller, reason: string | null, address: string | null): Promise<FreezeView> {
    const by = await this.requireUser(caller, 'admin');
    const at = this.now();
    if (!(await this.frozen())) {
      await this.store.setMeta(META_FROZEN, JSON.stringify({ by, at, reason }));
      await this.store.audit({ at, actor: `user:${by}`, action: 'fleet.freeze', subject: null, address, detail: JSON.stringify({ reason }) });
      await this.event('fleet.frozen', null, { by, reason });
      this.log('frozen', { by });
    }
    return this.freezeView();
  }

  async unfreeze(caller: Caller, address: string | null): Promise<FreezeView> {
    const by = await this.requireUser(caller, 'admin');
    const was = await this.frozen();
    if (was) {
      const at = this.now();
      await this.store.setMeta(META_FROZEN, '');
      await this.store.audit({ at, actor: `user:${by}`, action: 'fleet.unfreeze', subject: null, address, detail: JSON.stringify({ frozen_by: was.by, since: new Date(was.at).toISOString() }) });
      await this.event('fleet.unfrozen', null, { by, frozen_by: was.by });
      this.log('unfrozen', { by });
      // A revision that waited goes out now: the leader polls at once.
      this.held = undefined;
      if (this.store.leading()) this.pollSoon();
      else await this.store.notify(NOTIFY_POLL, '');
    }
    return this.freezeView();
  }

  /** Ask every machine of the environments (all by default) for a drift sweep; the sweeps made. */
  async sweep(opts: { env?: string; at?: number; schedule?: string | null; maxFixes?: number; by?: string; address?: string | null } = {}): Promise<SweepView[]> {
    await this.refuseFrozen('a drift sweep');
    const envs = opts.env !== undefined ? [opts.env] : (await this.store.environments()).filter((e) => e.revision !== null).map((e) => e.name);
    if (opts.env !== undefined && !(await this.store.environments()).some((e) => e.name === opts.env)) throw new ClaudeEnvError('not-found', `no environment ${opts.env}`);
    const at = opts.at ?? this.now();
    const made: SweepView[] = [];
    for (const env of envs) {
      const max_fixes = opts.maxFixes ?? this.opts.sweepMaxFixes ?? DEFAULT_SWEEP_MAX_FIXES;
      const id = await this.store.addSweep({ environment: env, at, max_fixes, schedule: opts.schedule ?? null });
      this.sweepOf.set(env, { id, max_fixes });
      this.wake(env);
      made.push(await this.sweepView({ id, environment: env, at, max_fixes, schedule: opts.schedule ?? null }));
    }
    if (opts.by !== undefined) await this.store.audit({ at, actor: opts.by, action: 'sweep.requested', subject: opts.env ?? null, address: opts.address ?? null, detail: JSON.stringify({ sweeps: made.map((m) => m.id) }) });
    this.log('sweep', { environments: envs.length, schedule: opts.schedule ?? null });
    await this.store.notify(NOTIFY_SWEEPS, '');
    return made;
  }

  /** A sweep and what its machines reported (each machine's latest answer). */
  async sweepView(row: { readonly id: number; readonly environment: string; readonly at: number; readonly max_fixes: number; readonly schedule?: string | null }): Promise<SweepView> {
    const latest = new Map<string, { report: SweepReport; risk: string }>();
    for (const r of await this.store.sweepReports(row.id)) {
      if (r.sweep === null || r.sweep === undefined) continue;
      const drift = r.drift === null ? null : (JSON.parse(r.drift) as { risk_level?: string });
      latest.set(r.machine_id, { report: JSON.parse(r.sweep) as SweepReport, risk: drift?.risk_level ?? 'none' });
    }
    let drifted = 0;
    let fixed = 0;
    let manual = 0;
    let down = 0;
    let worst = 0;
    for (const { report, risk } of latest.values()) {
      if (report.fixed > 0 || report.manual.length > 0) drifted += 1;
      fixed += report.fixed;
      manual += report.manual.length;
      down += report.mcp_down.length;
      const manualWorst = report.manual.reduce((w, i) => Math.max(w, RISKS.indexOf(i.severity as (typeof RISKS)[number])), 0);
      worst = Math.max(worst, manualWorst, RISKS.indexOf(risk as (typeof RISKS)[number]));
    }
    // One aggregate query, not the environment's ids (its total does not depend on the revision asked about).
    const { total: machines } = await this.store.revisionCounts(row.environment, '');
    return { id: row.id, environment: row.environment, at: new Date(row.at).toISOString(), max_fixes: row.max_fixes, machines, reported: latest.size, drifted, fixed, manual, mcp_down: down, risk_level: RISKS[Math.max(0, worst)]! };
  }

  async sweeps(filter: { env?: string; limit?: number }): Promise<SweepView[]> {
    const rows = await this.store.sweeps({ ...(filter.env !== undefined ? { env: filter.env } : {}), limit: filter.limit ?? 20 });
    const out: SweepView[] = [];
    for (const r of rows) out.push(await this.sweepView(r));
    return out;
  }

  // --- rollouts (verbs) ---

  async rolloutView(env: string): Promise<RolloutView> {
    return this.rollouts.view(env);
  }

  async rolloutViews(): Promise<RolloutView[]> {
    const out: RolloutView[] = [];
    for (const e of await this.store.environments()) {
      const v = await this.rollouts.viewIfAny(e.name);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /**
   * A verb of `claude-env rollout` by a user. approve: any user; the rollout
   * counts only holders of the gate's roles, never the author. The others
   * need an admin role or one of the gate's roles. Every verb is audited,
   * refused ones too (409 with the reason).
   */
  async rolloutAct(caller: Caller, env: string, verb: RolloutVerb, address: string | null): Promise<RolloutView> {
    const user = await this.requireUser(caller, 'read');
    await this.refuseFrozen(`rollout ${verb}`);
    const roles = await this.rolesOf(user);
    const current = this.rollouts.current(env) ?? (await this.rollouts.reload([env]), this.rollouts.current(env));
    if (current === undefined) throw new ClaudeEnvError('not-found', `no rollout in the environment ${env} yet`);
    if (verb !== 'approve') {
      const gateRoles = current.policy.approval?.roles ?? [];
      if (!roles.some((r) => gateRoles.includes(r)) && !(await this.isAdmin(roles))) {
        await this.store.audit({ at: this.now(), actor: `user:${user}`, action: `rollout.${verb}.refused`, subject: env, address, detail: JSON.stringify({ revision: current.revision, reason: 'role' }) });
        throw new ClaudeEnvError('forbidden', `${user} needs an admin role${gateRoles.length ? ` or one of ${gateRoles.join(', ')}` : ''} to ${verb} a rollout`);
      }
    }
    const at = this.now();
    if (verb === 'approve') {
      // Who may approve is a matter of access (403); whether the rollout takes an approval now is its state's (409).
      const gate = current.policy.approval;
      // A gate that needs a signed change takes no approval of one whose author is only what its author field says.
      const unsigned = gate?.require_signed === true && (await this.tracker.signerOf?.(current.revision).catch(() => null)) == null;
      const why = unsigned
        ? `the change ${current.revision.slice(0, 12)} is not signed with a key of access.yml signing_keys, and this gate takes approvals of signed changes only (its author cannot be told)`
        : current.author !== null && user === current.author
          ? `${user} is the author of the change and cannot approve it`
          : gate && !roles.some((r) => gate.roles.includes(r))
            ? `${user} needs one of the roles ${gate.roles.join(', ')} to approve (holds ${roles.join(', ') || 'none'})`
            : undefined;
      if (why !== undefined) {
        await this.store.audit({ at, actor: `user:${user}`, action: 'rollout.approve.refused', subject: env, address, detail: JSON.stringify({ revision: current.revision, reason: why }) });
        throw new ClaudeEnvError('forbidden', why);
      }
    }
    const input = verb === 'approve' ? { type: 'approve' as const, at, user, roles } : { type: verb, at, user };
    try {
      await this.rollouts.mutate(env, (s) => decide(s, input));
    } catch (err) {
      await this.store.audit({ at, actor: `user:${user}`, action: `rollout.${verb}.refused`, subject: env, address, detail: JSON.stringify({ revision: current.revision, reason: err instanceof Error ? err.message : String(err) }) });
      throw err;
    }
    await this.store.audit({ at, actor: `user:${user}`, action: `rollout.${verb}`, subject: env, address, detail: JSON.stringify({ revision: current.revision, roles }) });
    return this.rollouts.view(env);
  }

  private async isAdmin(roles: readonly string[]): Promise<boolean> {
    const sha = this.trackedRevision();
    for (const r of roles) if (r === 'admin' || (await this.tracker.isAdminRole?.(sha, r))) return true;
    return false;
  }

  /** The revision roles and enrollment are judged at. */
  trackedRevision(): string {
    if (this.tracked === undefined) throw new ClaudeEnvError('unavailable', 'the controller has no valid revision of the config repo yet');
    return this.tracked;
  }

  // --- callers ---

  /** The caller of a bearer token: 401 when it is missing, unknown, revoked or expired. */
  async authenticate(header: string | undefined): Promise<Caller> {
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ClaudeEnvError('unauthorized', 'no bearer token: send "Authorization: Bearer <token>"');
    const text = m[1]!;
    if (!isTokenShaped(text)) throw new ClaudeEnvError('unauthorized', 'the token is not valid');
    const hash = hashToken(text);
    let row = this.tokens.get(hash);
    if (row === undefined) {
      row = (await this.store.tokenByHash(hash)) ?? null;
      this.tokens.set(hash, row);
    }
    if (row === null || row.revoked_at !== null) throw new ClaudeEnvError('unauthorized', 'the token is not valid (unknown or revoked)');
    if (row.expires_at !== null && row.expires_at <= this.now()) throw new ClaudeEnvError('unauthorized', 'the token has expired');
    if (row.kind === 'user' && row.user) return { kind: 'user', user: row.user, tokenId: row.id };
    if (row.kind === 'agent' && row.machine_id) return { kind: 'agent', machineId: row.machine_id, tokenId: row.id };
    if (row.kind === 'enroll' && row.env) return { kind: 'enroll', env: row.env, tokenId: row.id };
    throw new ClaudeEnvError('unauthorized', 'the token is not valid');
  }

  private rolesOf(user: string): Promise<string[]> {
    const sha = this.trackedRevision();
    const key = `${sha}\0${user}`;
    let got = this.roles.get(key);
    if (!got) {
      const made = this.tracker.rolesOf(sha, user);
      made.catch(() => this.roles.drop(key, made));
      this.roles.set(key, made);
      got = made;
    }
    return got;
  }

  /** A user with some role of access.yml at the tracked revision (reads), or an admin (`*`). */
  async requireUser(caller: Caller, need: 'read' | 'admin'): Promise<string> {
    if (caller.kind !== 'user') throw new ClaudeEnvError('forbidden', `this route takes a user token, not ${caller.kind === 'agent' ? 'an agent' : 'an enroll'} token`);
    const roles = await this.rolesOf(caller.user);
    if (need === 'read' && roles.length > 0) return caller.user;
    if (need === 'admin' && (await this.isAdmin(roles))) return caller.user;
    throw new ClaudeEnvError('forbidden', need === 'admin' ? `${caller.user} holds no admin role in access.yml at ${sha7(this.tracked)}` : `${caller.user} holds no role in access.yml at ${sha7(this.tracked)}`);
  }

  // --- enrollment ---

  async enroll(caller: Caller, body: EnrollRequest, address: string | null): Promise<EnrollResponse> {
    if (caller.kind !== 'enroll') throw new ClaudeEnvError('forbidden', 'enrolling takes an enroll token');
    if (body.env !== undefined && body.env !== caller.env) throw new ClaudeEnvError('forbidden', `this enroll token is for the environment ${caller.env}, not ${body.env}`);
    const sha = this.trackedRevision();
    let target: Target;
    try {
      target = await this.tracker.resolveTarget(sha, { env: caller.env, user: body.user, ...(body.team !== undefined ? { team: body.team } : {}), ...(body.project !== undefined ? { project: body.project } : {}) });
    } catch (err) {
      throw new ClaudeEnvError('bad-request', `this identity is not a target of the config repo at ${sha7(sha)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const at = this.now();
    const id = newMachineId();
    const token = newToken('agent');
    await this.store.enrollMachine(
      { id, env: target.env, team: target.team ?? null, project: target.project ?? null, user: target.user ?? null, hostname: body.hostname ?? null, enrolled_at: at, last_seen: at, assigned_revision: null, applied_revision: null, state: 'applying', result: null, error_code: null, drift_percentage: null, risk_level: null, drift: null, last_seq: 0, last_report_at: null, claude_version: body.claude_version ?? null },
      { id: token.id, kind: 'agent', hash: token.hash, user: target.user ?? null, env: target.env, machine_id: id, created_by: caller.tokenId, created_at: at, expires_at: null, revoked_at: null },
    );
    await this.store.audit({ at, actor: `enroll:${caller.tokenId}`, action: 'machine.enrolled', subject: id, address, detail: JSON.stringify({ target, hostname: body.hostname ?? null }) });
    await this.event('machine.enrolled', target.env, { machine: id, team: target.team ?? null, project: target.project ?? null });
    return { machine_id: id, token: token.token, target };
  }

  // --- check-ins ---

  private async machineOf(id: string): Promise<CachedMachine> {
    let m = this.machines.get(id);
    if (!m) {
      const row = await this.store.machine(id);
      if (!row) throw new ClaudeEnvError('not-found', `no machine ${id}`);
      const target: Target = { env: row.env, ...(row.team ? { team: row.team } : {}), ...(row.project ? { project: row.project } : {}), ...(row.user ? { user: row.user } : {}) } as Target;
      m = { id, env: row.env, target, key: targetKey(target), seenQueued: 0, assigned: row.assigned_revision };
      this.machines.set(id, m);
    }
    return m;
  }

  private requireMachine(caller: Caller, id: string): void {
    if (caller.kind !== 'agent') throw new ClaudeEnvError('forbidden', 'this route takes the machine\'s agent token');
    if (caller.machineId !== id) throw new ClaudeEnvError('forbidden', 'an agent token reaches only its own machine');
  }

  /** The body a machine of the target gets: the active revision's bundle, and the one to stage beside it (blue-green). */
  private bundleOf(revision: string, m: CachedMachine, stage: string | null = null): Promise<CachedBundle> {
    const key = `${revision}\0${stage ?? ''}\0${m.key}`;
    let got = this.bundles.get(key);
    if (!got) {
      const made = Promise.all([this.tracker.bundle(revision, m.target), stage === null ? undefined : this.tracker.bundle(stage, m.target)]).then(async ([b, st]): Promise<CachedBundle> => {
        const a: Assignment = st === undefined ? b : { ...b, etag: combinedEtag(b.etag, st.etag), stage: { revision: st.revision, etag: st.etag, files: st.files } };
        const body = Buffer.from(JSON.stringify(a));
        return { etag: a.etag, revision: a.revision, body, gzip: await gzipAsync(body) };
      });
      made.catch(() => this.bundles.drop(key, made));
      this.bundles.set(key, made);
      got = made;
    }
    return got;
  }

  /**
   * A check-in: the machine's assignment, or `undefined` when the machine
   * already holds it (`etag`); with `waitMs`, waits up to that long for a
   * new one before answering `undefined`.
   */
  async checkIn(caller: Caller, id: string, etag: string | undefined, waitMs: number, signal?: AbortSignal, lastSweep?: number): Promise<CheckIn> {
    this.requireMachine(caller, id);
    const m = await this.machineOf(id);
    this.noteSeen(m);
    this.metrics.checkins.inc();
    const deadline = this.now() + Math.min(Math.max(0, waitMs), this.opts.longPollMaxMs ?? 55_000);
    for (;;) {
      const want = this.desiredOf(m);
      const sw = this.sweepOf.get(m.env);
      const sweep = sw !== undefined && lastSweep !== undefined && sw.id > lastSweep ? sw : undefined;
      if (want === undefined) {
        if (waitMs <= 0) throw new ClaudeEnvError('unavailable', `the environment ${m.env} has no valid revision yet`);
      } else {
        const b = await this.bundleOf(want.revision, m, want.stage);
        if (b.etag !== etag) {
          if (m.assigned !== want.revision) {
            m.assigned = want.revision;
            this.assigned.set(id, { revision: want.revision, at: this.now() });
          }
          return { assignment: { etag: b.etag, body: b.body, gzip: b.gzip }, ...(sweep ? { sweep } : {}) };
        }
        if (sweep) return { sweep };
      }
      const left = deadline - this.now();
      if (left <= 0 || this.stopped || signal?.aborted) return {};
      await this.waitForRevision(m.env, left, signal);
      this.noteSeen(m);
    }
  }

  /** What the machine is to hold: its environment's rollout says (the environment's revision before any rollout). */
  private desiredOf(m: CachedMachine): { revision: string; stage: string | null } | undefined {
    const d: Desired | undefined = this.rollouts.desired(m.env, m.id);
    if (d !== undefined) return d.revision === null ? undefined : { revision: d.revision, stage: d.stage };
    const revision = this.envRevision.get(m.env);
    return revision === undefined ? undefined : { revision, stage: null };
  }

  /**
   * Last-seen times are kept to SEEN_PRECISION_MS: a machine checking in every
   * few seconds is written twice a minute, not at every check-in (a machine is
   * stale after minutes).
   */
  private noteSeen(m: CachedMachine): void {
    const now = this.now();
    if (now - m.seenQueued < SEEN_PRECISION_MS) return;
    m.seenQueued = now;
    this.seen.set(m.id, now);
  }

  private waitForRevision(env: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(env);
      if (!set) this.waiters.set(env, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0) this.waiters.delete(env);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** What the check-ins since the last flush tell the store (last-seen times, revisions sent), in one write each. */
  async flush(): Promise<void> {
    if (this.assigned.size > 0) {
      const batch = [...this.assigned].map(([id, a]) => ({ id, ...a }));
      this.assigned.clear();
      try {
        await this.store.assignMany(batch);
      } catch (err) {
        // Kept for the next flush (the store may be restarting), unless a newer one came meanwhile.
        for (const { id, revision, at } of batch) if (!this.assigned.has(id)) this.assigned.set(id, { revision, at });
        throw err;
      }
    }
    if (this.seen.size === 0) return;
    const batch = [...this.seen].map(([id, at]) => ({ id, at }));
    this.seen.clear();
    try {
      await this.store.touchMachines(batch);
    } catch (err) {
      for (const { id, at } of batch) if ((this.seen.get(id) ?? 0) < at) this.seen.set(id, at);
      throw err;
    }
  }

  async report(caller: Caller, id: string, r: Report): Promise<ReportAck> {
    this.requireMachine(caller, id);
    await this.machineOf(id);
    const at = this.now();
    // A revision sent and not yet written goes first: the report may be about it.
    if (this.assigned.has(id)) await this.flush();
    const stored = await this.store.addReport(
      {
        machine_id: id,
        seq: r.seq,
        received_at: at,
        made_at: r.at,
        revision: r.revision,
        assigned_revision: r.assigned_revision ?? null,
        result: r.result,
        error_code: r.error_code ?? null,
        timings: r.timings ? JSON.stringify(r.timings) : null,
        drift: r.drift ? JSON.stringify(r.drift) : null,
        staged_revision: r.staged_revision ?? null,
        sweep_id: r.sweep?.id ?? null,
        sweep: r.sweep ? JSON.stringify(r.sweep) : null,
      },
      r.claude_version ?? null,
    );
    if (stored) {
      this.metrics.reports.inc({ result: r.result });
      if (r.sweep) await this.sweepEvents(id, r);
    }
    return { seq: r.seq, stored };
  }

  /** A sweep's answer: what a person must look at is an event (drift.critical, drift.high, mcp.down). */
  private async sweepEvents(id: string, r: Report): Promise<void> {
    const m = await this.machineOf(id);
    const sweep = r.sweep!;
    const count = (sev: string): number => sweep.manual.filter((i) => i.severity === sev).length;
    const base = { machine: id, sweep: sweep.id, team: m.target.team ?? null, project: m.target.project ?? null };
    if (count('critical') > 0) await this.event('drift.critical', m.env, { ...base, items: count('critical'), paths: sweep.manual.filter((i) => i.severity === 'critical').map((i) => i.path).slice(0, 20) });
    else if (count('high') > 0) await this.event('drift.high', m.env, { ...base, items: count('high'), paths: sweep.manual.filter((i) => i.severity === 'high').map((i) => i.path).slice(0, 20) });
    if (sweep.mcp_down.length > 0) await this.event('mcp.down', m.env, { ...base, servers: sweep.mcp_down.slice(0, 20) });
  }

  // --- fleet status ---

  /** A machine last seen before this time is stale. */
  private staleBefore(): number {
    return this.now() - (this.opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  }

  private counts(): Promise<StateCount[]> {
    const now = this.now();
    if (this.countsMemo && now - this.countsMemo.at < 1000) return this.countsMemo.value;
    const value = this.store.stateCounts(this.staleBefore());
    value.catch(() => (this.countsMemo = undefined));
    this.countsMemo = { at: now, value };
    return value;
  }

  async fleetStatus(filter: { env?: string; limit?: number }): Promise<FleetStatus> {
    const [counts, envRows, risks] = await Promise.all([this.store.stateCounts(this.staleBefore()), this.store.environments(), this.store.riskLevels()]);
    const rows = await this.store.listMachines({ ...(filter.env !== undefined ? { env: filter.env } : {}), limit: filter.limit ?? 1000 });
    const names = new Set<string>([...envRows.map((e) => e.name), ...counts.map((c) => c.env)]);
    const environments = [...names]
      .filter((n) => filter.env === undefined || n === filter.env)
      .sort()
      .map((name) => {
        const states = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<MachineState, number>;
        let n = 0;
        let drift = 0;
        for (const c of counts) {
          if (c.env !== name) continue;
          states[c.state] += c.count;
          n += c.count;
          drift += c.drift_sum;
        }
        // Over every machine of the environment, not only the ones listed.
        const worst = risks.filter((r) => r.env === name).reduce((w, r) => Math.max(w, RISKS.indexOf(r.risk_level as (typeof RISKS)[number])), 0);
        return { name, revision: envRows.find((e) => e.name === name)?.revision ?? null, machines: n, states, drift_percentage: n === 0 ? 0 : Math.round((drift / n) * 100) / 100, risk_level: RISKS[Math.max(0, worst)]! };
      });
    const frozen = await this.freezeView();
    return { environments, machines: rows.map((r) => this.machineView(r)), ...(frozen.frozen ? { frozen } : {}) };
  }

  machineView(r: MachineRow): MachineView {
    const stale = (r.last_seen ?? r.enrolled_at) < this.staleBefore();
    // As the store counts it (stateCounts): not yet at the revision the controller wants it to hold, unless its last apply failed.
    const behind = r.assigned_revision !== null && r.state !== 'failed' && r.applied_revision !== r.assigned_revision;
    return {
      id: r.id,
      env: r.env,
      team: r.team,
      project: r.project,
      user: r.user,
      hostname: r.hostname,
      claude_version: r.claude_version,
      revision: r.applied_revision,
      assigned_revision: r.assigned_revision,
      state: stale ? 'stale' : behind ? 'applying' : r.state,
      drift_percentage: r.drift_percentage,
      risk_level: r.risk_level,
      last_seen: r.last_seen === null ? null : new Date(r.last_seen).toISOString(),
      last_report: r.last_report_at === null ? null : new Date(r.last_report_at).toISOString(),
    };
  }

  async machine(id: string): Promise<MachineView> {
    const row = await this.store.machine(id);
    if (!row) throw new ClaudeEnvError('not-found', `no machine ${id}`);
    return this.machineView(row);
  }

  // --- tokens (admin) ---

  async createToken(by: string, req: { kind: TokenKind; user?: string; env?: string; expiresMs?: number }, address: string | null): Promise<TokenCreated> {
    return createTokenIn(this.store, by, req, this.now(), address, await this.knownEnvironments());
  }

  private async knownEnvironments(): Promise<string[] | undefined> {
    return this.tracked === undefined ? undefined : this.tracker.environments(this.tracked);
  }

  async listTokens(): Promise<TokenView[]> {
    return (await this.store.listTokens()).map(tokenView);
  }

  async revokeToken(by: string, id: string, address: string | null): Promise<void> {
    const at = this.now();
    if (!(await this.store.revokeToken(id, at))) throw new ClaudeEnvError('not-found', `no token ${id} to revoke (unknown or revoked before)`);
    this.tokens.deleteWhere((t) => t !== null && t.id === id);
    await this.store.audit({ at, actor: by, action: 'token.revoked', subject: id, address, detail: null });
    await this.store.notify(NOTIFY_TOKENS, id);
  }

  /** The webhook: the leader fetches now; another replica asks the leader to. */
  async webhook(address: string | null, delivery: string | null): Promise<void> {
    await this.store.audit({ at: this.now(), actor: 'webhook', action: 'repo.push', subject: delivery, address, detail: null });
    if (this.store.leading()) this.pollSoon();
    else await this.store.notify(NOTIFY_POLL, '');
  }

  get webhookSecret(): string | undefined {
    return this.opts.webhookSecret;
  }
}

/** What a check-in answers: a new assignment, a sweep to run, both, or nothing new. */
export interface CheckIn {
  readonly assignment?: { readonly etag: string; readonly body: Buffer; readonly gzip: Buffer };
  readonly sweep?: { readonly id: number; readonly max_fixes: number };
}

function sameFiles(a: Assignment['files'], b: Assignment['files']): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k] as { mode: number; text?: string; base64?: string };
    const y = b[k] as { mode: number; text?: string; base64?: string } | undefined;
    if (y === undefined || x.mode !== y.mode || x.text !== y.text || x.base64 !== y.base64) return false;
  }
  return true;
}

/** The ETag of an active bundle with a staged one beside it. */
function combinedEtag(active: string, staged: string): string {
  return createHash('sha256').update(`${active}\0${staged}`).digest('hex').slice(0, Math.max(16, active.length));
}

function targetKey(t: Target): string {
  return `${t.env}\0${t.team ?? ''}\0${t.project ?? ''}\0${t.user ?? ''}`;
}

function sha7(sha: string | undefined): string {
  return sha === undefined ? '(none)' : sha.slice(0, 7);
}

export function tokenView(t: TokenRow): TokenView {
  const iso = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());
  return { id: t.id, kind: t.kind, user: t.user, env: t.env, machine_id: t.machine_id, created_at: new Date(t.created_at).toISOString(), expires_at: iso(t.expires_at), revoked_at: iso(t.revoked_at) };
}

/** A user or enroll token made in the store (the API's route and `token create --db` alike); audited. */
export async function createTokenIn(store: Store, by: string, req: { kind: TokenKind; user?: string; env?: string; expiresMs?: number }, at: number, address: string | null, environments?: readonly string[]): Promise<TokenCreated> {
  if (req.kind === 'user' && !req.user) throw new ClaudeEnvError('bad-request', 'a user token needs the user it acts as (--user)');
  if (req.kind === 'enroll' && !req.env) throw new ClaudeEnvError('bad-request', 'an enroll token needs its environment (--env)');
  if (req.kind === 'agent') throw new ClaudeEnvError('bad-request', 'agent tokens are made by enrolling a machine');
  if (req.kind === 'enroll' && environments && !environments.includes(req.env!)) throw new ClaudeEnvError('bad-request', `no environment ${req.env} in claude-env.yml (${environments.join(', ')})`);
  const t = newToken(req.kind);
  await store.createToken({ id: t.id, kind: req.kind, hash: t.hash, user: req.kind === 'user' ? req.user! : null, env: req.kind === 'enroll' ? req.env! : null, machine_id: null, created_by: by, created_at: at, expires_at: req.expiresMs === undefined ? null : at + req.expiresMs, revoked_at: null });
  await store.audit({ at, actor: by, action: 'token.created', subject: t.id, address, detail: JSON.stringify({ kind: req.kind, user: req.user ?? null, env: req.env ?? null }) });
  return { id: t.id, kind: req.kind, token: t.token };
}
