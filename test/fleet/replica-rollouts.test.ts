/**
 * A rollout driven through the replica that does not lead (two controllers
 * on one PostgreSQL store): a machine enrolls and reports there, a user
 * approves there; the leader folds the report, moves the rollout on, and is
 * the only one to send the events, the follower's included, each once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { startReceiver } from '../support/receiver.js';
import { commit, databaseFor, seedRepo, skipPostgres, waitFor } from '../support/fleet.js';
import { createTokenIn } from '../../src/controller/controller.js';
import { openStore } from '../../src/controller/db/open.js';
import { startController, type RunningController } from '../../src/controller/serve.js';
import type { EnrollResponse, RolloutView } from '../../src/controller/api.js';

const HOOK_KEY = 'replica-hook-key-77ab';

describe('a rollout through a follower replica', { skip: skipPostgres() }, () => {
  it('takes a report and an approval on the follower; the leader moves on and alone sends each event once', { timeout: 120_000 }, async () => {
    const tmp = tempDir('claude-env-replica-rollout-');
    const receiver = await startReceiver();
    const { got } = receiver;
    const hook = receiver.url;
    const repo = await seedRepo(tmp.dir);
    commit(repo, 'claude-env.yml', (s) =>
      s
        .replace('    pause: 10m\n', '    pause: 1s\n')
        .replace('    approval: { roles: [team_lead, security_reviewer], count: 2 }', '    approval: { roles: [team_lead], count: 1 }')
        .replace('notifications:\n', `notifications:\n  - { type: webhook, url: "${hook}", secret: !secret env:HOOK_KEY, on: [rollout.started, rollout.step, rollout.awaiting-approval, rollout.approved, machine.enrolled] }\n`),
    );
    const db = await databaseFor('postgres', tmp.dir, `replica_rollout_${process.pid}`);
    const replicas: RunningController[] = [];
    try {
      for (const name of ['one', 'two']) {
        replicas.push(await startController({ repo, branch: 'main', db: db.url, listen: '127.0.0.1:0', workDir: join(tmp.dir, name), store: await openStore(db.url), pollMs: 60_000, leaderRetryMs: 200, flushMs: 100, rolloutTickMs: 100, processMetrics: false, env: { PATH: process.env['PATH'], HOOK_KEY } }));
      }
      await waitFor(async () => replicas.filter((r) => r.controller.leading()).length === 1 && (await Promise.all(replicas.map((r) => r.controller.ready()))).every((x) => x.ready), 30_000, 'one leader, both ready');
      const leader = replicas.find((r) => r.controller.leading())!;
      const follower = replicas.find((r) => !r.controller.leading())!;
      const store = leader.controller.store;
      const call = async <T>(path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> => {
        const res = await fetch(`${follower.url}/api/v1${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        return { status: res.status, body: (await res.json()) as T };
      };

      const enrollToken = (await createTokenIn(store, 'test', { kind: 'enroll', env: 'production' }, Date.now(), null)).token;
      const machine = await call<EnrollResponse>('/enroll', enrollToken, { user: 'erin', team: 'backend-team', project: 'api-service' });
      assert.equal(machine.status, 201);
      const ivan = (await createTokenIn(store, 'test', { kind: 'user', user: 'ivan' }, Date.now(), null)).token;

      const a = commit(repo, 'environments/production/config.yml', (s) => s.replace('    DEPLOY_ENVIRONMENT: production\n', '    DEPLOY_ENVIRONMENT: production\n    ROLLOUT_MARK: "a"\n'), 'mark a', { name: 'erin', email: 'erin@example.com' });
      await leader.controller.pollOnce();
      await waitFor(async () => (await call<RolloutView>('/rollouts/production', ivan)).body.revision === a, 10_000, 'the follower to see the rollout');
      // The machine (the only one: the canary) reports its apply to the follower; the leader counts it.
      const report = await call<{ stored: boolean }>(`/machines/${machine.body.machine_id}/reports`, machine.body.token, { seq: 1, revision: a, assigned_revision: a, result: 'ok', at: Date.now() });
      assert.equal(report.status, 201);
      await waitFor(async () => (await call<RolloutView>('/rollouts/production', ivan)).body.phase === 'awaiting-approval', 20_000, 'the gate to pass and approval to be asked');
      const approved = await call<RolloutView>('/rollouts/production/approve', ivan, {});
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.deepEqual(approved.body.approved_by, ['ivan']);
      await waitFor(async () => (await call<RolloutView>('/rollouts/production', ivan)).body.step.index === 1, 10_000, 'the leader to begin the 50 % step');

      const sent = (type: string): number =>
        got.filter((g) => {
          const body = JSON.parse(g.body) as { environment: string | null; detail: { revision?: string } };
          return g.headers['x-claude-env-event'] === type && (type === 'machine.enrolled' || (body.environment === 'production' && body.detail.revision === a));
        }).length;
      await waitFor(() => sent('rollout.approved') >= 1 && sent('machine.enrolled') >= 1, 15_000, 'the follower\'s events at the webhook');
      await new Promise((r) => setTimeout(r, 500));
      // Each once: recorded by whichever replica, sent by the leader only.
      assert.deepEqual(['machine.enrolled', 'rollout.started', 'rollout.awaiting-approval', 'rollout.approved'].map(sent), [1, 1, 1, 1]);
      assert.ok(got.every((g) => !g.body.includes(HOOK_KEY)));
    } finally {
      for (const r of replicas) await r.close();
      for (const r of replicas) await r.controller.store.close();
      await db.close();
      await receiver.close();
      tmp.cleanup();
    }
  });
});
