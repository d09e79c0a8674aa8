/**
 * The rollout engine as a pure state machine: `decide(state, event)` returns
 * the next state and the events to emit; `assignmentOf(state, machine)` says
 * which revision a machine should hold now. No clock, randomness, environment
 * or I/O: time arrives in each event's `at` (ms since the epoch), and the
 * state is plain JSON the controller stores as it is.
 *
 * Decisions (see also cohort.ts):
 * - Steps. canary: `steps` (default [10, 50, 100]); staged and immediate:
 *   [100]; blue-green: step 0 stages the new revision on every machine beside
 *   the old one, step 1 is the switch of all at once.
 * - Health gate, per step, over the reports received since the step began
 *   from machines of the step (latest report of a machine counts): failure
 *   rate = (failed + rolled-back + ok-with-critical-drift) / reported. Once at
 *   least `minReports` machines reported (default max(1, ceil(10 % of the
 *   step's machines)), never more than the step has), a rate above
 *   `maxFailureRate` fails the rollout: phase failed, every machine back to
 *   the previous revision, `rollout.failed`. Otherwise the gate has passed;
 *   it is checked again on every later report of the step. immediate has no
 *   gate: it completes as it starts.
 * - After a passed gate the step bakes for `pauseMs` (phase stays
 *   progressing), then the next step begins; after the last step, completed.
 * - Approval: asked once, before leaving the first canary step (Argo
 *   Rollouts' manual promotion), i.e. before step 1; for blue-green before
 *   the switch; for a single-step strategy before step 0 (nothing moves until
 *   approved). Approvals are accepted while the rollout is active; the author
 *   never counts, a user without one of the gate's roles is refused, the same
 *   user twice counts once.
 * - Step deadline: `stepTimeoutMs` (default none: a quiet step waits). When
 *   set, a step whose gate has not passed by then fails like a bad gate
 *   (Flagger's progress deadline): silence is not health.
 * - pause/resume: a manual hold; ticks do nothing while paused and the
 *   clocks of the step (deadline, bake) move by the time spent paused.
 * - promote: skips the bake and the wait for reports of the current step
 *   (not the approval, never a failed gate).
 * - abort (by hand, as Argo Rollouts' abort): the rollout stops and every
 *   machine goes back to the stable (previous) revision; phase aborted, and it
 *   may be started again. supersede (a newer revision takes over): the
 *   rollout stops where it is: machines of the current step keep the new
 *   revision, the others the previous one (blue-green: the active revision
 *   stays as it is, staging stops), and the newer rollout starts from there.
 * - rollback (by hand, also after completed or aborted): every machine back
 *   to the previous revision, `rollout.rolled-back`.
 */
import { durationMs } from '../../duration.js';
import { minimumOf, topUpOf, withinPercent } from './cohort.js';

export type RolloutStrategy = 'immediate' | 'staged' | 'canary' | 'blue-green';
export type RolloutPhase = 'progressing' | 'paused' | 'awaiting-approval' | 'completed' | 'failed' | 'aborted' | 'rolled-back';
export type ReportOutcome = 'ok' | 'failed' | 'rolled-back';

export const DEFAULT_CANARY_STEPS: readonly number[] = [10, 50, 100];
export const DEFAULT_MAX_FAILURE_RATE = 0.05;

export interface ApprovalGate {
  readonly roles: readonly string[];
  readonly count: number;
  /** Approvals count only for a change signed with a key of access.yml `signing_keys` (checked by the controller). */
  readonly require_signed?: boolean;
}

export interface RolloutPolicy {
  readonly strategy: RolloutStrategy;
  /** Percent of machines per step, increasing, the last 100 (blue-green: [0, 100], staging then the switch). */
  readonly steps: readonly number[];
  /** Bake time after a step's gate passed, before the next step. */
  readonly pauseMs: number;
  readonly maxFailureRate: number;
  readonly approval: ApprovalGate | null;
  /** Reports a step needs before its gate decides; null: max(1, ceil(10 % of the step's machines)). */
  readonly minReports: number | null;
  /** A step whose gate has not passed this long after it began fails; null: no deadline. */
  readonly stepTimeoutMs: number | null;
  /** blue-green: the percent of machines that must have staged before the switch (default 100). */
  readonly switchPercent: number;
  /** false for immediate: no health gate. */
  readonly gated: boolean;
}

/** `rollout.<env>` of claude-env.yml as the schema accepts it (pause as a duration string or ms). */
export interface RolloutSettings {
  readonly strategy: RolloutStrategy;
  readonly steps?: readonly number[];
  readonly pause?: string | number;
  readonly max_failure_rate?: number;
  readonly approval?: { readonly roles?: readonly string[]; readonly count: number; readonly require_signed?: boolean };
}

export interface PolicyOptions {
  readonly minReports?: number | null;
  readonly stepTimeoutMs?: number | null;
  readonly switchPercent?: number;
}

export { durationMs };

/** The policy of one environment, defaults filled in. */
export function policyOf(settings: RolloutSettings, options: PolicyOptions = {}): RolloutPolicy {
  const strategy = settings.strategy;
  const given = settings.steps && settings.steps.length > 0 ? [...new Set(settings.steps)].sort((a, b) => a - b) : null;
  const steps =
    strategy === 'canary'
      ? given ?? [...DEFAULT_CANARY_STEPS]
      : strategy === 'blue-green'
        ? [0, 100]
        : [100];
  if (steps[steps.length - 1] !== 100) steps.push(100);
  const pause = settings.pause;
  const pauseMs = typeof pause === 'number' ? pause : pause === undefined ? 0 : durationMs(pause) ?? 0;
  const a = settings.approval;
  return {
    strategy,
    steps,
    pauseMs,
    maxFailureRate: settings.max_failure_rate ?? DEFAULT_MAX_FAILURE_RATE,
    approval: a && a.count > 0 ? { roles: [...(a.roles ?? [])], count: a.count, ...(a.require_signed ? { require_signed: true } : {}) } : null,
    minReports: options.minReports ?? null,
    stepTimeoutMs: options.stepTimeoutMs ?? null,
    switchPercent: options.switchPercent ?? 100,
    gated: strategy !== 'immediate',
  };
}

/** A machine's latest report in the current step: true when it counts as a failure. */
type StepReports = Record<string, boolean>;

export interface RolloutState {
  readonly environment: string;
  readonly revision: string;
  /** The last good revision; null when there was none (machines then hold nothing managed). */
  readonly previousRevision: string | null;
  readonly strategy: RolloutStrategy;
  readonly policy: RolloutPolicy;
  readonly author: string | null;
  readonly phase: RolloutPhase;
  /** -1: not begun (waiting for approval before the first step). */
  readonly stepIndex: number;
  readonly stepStartedAt: number;
  /** When the current step's gate passed (its bake began); null: not yet. */
  readonly gatePassedAt: number | null;
  readonly approvals: ReadonlyArray<{ readonly user: string; readonly at: number }>;
  /** The approval gate has been passed (set once, when the count was reached). */
  readonly approved: boolean;
  readonly pausedBy: string | null;
  readonly pausedAt: number | null;
  /** Why the rollout ended other than completed: gate-failed, step-timeout, aborted, superseded, rolled-back. */
  readonly reason: string | null;
  readonly endedBy: string | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** The environment's machines, sorted. */
  readonly fleet: readonly string[];
  /** Machines topped up into the steps of this rollout (small fleets); kept until it ends. */
  readonly extra: readonly string[];
  readonly stepReports: StepReports;
  /** How many machines the current step has (kept so a report costs no pass over the fleet). */
  readonly stepMachines: number;
  /** Reports counted in the current step, and how many of them were failures. */
  readonly reported: number;
  readonly bad: number;
  /** blue-green: the active revision has been switched to the new one. */
  readonly switched: boolean;
}

export interface StartInput {
  readonly environment: string;
  readonly revision: string;
  readonly previousRevision: string | null;
  readonly author: string | null;
  readonly fleet: readonly string[];
  readonly at: number;
}

export type RolloutInput =
  | {
      readonly type: 'report';
      readonly at: number;
      readonly machine: string;
      /** The revision the machine tried to apply (its assigned revision). */
      readonly revision: string | null;
      readonly result: ReportOutcome;
      readonly criticalDrift?: boolean;
    }
  | { readonly type: 'tick'; readonly at: number }
  | { readonly type: 'approve'; readonly at: number; readonly user: string; readonly roles: readonly string[] }
  | { readonly type: 'pause'; readonly at: number; readonly user: string }
  | { readonly type: 'resume'; readonly at: number; readonly user: string }
  | { readonly type: 'promote'; readonly at: number; readonly user: string }
  | { readonly type: 'abort'; readonly at: number; readonly user: string }
  | { readonly type: 'rollback'; readonly at: number; readonly user: string }
  | { readonly type: 'supersede'; readonly at: number; readonly revision: string }
  | {
      readonly type: 'machines-changed';
      readonly at: number;
      readonly joined?: readonly string[];
      readonly left?: readonly string[];
    };

export type RolloutEventName =
  | 'rollout.started'
  | 'rollout.step'
  | 'rollout.awaiting-approval'
  | 'rollout.approved'
  | 'rollout.paused'
  | 'rollout.failed'
  | 'rollout.rolled-back'
  | 'rollout.completed';

export interface RolloutEvent {
  readonly type: RolloutEventName;
  readonly at: number;
  readonly environment: string;
  readonly revision: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Transition {
  readonly state: RolloutState;
  readonly events: readonly RolloutEvent[];
  /** Set when the input was refused (the state is then unchanged): why, for the caller to show. */
  readonly refused?: string;
}

/** What a machine should hold: the active revision, and for blue-green the revision to stage beside it. */
export interface Assignment {
  readonly revision: string | null;
  readonly stage: string | null;
}

const ACTIVE: ReadonlySet<RolloutPhase> = new Set(['progressing', 'paused', 'awaiting-approval']);
export const isActive = (s: RolloutState): boolean => ACTIVE.has(s.phase);

type Draft = { -readonly [K in keyof RolloutState]: RolloutState[K] };

/** Where the approval gate sits: the step that cannot begin before approval; -1: no gate. */
export function approvalStep(policy: RolloutPolicy): number {
  if (!policy.approval) return -1;
  return policy.steps.length > 1 ? 1 : 0;
}

/** The percent of the current step (0 before the first; blue-green: 0 staging, 100 switched). */
export function percentOf(state: RolloutState): number {
  return state.stepIndex < 0 ? 0 : state.policy.steps[state.stepIndex] ?? 100;
}

const isBlueGreen = (s: RolloutState): boolean => s.strategy === 'blue-green';

/** The machine is in the current step (holds or stages the new revision while it is active). */
export function inStep(state: RolloutState, machine: string): boolean {
  if (state.stepIndex < 0) return false;
  if (isBlueGreen(state)) return true;
  return withinPercent(machine, percentOf(state)) || state.extra.includes(machine);
}

/** Which revision a machine should hold now. */
export function assignmentOf(state: RolloutState, machine: string): Assignment {
  const prev = state.previousRevision;
  switch (state.phase) {
    case 'completed':
      return { revision: state.revision, stage: null };
    case 'failed':
    case 'rolled-back':
      return { revision: prev, stage: null };
    case 'aborted':
      // Aborted by hand (Argo Rollouts' abort): every machine goes back to the stable revision.
      if (state.reason === 'aborted') return { revision: prev, stage: null };
      if (isBlueGreen(state)) return { revision: state.switched ? state.revision : prev, stage: null };
      return { revision: inStep(state, machine) ? state.revision : prev, stage: null };
    default:
      if (isBlueGreen(state)) {
        if (state.switched) return { revision: state.revision, stage: null };
        return { revision: prev, stage: state.stepIndex >= 0 ? state.revision : null };
      }
      return { revision: inStep(state, machine) ? state.revision : prev, stage: null };
  }
}

/** How many machines the current step has, counted over the fleet. */
export function countStepMachines(state: RolloutState): number {
  if (state.stepIndex < 0) return 0;
  if (isBlueGreen(state)) return state.fleet.length;
  const p = percentOf(state);
  if (p >= 100) return state.fleet.length;
  const extra = new Set(state.extra);
  let n = 0;
  for (const id of state.fleet) if (withinPercent(id, p) || extra.has(id)) n += 1;
  return n;
}

/** Reports the current step needs before its gate decides. */
export function minReportsOf(state: RolloutState, stepMachines = state.stepMachines): number {
  const wanted = state.policy.minReports ?? Math.max(1, Math.ceil(stepMachines * 0.1 - 1e-9));
  return Math.min(wanted, stepMachines);
}

function approvalsMissing(state: RolloutState): number {
  const gate = state.policy.approval;
  return gate ? Math.max(0, gate.count - state.approvals.length) : 0;
}

function emit(d: Draft, out: RolloutEvent[], type: RolloutEventName, at: number, data: Record<string, unknown> = {}): void {
  out.push({ type, at, environment: d.environment, revision: d.revision, data });
}

function end(d: Draft, phase: RolloutPhase, at: number, reason: string | null, by: string | null): void {
  d.phase = phase;
  d.reason = reason;
  d.endedBy = by;
  d.endedAt = at;
  d.pausedBy = null;
  d.pausedAt = null;
}

function enterStep(d: Draft, index: number, at: number, out: RolloutEvent[]): void {
  d.stepIndex = index;
  d.stepStartedAt = at;
  d.gatePassedAt = null;
  d.stepReports = {};
  d.reported = 0;
  d.bad = 0;
  d.phase = 'progressing';
  const percent = percentOf(d);
  if (d.strategy === 'blue-green') {
    if (index === 1) d.switched = true;
  } else if (percent < 100) {
    const add = topUpOf(d.fleet, percent, new Set(d.extra));
    if (add.length > 0) d.extra = [...d.extra, ...add].sort();
  }
  d.stepMachines = countStepMachines(d);
  emit(d, out, 'rollout.step', at, { index, percent, ...(d.strategy === 'blue-green' ? { switched: d.switched } : {}) });
}

/** The gate of the current step: 'open' (not yet decided), 'passed' or 'failed'. */
function gateOf(d: Draft): 'open' | 'passed' | 'failed' {
  if (!d.policy.gated) return 'passed';
  const need = minReportsOf(d);
  if (d.reported < need) return 'open';
  if (d.reported > 0 && d.bad / d.reported > d.policy.maxFailureRate) return 'failed';
  if (d.strategy === 'blue-green' && d.stepIndex === 0) {
    if (d.reported - d.bad < minimumOf(d.policy.switchPercent, d.fleet.length)) return 'open';
  }
  return 'passed';
}

/** Moves on as far as time, reports and approvals allow. */
function settle(d: Draft, at: number, out: RolloutEvent[], promoted = false): void {
  for (let guard = 0; guard < d.policy.steps.length * 4 + 4; guard += 1) {
    if (d.phase === 'paused' || !ACTIVE.has(d.phase)) return;
    const gateAt = approvalStep(d.policy);
    const next = d.stepIndex + 1;
    if (d.stepIndex >= 0) {
      const gate = gateOf(d);
      if (gate === 'failed') {
        emit(d, out, 'rollout.failed', at, { reason: 'gate-failed', step: d.stepIndex, percent: percentOf(d), failure_rate: d.bad / d.reported, reported: d.reported, failed: d.bad });
        end(d, 'failed', at, 'gate-failed', null);
        return;
      }
      if (gate === 'passed' && d.gatePassedAt === null) d.gatePassedAt = at;
      if (gate === 'open' && !promoted) {
        const limit = d.policy.stepTimeoutMs;
        if (limit !== null && at >= d.stepStartedAt + limit) {
          emit(d, out, 'rollout.failed', at, { reason: 'step-timeout', step: d.stepIndex, percent: percentOf(d), reported: d.reported, needed: minReportsOf(d) });
          end(d, 'failed', at, 'step-timeout', null);
        }
        return;
      }
      if (next >= d.policy.steps.length) {
        emit(d, out, 'rollout.completed', at, { steps: d.policy.steps.length });
        end(d, 'completed', at, null, null);
        return;
      }
      if (!promoted && at < (d.gatePassedAt ?? at) + d.policy.pauseMs) return;
    }
    if (next === gateAt && !d.approved) {
      if (d.phase !== 'awaiting-approval') {
        d.phase = 'awaiting-approval';
        const gate = d.policy.approval!;
        emit(d, out, 'rollout.awaiting-approval', at, { step: next, roles: gate.roles, needed: gate.count, have: d.approvals.length, missing: approvalsMissing(d) });
      }
      return;
    }
    enterStep(d, next, at, out);
    promoted = false;
  }
}

/** Starts a rollout of `input.revision`. */
export function startRollout(policy: RolloutPolicy, input: StartInput): Transition {
  const d: Draft = {
    environment: input.environment,
    revision: input.revision,
    previousRevision: input.previousRevision,
    strategy: policy.strategy,
    policy,
    author: input.author,
    phase: 'progressing',
    stepIndex: -1,
    stepStartedAt: input.at,
    gatePassedAt: null,
    approvals: [],
    approved: false,
    pausedBy: null,
    pausedAt: null,
    reason: null,
    endedBy: null,
    startedAt: input.at,
    endedAt: null,
    fleet: [...new Set(input.fleet)].sort(),
    extra: [],
    stepReports: {},
    stepMachines: 0,
    reported: 0,
    bad: 0,
    switched: false,
  };
  const out: RolloutEvent[] = [];
  emit(d, out, 'rollout.started', input.at, { previous_revision: input.previousRevision, strategy: policy.strategy, author: input.author, steps: policy.steps });
  settle(d, input.at, out);
  return { state: d, events: out };
}

function cloneState(s: RolloutState): Draft {
  return { ...s, stepReports: { ...s.stepReports } };
}

function hasSorted(list: readonly string[], id: string): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

const refuse = (state: RolloutState, why: string): Transition => ({ state, events: [], refused: why });

/** One input on a draft the caller owns (mutated); returns a refusal reason or null. */
function step(d: Draft, input: RolloutInput, out: RolloutEvent[]): string | null {
  const at = input.at;
  switch (input.type) {
    case 'report': {
      if (!ACTIVE.has(d.phase) || input.revision !== d.revision || d.stepIndex < 0) return null;
      if (!hasSorted(d.fleet, input.machine) || !inStep(d, input.machine)) return null;
      const isBad = input.result !== 'ok' || input.criticalDrift === true;
      const before = d.stepReports[input.machine];
      if (before === undefined) d.reported += 1;
      else if (before) d.bad -= 1;
      if (isBad) d.bad += 1;
      d.stepReports[input.machine] = isBad;
      settle(d, at, out);
      return null;
    }
    case 'tick':
      settle(d, at, out);
      return null;
    case 'approve': {
      if (!ACTIVE.has(d.phase)) return `the rollout is ${d.phase}`;
      const gate = d.policy.approval;
      if (!gate) return 'this rollout needs no approval';
      if (d.author !== null && input.user === d.author) return `${input.user} is the author of the change and cannot approve it`;
      if (!input.roles.some((r) => gate.roles.includes(r))) return `${input.user} needs one of the roles ${gate.roles.join(', ')} to approve`;
      if (d.approvals.some((a) => a.user === input.user)) return null;
      d.approvals = [...d.approvals, { user: input.user, at }];
      if (!d.approved && d.approvals.length >= gate.count) {
        d.approved = true;
        if (d.phase === 'awaiting-approval') d.phase = 'progressing';
        emit(d, out, 'rollout.approved', at, { by: d.approvals.map((a) => a.user) });
      }
      settle(d, at, out);
      return null;
    }
    case 'pause':
      if (d.phase !== 'progressing') return `only a progressing rollout can be paused (it is ${d.phase})`;
      d.phase = 'paused';
      d.pausedBy = input.user;
      d.pausedAt = at;
      emit(d, out, 'rollout.paused', at, { by: input.user, step: d.stepIndex });
      return null;
    case 'resume': {
      if (d.phase !== 'paused') return `the rollout is not paused (it is ${d.phase})`;
      const held = Math.max(0, at - (d.pausedAt ?? at));
      d.stepStartedAt += held;
      if (d.gatePassedAt !== null) d.gatePassedAt += held;
      d.phase = 'progressing';
      d.pausedBy = null;
      d.pausedAt = null;
      settle(d, at, out);
      return null;
    }
    case 'promote':
      if (d.phase === 'awaiting-approval') return `the rollout needs ${approvalsMissing(d)} more approval(s) first`;
      if (d.phase !== 'progressing') return `only a progressing rollout can be promoted (it is ${d.phase})`;
      settle(d, at, out, true);
      return null;
    case 'abort':
    case 'supersede':
      if (!ACTIVE.has(d.phase)) return input.type === 'abort' ? `the rollout is ${d.phase}` : null;
      end(d, 'aborted', at, input.type === 'abort' ? 'aborted' : 'superseded', input.type === 'abort' ? input.user : null);
      if (input.type === 'supersede') d.endedBy = null;
      return null;
    case 'rollback':
      if (d.phase === 'failed' || d.phase === 'rolled-back') return `the rollout is already ${d.phase}`;
      end(d, 'rolled-back', at, 'rolled-back', input.user);
      emit(d, out, 'rollout.rolled-back', at, { by: input.user, previous_revision: d.previousRevision });
      return null;
    case 'machines-changed': {
      const left = new Set(input.left ?? []);
      const fleet = new Set(d.fleet.filter((id) => !left.has(id)));
      for (const id of input.joined ?? []) fleet.add(id);
      d.fleet = [...fleet].sort();
      for (const id of left) {
        const r = d.stepReports[id];
        if (r !== undefined) {
          d.reported -= 1;
          if (r) d.bad -= 1;
          delete d.stepReports[id];
        }
      }
      if (ACTIVE.has(d.phase) && d.stepIndex >= 0) {
        const percent = percentOf(d);
        if (percent < 100 && d.strategy !== 'blue-green') {
          const add = topUpOf(d.fleet, percent, new Set(d.extra));
          if (add.length > 0) d.extra = [...d.extra, ...add].sort();
        }
        d.stepMachines = countStepMachines(d);
      }
      settle(d, at, out);
      return null;
    }
  }
}

/** The next state for one input, and what to emit. Never throws on a refused input: `refused` says why. */
export function decide(state: RolloutState, input: RolloutInput): Transition {
  const d = cloneState(state);
  const out: RolloutEvent[] = [];
  const why = step(d, input, out);
  return why === null ? { state: d, events: out } : refuse(state, why);
}

/** Many inputs in order (one copy of the state; refusals are skipped and listed): for replay and the bench. */
export function applyEvents(state: RolloutState, inputs: Iterable<RolloutInput>): Transition & { readonly refusals: readonly string[] } {
  const d = cloneState(state);
  const out: RolloutEvent[] = [];
  const refusals: string[] = [];
  for (const input of inputs) {
    const why = step(d, input, out); // a refused input changes nothing
    if (why !== null) refusals.push(why);
  }
  return { state: d, events: out, refusals };
}

export interface FleetCounts {
  readonly total: number;
  /** Machines holding the rollout's revision. */
  readonly updated: number;
  readonly failed: number;
}

/** `rollout status ENV --json`. Without counts from the controller, they come from the state's own view. */
export function statusOf(state: RolloutState, counts?: FleetCounts): {
  environment: string;
  revision: string;
  previous_revision: string | null;
  strategy: RolloutStrategy;
  phase: RolloutPhase;
  step: { index: number; percent: number };
  machines: FleetCounts;
  approvals: { needed: number; have: number; missing: number };
} {
  const gate = state.policy.approval;
  const machines =
    counts ??
    (() => {
      let updated = 0;
      for (const id of state.fleet) if (assignmentOf(state, id).revision === state.revision) updated += 1;
      return { total: state.fleet.length, updated, failed: state.bad };
    })();
  return {
    environment: state.environment,
    revision: state.revision,
    previous_revision: state.previousRevision,
    strategy: state.strategy,
    phase: state.phase,
    step: { index: state.stepIndex, percent: percentOf(state) },
    machines: { total: machines.total, updated: machines.updated, failed: machines.failed },
    approvals: { needed: gate?.count ?? 0, have: state.approvals.length, missing: approvalsMissing(state) },
  };
}
