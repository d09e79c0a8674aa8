/**
 * The rollout engine (machine.ts) run by the controller: each environment's
 * state lives in the store (`rollouts`, saved only over the version it was
 * read at), so any replica may act on it — a verb by a user on a follower,
 * the leader's ticks — and a save that lost the race is read again and
 * redone. The leader folds the reports every replica stored (read back from
 * the store in order, each machine's sequence numbers once) and the passing
 * of time into the state once a tick. Whoever saves a new state records
 * its events, writes the revision each machine is now to hold (only those
 * that changed) and tells every replica, whose long polls then answer.
 */
import { ClaudeEnvError } from '../errors.js';
import type { RolloutView } from './api.js';
import type { EnvReportRow, Store } from './db/store.js';
import {
  applyEvents,
  assignmentOf,
  decide,
  isActive,
  policyOf,
  startRollout,
  statusOf,
  type Assignment as Desired,
  type RolloutEvent,
  type RolloutInput,
  type RolloutSettings,
  type RolloutState,
  type Transition,
} from './rollouts/machine.js';

/** A stored rollout's state (the store keeps it as JSON). */
const stateOf = (row: { readonly state: string }): RolloutState => JSON.parse(row.state) as RolloutState;

export interface RolloutHost {
  readonly store: Store;
  now(): number;
  log(event: string, fields?: Record<string, unknown>): void;
  /** Record an event (and send it through the notifications). */
  event(type: string, environment: string | null, detail: Record<string, unknown>): Promise<void>;
  /** The environment's assignments moved: wake its long polls here, and tell the other replicas. */
  moved(environment: string): Promise<void>;
}

interface Held {
  readonly state: RolloutState;
  readonly version: number;
}

/** Reports are read back from this long before the last one folded (replicas' clocks differ a little). */
const OVERLAP_MS = 5_000;
/** How often the leader compares a rollout's machines with the store's. */
const FLEET_CHECK_MS = 5_000;
const SAVE_TRIES = 6;

/** The revision that was last good: where machines go back to, and what a new rollout starts from. */
export function stableOf(s: RolloutState): string | null {
  if (s.phase === 'completed') return s.revision;
  if (s.phase === 'aborted' && s.reason === 'superseded' && s.strategy === 'blue-green' && s.switched) return s.revision;
  return s.previousRevision;
}

const isCritical = (drift: string | null): boolean => {
  if (drift === null) return false;
  try {
    const d = JSON.parse(drift) as { items?: Array<{ severity?: unknown }> };
    return Array.isArray(d.items) && d.items.some((i) => i?.severity === 'critical');
  } catch {
    return false;
  }
};

/** A stored report as an input of the state machine; a sweep's answer is no apply and counts for no step. */
export function reportInput(r: EnvReportRow): RolloutInput | undefined {
  if (r.sweep_id !== null && r.sweep_id !== undefined) return undefined;
  if (r.staged_revision) return { type: 'report', at: r.received_at, machine: r.machine_id, revision: r.staged_revision, result: r.result };
  return { type: 'report', at: r.received_at, machine: r.machine_id, revision: r.assigned_revision ?? r.revision, result: r.result, criticalDrift: isCritical(r.drift) };
}

export class Rollouts {
  private readonly held = new Map<string, Held>();
  /** Per environment and revision: reports folded (received_at reached, each machine's last seq). */
  private readonly fed = new Map<string, { revision: string; since: number; seqs: Map<string, number> }>();
  private readonly fleetChecked = new Map<string, number>();

  constructor(private readonly host: RolloutHost) {}

  /** The state of an environment as this replica last read it. */
  current(env: string): RolloutState | undefined {
    return this.held.get(env)?.state;
  }

  environments(): string[] {
    return [...this.held.keys()].sort();
  }

  /** What a machine is to hold now; undefined when the environment has no rollout. */
  desired(env: string, machine: string): Desired | undefined {
    const h = this.held.get(env);
    return h === undefined ? undefined : assignmentOf(h.state, machine);
  }

  /** Read the environments' rollouts from the store; the ones that moved since. */
  async reload(envs: Iterable<string>): Promise<string[]> {
    const moved: string[] = [];
    for (const env of envs) {
      const row = await this.host.store.rollout(env);
      if (row === undefined) continue;
      const before = this.held.get(env);
      if (before?.version === row.version) continue;
      this.held.set(env, { state: stateOf(row), version: row.version });
      moved.push(env);
    }
    return moved;
  }

  /**
   * A new valid revision of the environment: its rollout starts (a running one
   * is superseded). The first revision an environment gets has nothing to be
   * careful against and goes to every machine at once, as Argo Rollouts skips
   * the steps of a first deployment; so does one that changes nothing its
   * machines receive (`unchanged`: a commit to another environment).
   */
  async begin(env: string, revision: string, settings: RolloutSettings | undefined, author: string | null, fallbackStable: string | null, unchanged?: (stable: string) => Promise<boolean>): Promise<void> {
    for (let i = 0; i < SAVE_TRIES; i += 1) {
      const row = await this.host.store.rollout(env);
      const cur = row === undefined ? undefined : stateOf(row);
      if (cur?.revision === revision) {
        if (row!.version !== this.held.get(env)?.version) this.held.set(env, { state: cur, version: row!.version });
        return;
      }
      const at = this.host.now();
      const before = cur && isActive(cur) ? decide(cur, { type: 'supersede', at, revision }).state : cur;
      const stable = before === undefined ? fallbackStable : stableOf(before);
      // A revision that changes no file of the environment's machines has nothing to prove: it goes to all at once.
      const same = stable !== null && stable !== revision && unchanged !== undefined && (await unchanged(stable));
      const policy = policyOf(stable === null || same ? { strategy: 'immediate' } : (settings ?? { strategy: 'immediate' }));
      const fleet = await this.host.store.machineIds(env);
      const t = startRollout(policy, { environment: env, revision, previousRevision: stable === revision ? null : stable, author, fleet, at });
      if (await this.commit(env, before, t, (row?.version ?? 0) + 1)) {
        this.fed.delete(env);
        return;
      }
    }
    throw new ClaudeEnvError('conflict', `the rollout of ${env} kept changing under this replica; it is tried again on the next fetch`);
  }

  /**
   * Change the environment's rollout: `fn` gets the stored state and returns
   * the transition (or nothing: no change). A refused input is a `conflict`
   * error with the state machine's reason.
   */
  async mutate(env: string, fn: (s: RolloutState) => Transition | undefined): Promise<RolloutState> {
    for (let i = 0; i < SAVE_TRIES; i += 1) {
      const row = await this.host.store.rollout(env);
      if (row === undefined) throw new ClaudeEnvError('not-found', `no rollout in the environment ${env} yet`);
      const s = stateOf(row);
      const t = fn(s);
      if (t === undefined) return s;
      if (t.refused !== undefined) throw new ClaudeEnvError('conflict', t.refused);
      if (t.events.length === 0 && sameProgress(s, t.state)) {
        if (this.held.get(env)?.version !== row.version) this.held.set(env, { state: s, version: row.version });
        return s;
      }
      if (await this.commit(env, s, t, row.version + 1)) return t.state;
    }
    throw new ClaudeEnvError('conflict', `the rollout of ${env} was changed by another replica meanwhile; try again`);
  }

  /** Save; then events, the machines' new revisions, and the other replicas told. False when another save came first. */
  private async commit(env: string, before: RolloutState | undefined, t: Transition, version: number): Promise<boolean> {
    const at = this.host.now();
    const saved = await this.host.store.saveRollout({ environment: env, revision: t.state.revision, phase: t.state.phase, state: JSON.stringify(t.state), version, updated_at: at });
    if (!saved) return false;
    this.held.set(env, { state: t.state, version });
    const changes: Array<{ id: string; revision: string; at: null }> = [];
    const ids = new Set([...t.state.fleet, ...(before?.fleet ?? [])]);
    for (const id of ids) {
      const now = assignmentOf(t.state, id).revision;
      if (now !== null && (before === undefined || assignmentOf(before, id).revision !== now)) changes.push({ id, revision: now, at: null });
    }
    if (changes.length > 0) await this.host.store.assignMany(changes);
    for (const e of t.events) await this.host.event(e.type, env, eventDetail(e));
    await this.host.moved(env);
    return true;
  }

  /** The leader's tick: every active rollout folds the reports stored since, the machines that came or went, and the time. */
  async tick(): Promise<void> {
    const now = this.host.now();
    for (const [env, h] of [...this.held]) {
      if (!isActive(h.state)) continue;
      try {
        const inputs = await this.pending(env, h.state, now);
        await this.mutate(env, (s) => (isActive(s) && s.revision === h.state.revision ? applyEvents(s, inputs) : undefined));
      } catch (err) {
        // Read again from the step's start on the next tick: folding a report twice changes nothing.
        this.fed.delete(env);
        this.host.log('rollout-tick-failed', { environment: env, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private async pending(env: string, s: RolloutState, now: number): Promise<RolloutInput[]> {
    let f = this.fed.get(env);
    if (f === undefined || f.revision !== s.revision) {
      f = { revision: s.revision, since: s.stepStartedAt, seqs: new Map() };
      this.fed.set(env, f);
    }
    const inputs: RolloutInput[] = [];
    for (const r of await this.host.store.reportsSince(env, f.since - OVERLAP_MS)) {
      if ((f.seqs.get(r.machine_id) ?? 0) >= r.seq) continue;
      f.seqs.set(r.machine_id, r.seq);
      f.since = Math.max(f.since, r.received_at);
      const input = reportInput(r);
      if (input) inputs.push(input);
    }
    if (now - (this.fleetChecked.get(env) ?? 0) >= FLEET_CHECK_MS) {
      this.fleetChecked.set(env, now);
      const ids = await this.host.store.machineIds(env);
      const have = new Set(s.fleet);
      const joined = ids.filter((id) => !have.has(id));
      const now_ = new Set(ids);
      const left = s.fleet.filter((id) => !now_.has(id));
      if (joined.length > 0 || left.length > 0) inputs.push({ type: 'machines-changed', at: now, joined, left });
    }
    inputs.push({ type: 'tick', at: now });
    return inputs;
  }

  /** `rollout status ENV`. */
  async view(env: string): Promise<RolloutView> {
    const v = await this.viewIfAny(env);
    if (v === undefined) throw new ClaudeEnvError('not-found', `no rollout in the environment ${env} yet`);
    return v;
  }

  /** The environment's rollout as `rollout status` shows it, or undefined when it has had none. */
  async viewIfAny(env: string): Promise<RolloutView | undefined> {
    const row = await this.host.store.rollout(env);
    if (row === undefined) return undefined;
    const s = stateOf(row);
    return viewOf(s, await this.host.store.revisionCounts(env, s.revision));
  }
}

/**
 * Whether nothing changed, so a tick writes nothing: the state machine
 * copies a state shallowly and replaces what it changes (lists are new
 * arrays), so same values mean the same state; a machine's step report is
 * seen through the counts it moves.
 */
function sameProgress(a: RolloutState, b: RolloutState): boolean {
  for (const key of Object.keys(a) as Array<keyof RolloutState>) {
    if (key === 'stepReports') {
      if (Object.keys(a.stepReports).length !== Object.keys(b.stepReports).length) return false;
    } else if (a[key] !== b[key]) return false;
  }
  return true;
}

function eventDetail(e: RolloutEvent): Record<string, unknown> {
  return { revision: e.revision, ...e.data };
}

const iso = (n: number | null): string | null => (n === null ? null : new Date(n).toISOString());

export function viewOf(s: RolloutState, counts: { total: number; updated: number; failed: number }): RolloutView {
  const base = statusOf(s, counts);
  const staged = s.strategy === 'blue-green' ? (s.switched ? counts.updated : Object.values(s.stepReports).filter((bad) => !bad).length) : undefined;
  return {
    ...base,
    steps: [...s.policy.steps],
    author: s.author,
    approved_by: s.approvals.map((a) => a.user),
    reason: s.reason,
    started_at: iso(s.startedAt)!,
    ended_at: iso(s.endedAt),
    ...(staged !== undefined ? { staged, switched: s.switched } : {}),
  };
}
