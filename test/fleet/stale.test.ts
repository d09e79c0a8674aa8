/**
 * `machine.stale`: the leader announces each machine once as it turns stale
 * (not seen for --stale-after), one event per environment, and again only
 * after it came back and went quiet anew. The controller's clock is moved
 * by hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { seedRepo, waitFor } from '../support/fleet.js';
import { Controller, createTokenIn } from '../../src/controller/controller.js';
import { openStore } from '../../src/controller/db/open.js';
import { RepoTracker } from '../../src/controller/tracker/tracker.js';

describe('stale machines', () => {
  it('are announced once each as they turn stale, per environment, and again after they came back and went quiet', { timeout: 60_000 }, async () => {
    const t = tempDir('claude-env-stale-');
    const repo = await seedRepo(t.dir);
    const store = await openStore(join(t.dir, 'controller.db'));
    let clock = Date.parse('2026-12-03T09:00:00Z');
    const ctl = new Controller({ store, tracker: new RepoTracker({ repo, branch: 'main', workDir: join(t.dir, 'work') }), now: () => clock, staleAfterMs: 10 * 60_000, processMetrics: false, flushMs: 20, rolloutTickMs: 3_600_000 });
    try {
      await ctl.start();
      await waitFor(async () => (await ctl.ready()).ready, 30_000, 'the first sync');
      const enrollIn = async (env: string, user: string, team: string): Promise<string> => {
        const token = (await createTokenIn(store, 'test', { kind: 'enroll', env }, clock, null)).token;
        return (await ctl.enroll(await ctl.authenticate(`Bearer ${token}`), { user, team }, null)).machine_id;
      };
      const dev = [await enrollIn('development', 'bob', 'frontend-team'), await enrollIn('development', 'carol', 'frontend-team')];
      const prod = await enrollIn('production', 'erin', 'backend-team');
      const stale = async () => (await store.events({ type: 'machine.stale' })).map((e) => ({ env: e.environment, ...(JSON.parse(e.detail!) as { machines: number; ids: string[] }) }));

      await ctl.staleCheck();
      assert.deepEqual(await stale(), [], 'nothing is stale yet');
      clock += 11 * 60_000;
      await ctl.staleCheck();
      const first = await stale();
      assert.deepEqual(first.map((e) => [e.env, e.machines, [...e.ids].sort()]).sort(), [['development', 2, [...dev].sort()], ['production', 1, [prod]]]);
      clock += 60 * 60_000;
      await ctl.staleCheck();
      assert.equal((await stale()).length, 2, 'each machine once, however long it stays away');

      // bob's machine checks in, then goes quiet again: announced once more, alone.
      await store.touchMachines([{ id: dev[0]!, at: clock }]);
      clock += 11 * 60_000;
      await ctl.staleCheck();
      const again = await stale();
      assert.equal(again.length, 3);
      assert.deepEqual([again[0]!.env, again[0]!.ids], ['development', [dev[0]]]);
    } finally {
      await ctl.stop();
      await store.close();
      t.cleanup();
    }
  });
});
