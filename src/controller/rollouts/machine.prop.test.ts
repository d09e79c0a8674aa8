/**
 * Laws of the rollout engine, for any fleet and any sequence of inputs:
 * (1) no machine holds the new revision beyond the step the gate allows;
 * (2) after a rollback (automatic or by hand) every machine, joined since or
 *     not, is assigned the last good revision;
 * (3) a machine's place in a step does not move when others join or leave:
 *     the threshold part never (cohortOf is a function of the id alone), and
 *     within a rollout not the topped-up part either (the state keeps it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyEvents, approvalStep, assignmentOf, decide, inStep, percentOf, policyOf, startRollout, type RolloutInput, type RolloutState } from './machine.js';
import { cohortOf, minimumOf, stepMembers, withinPercent } from './cohort.js';

const RUNS = { numRuns: 150 };
const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 0, maxLength: 40 });

const policy = fc.oneof(
  fc.constant(policyOf({ strategy: 'immediate' })),
  fc.constant(policyOf({ strategy: 'staged' }, { stepTimeoutMs: 50 })),
  fc.record({ steps: fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }), pause: fc.integer({ min: 0, max: 30 }), rate: fc.constantFrom(0, 0.05, 0.5) }).map((p) =>
    policyOf({ strategy: 'canary', steps: p.steps, pause: p.pause, max_failure_rate: p.rate, approval: { roles: ['team_lead', 'security_reviewer'], count: 2 } }, { minReports: 1 }),
  ),
  fc.constant(policyOf({ strategy: 'canary', pause: '10ms' })),
  fc.constant(policyOf({ strategy: 'blue-green', approval: { roles: ['team_lead'], count: 1 } })),
);

const USERS = ['alice', 'bob', 'carol', 'dave'];
const ROLES = [['team_lead'], ['security_reviewer'], ['developer'], []];

function inputs(fleet: readonly string[]): fc.Arbitrary<RolloutInput[]> {
  const machine = fleet.length > 0 ? fc.oneof(fc.constantFrom(...fleet), fc.string({ maxLength: 4 })) : fc.string({ maxLength: 4 });
  const user = fc.constantFrom(...USERS);
  const one: fc.Arbitrary<Omit<RolloutInput, 'at'> & { type: string }> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ type: fc.constant('report' as const), machine, revision: fc.constantFrom('new', 'new', 'new', 'old'), result: fc.constantFrom('ok', 'ok', 'ok', 'failed', 'rolled-back') as fc.Arbitrary<'ok' | 'failed' | 'rolled-back'>, criticalDrift: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ type: fc.constant('tick' as const) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('approve' as const), user, roles: fc.constantFrom(...ROLES) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('pause' as const, 'resume' as const, 'promote' as const, 'abort' as const, 'rollback' as const), user }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('supersede' as const), revision: fc.constant('newer') }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('machines-changed' as const), joined: fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 4 }), left: fc.subarray([...fleet], { maxLength: Math.min(3, fleet.length) }) }) },
  );
  return fc.array(fc.tuple(one, fc.integer({ min: 0, max: 20 })), { maxLength: 60 }).map((list) => {
    let at = 0;
    return list.map(([input, dt]) => {
      at += dt;
      return { ...input, at } as RolloutInput;
    });
  });
}

const scenario = fc.tuple(policy, ids).chain(([p, fleet]) => inputs(fleet).map((events) => ({ policy: p, fleet, events })));

/** Every state a run goes through, with the input that led to it. */
function trace(s: { policy: ReturnType<typeof policyOf>; fleet: string[]; events: RolloutInput[] }): Array<{ state: RolloutState; input: RolloutInput | null }> {
  let state = startRollout(s.policy, { environment: 'production', revision: 'new', previousRevision: 'old', author: 'alice', fleet: s.fleet, at: 0 }).state;
  const out: Array<{ state: RolloutState; input: RolloutInput | null }> = [{ state, input: null }];
  for (const input of s.events) {
    state = decide(state, input).state;
    out.push({ state, input });
  }
  return out;
}

/** The machines to check: the fleet, and a few that never enrolled. */
const everyone = (state: RolloutState): string[] => [...state.fleet, 'stranger', ''];

describe('rollout laws', () => {
  it('(1) no machine is assigned the new revision beyond the step the gate allows', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        for (const { state } of trace(s)) {
          const gate = approvalStep(state.policy);
          if (gate >= 0 && state.stepIndex >= gate) {
            const eligible = state.approvals.filter((a) => a.user !== state.author);
            assert.ok(eligible.length >= state.policy.approval!.count, 'a step behind the approval gate began only with enough approvals');
            assert.ok(!state.approvals.some((a) => a.user === 'alice'), 'the author never approves');
          }
          for (const id of everyone(state)) {
            const a = assignmentOf(state, id);
            if (a.revision !== 'new') continue;
            assert.ok(['progressing', 'paused', 'awaiting-approval', 'aborted', 'completed'].includes(state.phase), `phase ${state.phase}`);
            assert.ok(state.stepIndex >= 0, 'never before the first step');
            if (state.phase === 'completed') continue;
            if (state.strategy === 'blue-green') assert.equal(state.switched, true, 'blue-green: only after the switch');
            else assert.ok(withinPercent(id, percentOf(state)) || state.extra.includes(id), `${id} beyond ${percentOf(state)} %`);
          }
        }
      }),
      RUNS,
    );
  });

  it('(2) after a rollback, automatic or by hand, every machine is assigned the last good revision', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        for (const { state } of trace(s)) {
          if (state.phase !== 'failed' && state.phase !== 'rolled-back') continue;
          for (const id of everyone(state)) assert.deepEqual(assignmentOf(state, id), { revision: 'old', stage: null });
        }
      }),
      RUNS,
    );
  });

  it('(2b) a failed or rolled-back rollout stays so, whatever comes after', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        let ended: string | null = null;
        for (const { state } of trace(s)) {
          if (ended) assert.equal(state.phase, ended);
          if (state.phase === 'failed' || state.phase === 'rolled-back') ended = state.phase;
        }
      }),
      RUNS,
    );
  });

  it('(3) a machine keeps its step when other machines join or leave', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const steps = trace(s);
        for (let i = 1; i < steps.length; i += 1) {
          const { state, input } = steps[i]!;
          const before = steps[i - 1]!.state;
          if (input?.type !== 'machines-changed' || state.stepIndex !== before.stepIndex || state.phase !== before.phase) continue;
          for (const id of before.fleet) {
            if (!state.fleet.includes(id)) continue;
            if (inStep(before, id)) assert.ok(inStep(state, id), `${id} left the step when others joined or left`);
          }
        }
      }),
      RUNS,
    );
  });

  it('(3b) cohorts are a function of the id: the threshold set of a step never depends on the fleet, and steps nest', () => {
    fc.assert(
      fc.property(ids, ids, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (a, b, p, q) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        for (const id of a) {
          const c = cohortOf(id);
          assert.ok(c >= 0 && c < 100);
          if (b.includes(id)) assert.equal(withinPercent(id, lo), cohortOf(id) < lo);
        }
        const small = new Set(stepMembers(a, lo));
        const large = new Set(stepMembers(a, hi));
        for (const id of small) assert.ok(large.has(id), 'steps nest');
        assert.ok(small.size >= minimumOf(lo, a.length), 'at least ceil(p % of n)');
        const threshold = a.filter((id) => cohortOf(id) < lo).length;
        assert.equal(small.size, Math.max(threshold, minimumOf(lo, a.length)), 'the top-up only reaches the minimum');
      }),
      RUNS,
    );
  });

  it('applyEvents and decide one by one agree', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const start = startRollout(s.policy, { environment: 'production', revision: 'new', previousRevision: 'old', author: 'alice', fleet: s.fleet, at: 0 }).state;
        const all = trace(s);
        assert.deepEqual(applyEvents(start, s.events).state, all[all.length - 1]!.state);
      }),
      RUNS,
    );
  });
});
