import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers.js';
import { openStore } from './db/open.js';
import { machineRow, tokenRow } from './db/store.case.js';
import type { Store } from './db/store.js';
import { Rollouts } from './rollout-driver.js';
import { decide } from './rollouts/machine.js';

const CANARY = { strategy: 'canary' as const, steps: [10, 50, 100], pause: '1m', max_failure_rate: 0.05, approval: { roles: ['team_lead'], count: 1 } };

describe('the rollout driver on the store', () => {
  const tmp = tempDir('claude-env-driver-');
  after(() => tmp.cleanup());
  let n = 0;

  async function setup(machines = 20): Promise<{ store: Store; ids: string[]; events: string[]; replica(): Rollouts; clock: { now: number } }> {
    const store = await openStore(join(tmp.dir, `c${n++}.db`));
    const ids: string[] = [];
    for (let i = 0; i < machines; i++) {
      const id = `m-${String(i).padStart(3, '0')}`;
      await store.enrollMachine(machineRow(id, 'production', { applied_revision: 'r0', assigned_revision: 'r0', state: 'in_sync', result: 'ok' }), tokenRow(`t-${id}`, { kind: 'agent', env: 'production', machine_id: id }));
      ids.push(id);
    }
    const events: string[] = [];
    const clock = { now: Date.parse('2026-12-03T10:00:00Z') };
    const replica = (): Rollouts =>
      new Rollouts({ store, now: () => clock.now, log: () => {}, event: async (type, env, d) => void events.push(`${type} ${env} ${String(d['revision'])}`), moved: async () => {} });
    return { store, ids, events, replica, clock };
  }

  it('supersedes a running rollout with a newer revision, which starts from the last good one', async () => {
    const { store, ids, events, replica } = await setup();
    const r = replica();
    await r.begin('production', 'r1', CANARY, 'erin', 'r0');
    const canary = ids.filter((id) => r.desired('production', id)!.revision === 'r1');
    assert.ok(canary.length >= 2 && canary.length < ids.length, `${canary.length} in the first step`);
    // The step's machines are told in the store (as the check-ins would say), the others are not.
    assert.deepEqual((await store.listMachines({ env: 'production' })).filter((m) => m.assigned_revision === 'r1').map((m) => m.id), canary);

    await r.begin('production', 'r2', CANARY, 'erin', 'r0');
    const s = r.current('production')!;
    assert.deepEqual([s.revision, s.previousRevision, s.phase], ['r2', 'r0', 'progressing']);
    // The canary of r1 is not kept on r1: each machine holds r2 (its step) or r0 (the last good one).
    for (const id of ids) assert.ok(['r2', 'r0'].includes(r.desired('production', id)!.revision!));
    assert.deepEqual(events.filter((e) => e.startsWith('rollout.started')), ['rollout.started production r1', 'rollout.started production r2']);
  });

  it('keeps a verb taken on another replica: the leader folds its reports into the stored state, never over it', async () => {
    const { ids, replica, store, clock } = await setup();
    const leader = replica();
    const follower = replica();
    await leader.begin('production', 'r1', CANARY, 'erin', 'r0');
    await follower.reload(['production']);
    // The follower pauses; the leader, whose copy is from before, folds a report into what the store holds.
    await follower.mutate('production', (s) => decide(s, { type: 'pause', at: clock.now, user: 'judy' }));
    const inStep = ids.find((id) => leader.desired('production', id)!.revision === 'r1')!;
    await store.addReport({ machine_id: inStep, seq: 1, received_at: clock.now + 1, made_at: clock.now, revision: 'r1', assigned_revision: 'r1', result: 'failed', error_code: 'conflict', timings: null, drift: null });
    clock.now += 2_000;
    await leader.tick();
    const stored = JSON.parse((await store.rollout('production'))!.state) as { phase: string; pausedBy: string | null };
    assert.deepEqual([stored.phase, stored.pausedBy], ['paused', 'judy'], 'the pause is kept');
  });

  it('writes nothing when a tick brings nothing new', async () => {
    const { store, replica, clock } = await setup();
    const r = replica();
    await r.begin('production', 'r1', CANARY, 'erin', 'r0');
    const before = (await store.rollout('production'))!.version;
    clock.now += 1_000;
    await r.tick();
    clock.now += 1_000;
    await r.tick();
    assert.equal((await store.rollout('production'))!.version, before);
  });

  it('sends the first revision and one with nothing to prove to every machine at once', async () => {
    const { ids, replica } = await setup();
    const r = replica();
    await r.begin('production', 'r1', CANARY, 'erin', null);
    assert.equal(r.current('production')!.phase, 'completed');
    await r.begin('production', 'r2', CANARY, 'erin', null, async () => true);
    const s = r.current('production')!;
    assert.deepEqual([s.strategy, s.phase, s.previousRevision], ['immediate', 'completed', 'r1']);
    assert.ok(ids.every((id) => r.desired('production', id)!.revision === 'r2'));
  });
});
