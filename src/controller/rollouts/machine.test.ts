import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyEvents,
  assignmentOf,
  decide,
  durationMs,
  policyOf,
  startRollout,
  statusOf,
  type RolloutInput,
  type RolloutPolicy,
  type RolloutState,
  type Transition,
} from './machine.js';
import { cohortOf, stepMembers } from './cohort.js';

const fleet = (n: number): string[] => Array.from({ length: n }, (_, i) => `m-${String(i).padStart(4, '0')}`);
const T0 = 1_700_000_000_000;
const MIN = 60_000;

function start(policy: RolloutPolicy, machines: readonly string[], author: string | null = 'alice'): Transition {
  return startRollout(policy, { environment: 'production', revision: 'new', previousRevision: 'old', author, fleet: machines, at: T0 });
}
const names = (t: Transition): string[] => t.events.map((e) => e.type);
const holdersOfNew = (s: RolloutState): string[] => s.fleet.filter((id) => assignmentOf(s, id).revision === 'new');
const okReports = (s: RolloutState, at: number): RolloutInput[] =>
  holdersOfNew(s).map((machine) => ({ type: 'report', at, machine, revision: 'new', result: 'ok' }) as const);
function run(state: RolloutState, inputs: RolloutInput[]): Transition {
  const t = applyEvents(state, inputs);
  assert.deepEqual(t.refusals, []);
  return t;
}

const production = policyOf({ strategy: 'canary', steps: [10, 50, 100], pause: '10m', max_failure_rate: 0.05, approval: { roles: ['team_lead', 'security_reviewer'], count: 2 } });

describe('policyOf', () => {
  it('fills the defaults of each strategy', () => {
    assert.deepEqual(policyOf({ strategy: 'canary' }).steps, [10, 50, 100]);
    assert.deepEqual(policyOf({ strategy: 'staged' }).steps, [100]);
    assert.deepEqual(policyOf({ strategy: 'immediate' }).steps, [100]);
    assert.equal(policyOf({ strategy: 'immediate' }).gated, false);
    assert.equal(policyOf({ strategy: 'canary' }).maxFailureRate, 0.05);
    assert.equal(production.pauseMs, 10 * MIN);
    assert.equal(durationMs('1h30m'), 90 * MIN);
    assert.equal(durationMs('soon'), null);
  });
});

describe('rollout strategies', () => {
  it('immediate assigns the new revision to every machine at once and completes', () => {
    const t = start(policyOf({ strategy: 'immediate' }), fleet(20));
    assert.deepEqual(names(t), ['rollout.started', 'rollout.step', 'rollout.completed']);
    assert.equal(t.state.phase, 'completed');
    assert.equal(holdersOfNew(t.state).length, 20);
  });

  it('staged gives every machine the new revision and completes after enough good reports', () => {
    const t = start(policyOf({ strategy: 'staged' }), fleet(20));
    assert.equal(t.state.phase, 'progressing');
    assert.equal(holdersOfNew(t.state).length, 20);
    // 10 % of 20 machines: two reports decide the gate
    const one = decide(t.state, { type: 'report', at: T0 + 1, machine: 'm-0000', revision: 'new', result: 'ok' });
    assert.equal(one.state.phase, 'progressing');
    const two = decide(one.state, { type: 'report', at: T0 + 2, machine: 'm-0001', revision: 'new', result: 'ok' });
    assert.deepEqual(names(two), ['rollout.completed']);
    assert.equal(statusOf(two.state).machines.updated, 20);
  });

  it('canary goes 10 → 50 → 100 with a pause and the approval of two users of the gate roles', () => {
    const machines = fleet(200);
    let t = start(production, machines);
    const first = holdersOfNew(t.state);
    assert.ok(first.length >= 20 && first.length < 60, `at least 10 %: ${first.length}`);
    assert.ok(first.every((id) => cohortOf(id) < 10 || t.state.extra.includes(id)), 'below the threshold, or topped up to ceil(10 %)');
    t = run(t.state, okReports(t.state, T0 + MIN));
    assert.equal(t.state.phase, 'progressing', 'still baking');
    t = run(t.state, [{ type: 'tick', at: T0 + 11 * MIN }]);
    assert.equal(t.state.phase, 'awaiting-approval');
    assert.deepEqual(names(t), ['rollout.awaiting-approval']);
    assert.deepEqual(statusOf(t.state).approvals, { needed: 2, have: 0, missing: 2 });

    const author = decide(t.state, { type: 'approve', at: T0 + 12 * MIN, user: 'alice', roles: ['team_lead'] });
    assert.match(author.refused ?? '', /author/);
    const developer = decide(t.state, { type: 'approve', at: T0 + 12 * MIN, user: 'dave', roles: ['developer'] });
    assert.match(developer.refused ?? '', /roles/);
    t = decide(t.state, { type: 'approve', at: T0 + 12 * MIN, user: 'bob', roles: ['team_lead'] });
    t = decide(t.state, { type: 'approve', at: T0 + 12 * MIN, user: 'bob', roles: ['team_lead'] });
    assert.equal(t.refused, undefined);
    assert.deepEqual(statusOf(t.state).approvals, { needed: 2, have: 1, missing: 1 }, 'the same user twice counts once');
    assert.equal(t.state.phase, 'awaiting-approval');
    t = decide(t.state, { type: 'approve', at: T0 + 13 * MIN, user: 'sara', roles: ['security_reviewer'] });
    assert.deepEqual(names(t), ['rollout.approved', 'rollout.step']);
    assert.deepEqual(statusOf(t.state).step, { index: 1, percent: 50 });
    const second = holdersOfNew(t.state);
    assert.ok(first.every((id) => second.includes(id)), 'steps nest');
    assert.ok(second.every((id) => cohortOf(id) < 50 || t.state.extra.includes(id)));

    t = run(t.state, okReports(t.state, T0 + 14 * MIN));
    t = run(t.state, [{ type: 'tick', at: T0 + 30 * MIN }]);
    assert.deepEqual(statusOf(t.state).step, { index: 2, percent: 100 });
    assert.equal(holdersOfNew(t.state).length, 200);
    t = run(t.state, okReports(t.state, T0 + 31 * MIN));
    assert.equal(t.state.phase, 'completed');
    assert.equal(statusOf(t.state).phase, 'completed');
  });

  it('a failing canary step trips the gate and rolls back every machine of the step', () => {
    let t = start(production, fleet(200));
    const step = holdersOfNew(t.state);
    const reports: RolloutInput[] = step.map((machine, i) => ({ type: 'report', at: T0 + i, machine, revision: 'new', result: i % 3 === 0 ? 'failed' : 'ok' }));
    t = applyEvents(t.state, reports);
    assert.equal(t.state.phase, 'failed');
    const failed = t.events.filter((e) => e.type === 'rollout.failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.data.reason, 'gate-failed');
    for (const id of t.state.fleet) assert.deepEqual(assignmentOf(t.state, id), { revision: 'old', stage: null });
  });

  it('critical drift right after apply counts as a failure', () => {
    let t = start(policyOf({ strategy: 'staged' }), fleet(10));
    t = decide(t.state, { type: 'report', at: T0 + 1, machine: 'm-0003', revision: 'new', result: 'ok', criticalDrift: true });
    assert.equal(t.state.phase, 'failed');
  });

  it('a report for another revision does not count', () => {
    let t = start(policyOf({ strategy: 'staged' }), fleet(10));
    t = decide(t.state, { type: 'report', at: T0 + 1, machine: 'm-0003', revision: 'older', result: 'failed' });
    assert.equal(t.state.phase, 'progressing');
    assert.equal(t.state.reported, 0);
  });

  it('a step with a deadline fails when too few machines report in time; without one it waits', () => {
    const withDeadline = policyOf({ strategy: 'staged' }, { stepTimeoutMs: 30 * MIN });
    let t = start(withDeadline, fleet(10));
    t = decide(t.state, { type: 'tick', at: T0 + 29 * MIN });
    assert.equal(t.state.phase, 'progressing');
    t = decide(t.state, { type: 'tick', at: T0 + 30 * MIN });
    assert.equal(t.state.phase, 'failed');
    assert.equal(t.events[0]!.data.reason, 'step-timeout');
    const waits = decide(start(policyOf({ strategy: 'staged' }), fleet(10)).state, { type: 'tick', at: T0 + 1000 * MIN });
    assert.equal(waits.state.phase, 'progressing');
  });
});

describe('commands', () => {
  const canary = policyOf({ strategy: 'canary', pause: '10m' });

  it('pause holds the rollout and resume keeps the rest of the bake', () => {
    let t = start(canary, fleet(100));
    t = run(t.state, okReports(t.state, T0 + MIN)); // bake until T0 + 11m
    t = decide(t.state, { type: 'pause', at: T0 + 2 * MIN, user: 'ops' });
    assert.deepEqual(names(t), ['rollout.paused']);
    assert.equal(t.state.pausedBy, 'ops');
    t = decide(t.state, { type: 'tick', at: T0 + 60 * MIN });
    assert.equal(t.state.phase, 'paused');
    assert.equal(t.state.stepIndex, 0);
    t = decide(t.state, { type: 'resume', at: T0 + 60 * MIN, user: 'ops' });
    assert.equal(t.state.phase, 'progressing');
    t = decide(t.state, { type: 'tick', at: T0 + 68 * MIN });
    assert.equal(t.state.stepIndex, 0, '9 minutes of bake were left');
    t = decide(t.state, { type: 'tick', at: T0 + 69 * MIN });
    assert.equal(t.state.stepIndex, 1);
    assert.match(decide(t.state, { type: 'resume', at: T0, user: 'ops' }).refused ?? '', /not paused/);
  });

  it('promote skips the bake and the wait for reports, but not the approval', () => {
    let t = start(canary, fleet(100));
    t = decide(t.state, { type: 'promote', at: T0 + 1, user: 'ops' });
    assert.deepEqual(names(t), ['rollout.step']);
    assert.equal(t.state.stepIndex, 1);
    let gated = start(production, fleet(100));
    gated = decide(gated.state, { type: 'promote', at: T0 + 1, user: 'ops' });
    assert.equal(gated.state.phase, 'awaiting-approval');
    assert.match(decide(gated.state, { type: 'promote', at: T0 + 2, user: 'ops' }).refused ?? '', /approval/);
  });

  it('abort stops the rollout and sends every machine back to the stable revision, as Argo Rollouts does', () => {
    let t = start(canary, fleet(100));
    assert.ok(holdersOfNew(t.state).length > 0);
    t = decide(t.state, { type: 'abort', at: T0 + 1, user: 'ops' });
    assert.equal(t.state.phase, 'aborted');
    assert.equal(t.state.reason, 'aborted');
    assert.deepEqual(holdersOfNew(t.state), []);
    t = decide(t.state, { type: 'tick', at: T0 + 100 * MIN });
    assert.deepEqual(holdersOfNew(t.state), []);
    assert.match(decide(t.state, { type: 'promote', at: T0, user: 'ops' }).refused ?? '', /aborted/);
  });

  it('a manual rollback sends every machine back to the last good revision, even after completion', () => {
    let t = start(policyOf({ strategy: 'immediate' }), fleet(10));
    t = decide(t.state, { type: 'rollback', at: T0 + 1, user: 'ops' });
    assert.deepEqual(names(t), ['rollout.rolled-back']);
    assert.equal(t.state.phase, 'rolled-back');
    for (const id of t.state.fleet) assert.equal(assignmentOf(t.state, id).revision, 'old');
    assert.ok(decide(t.state, { type: 'rollback', at: T0 + 2, user: 'ops' }).refused);
  });

  it('a newer revision supersedes the rollout cleanly', () => {
    let t = start(canary, fleet(50));
    t = decide(t.state, { type: 'supersede', at: T0 + 1, revision: 'newer' });
    assert.equal(t.state.phase, 'aborted');
    assert.equal(t.state.reason, 'superseded');
    assert.deepEqual(t.events, []);
  });

  it('approving a rollout that needs none is refused, with a reason', () => {
    const t = start(canary, fleet(10));
    assert.match(decide(t.state, { type: 'approve', at: T0, user: 'bob', roles: ['team_lead'] }).refused ?? '', /no approval/);
  });
});

describe('blue-green', () => {
  const bg = policyOf({ strategy: 'blue-green' });

  it('stages the new revision beside the old on every machine, then switches all at once', () => {
    const machines = fleet(10);
    let t = start(bg, machines);
    for (const id of machines) assert.deepEqual(assignmentOf(t.state, id), { revision: 'old', stage: 'new' });
    const reports: RolloutInput[] = machines.map((machine, i) => ({ type: 'report', at: T0 + i, machine, revision: 'new', result: 'ok' }));
    t = applyEvents(t.state, reports.slice(0, 9));
    assert.equal(t.state.switched, false, '9 of 10 staged: no switch yet');
    assert.ok(machines.every((id) => assignmentOf(t.state, id).revision === 'old'));
    t = decide(t.state, reports[9]!);
    assert.equal(t.state.switched, true);
    assert.deepEqual(names(t), ['rollout.step']);
    for (const id of machines) assert.deepEqual(assignmentOf(t.state, id), { revision: 'new', stage: null });
    t = decide(t.state, { type: 'report', at: T0 + 20, machine: 'm-0000', revision: 'new', result: 'ok' });
    assert.equal(t.state.phase, 'completed');
  });

  it('switches when the threshold of staged machines is reached', () => {
    const t = start(policyOf({ strategy: 'blue-green' }, { switchPercent: 80 }), fleet(10));
    const after = applyEvents(t.state, fleet(8).map((machine) => ({ type: 'report', at: T0 + 1, machine, revision: 'new', result: 'ok' }) as const));
    assert.equal(after.state.switched, true);
  });

  it('rolls back the same way: every machine back to the old revision at once', () => {
    let t = start(bg, fleet(10));
    t = applyEvents(t.state, fleet(10).map((machine) => ({ type: 'report', at: T0 + 1, machine, revision: 'new', result: 'ok' }) as const));
    t = decide(t.state, { type: 'rollback', at: T0 + 2, user: 'ops' });
    for (const id of fleet(10)) assert.deepEqual(assignmentOf(t.state, id), { revision: 'old', stage: null });
  });
});

describe('cohorts on small fleets', () => {
  it('a 10 % step of 10 machines takes at least one machine', () => {
    const t = start(policyOf({ strategy: 'canary' }), fleet(10));
    assert.ok(holdersOfNew(t.state).length >= 1);
    assert.ok(stepMembers(fleet(10), 10).length >= 1);
  });

  it('machines joining or leaving never move a machine out of the current step', () => {
    let t = start(policyOf({ strategy: 'canary' }), fleet(10));
    const step = holdersOfNew(t.state);
    t = decide(t.state, { type: 'machines-changed', at: T0 + 1, joined: ['new-a', 'new-b', 'new-c'], left: ['m-0009'] });
    for (const id of step.filter((m) => m !== 'm-0009')) assert.equal(assignmentOf(t.state, id).revision, 'new');
  });
});

describe('statusOf', () => {
  it('has the shape of `rollout status ENV --json`', () => {
    const t = start(production, fleet(20));
    assert.deepEqual(Object.keys(statusOf(t.state)), ['environment', 'revision', 'previous_revision', 'strategy', 'phase', 'step', 'machines', 'approvals']);
    assert.deepEqual(statusOf(t.state, { total: 20, updated: 2, failed: 1 }).machines, { total: 20, updated: 2, failed: 1 });
    assert.deepEqual(JSON.parse(JSON.stringify(t.state)), t.state, 'the state is plain JSON');
  });
});
