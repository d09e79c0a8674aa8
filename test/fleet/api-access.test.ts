/**
 * The controller's API refuses what it must, with a clear JSON error and no
 * change: tested as a function from Request to Response (Hono's
 * app.request, no socket), over a SQLite store and the seed repo.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { tempDir } from '../helpers.js';
import { seedRepo, waitFor } from '../support/fleet.js';
import { Controller, createTokenIn } from '../../src/controller/controller.js';
import { createApp } from '../../src/controller/server/app.js';
import { openStore } from '../../src/controller/db/open.js';
import type { Store } from '../../src/controller/db/store.js';
import { RepoTracker } from '../../src/controller/tracker/tracker.js';
import type { EnrollResponse } from '../../src/controller/api.js';

const SECRET = 'the-webhook-secret';

describe('the controller API refuses bad calls with a JSON error and changes nothing', () => {
  const t = tempDir('claude-env-api-');
  let store: Store;
  let ctl: Controller;
  let app: Hono;
  let admin: string;
  let developer: string;
  let enrollDev: string;
  let enrollStaging: string;
  let a: EnrollResponse;
  let b: EnrollResponse;

  const call = (path: string, init: { method?: string; token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> =>
    Promise.resolve(app.request(path, { method: init.method ?? 'GET', headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(init.headers ?? {}) }, ...(init.body !== undefined ? { body: init.body } : {}) }));

  /** Every row a refused call could have changed. */
  const everything = async (): Promise<string> => JSON.stringify([await store.listTokens(), await store.listMachines({}), await store.auditLog(1000), await store.syncs(100), await store.reports(a.machine_id), await store.reports(b.machine_id)]);

  async function refused(res: Response, status: number, code: string, message: RegExp): Promise<void> {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code);
    assert.match(body.error.message, message);
  }

  before(async () => {
    const repo = await seedRepo(t.dir);
    store = await openStore(join(t.dir, 'controller.db'));
    ctl = new Controller({ store, tracker: new RepoTracker({ repo, branch: 'main', workDir: join(t.dir, 'work') }), webhookSecret: SECRET, processMetrics: false, flushMs: 50 });
    await ctl.start();
    await waitFor(async () => (await ctl.ready()).ready, 30_000, 'the first sync');
    app = createApp(ctl);
    admin = (await createTokenIn(store, 'test', { kind: 'user', user: 'judy' }, Date.now(), null)).token;
    developer = (await createTokenIn(store, 'test', { kind: 'user', user: 'bob' }, Date.now(), null)).token;
    enrollDev = (await createTokenIn(store, 'test', { kind: 'enroll', env: 'development' }, Date.now(), null)).token;
    enrollStaging = (await createTokenIn(store, 'test', { kind: 'enroll', env: 'staging' }, Date.now(), null)).token;
    const enroll = async (user: string, team: string): Promise<EnrollResponse> => {
      const res = await call('/api/v1/enroll', { method: 'POST', token: enrollDev, body: JSON.stringify({ user, team }) });
      assert.equal(res.status, 201);
      return (await res.json()) as EnrollResponse;
    };
    a = await enroll('bob', 'frontend-team');
    b = await enroll('carol', 'frontend-team');
  });
  after(async () => {
    await ctl.stop();
    await store.close();
    t.cleanup();
  });

  it('answers 401 without a token, with a malformed one, and with an unknown one', async () => {
    const before = await everything();
    await refused(await call('/api/v1/fleet/status'), 401, 'unauthorized', /no bearer token/);
    await refused(await call('/api/v1/fleet/status', { token: 'not-a-token' }), 401, 'unauthorized', /not valid/);
    await refused(await call('/api/v1/fleet/status', { token: `cet_u_${'A'.repeat(43)}` }), 401, 'unauthorized', /unknown or revoked/);
    await refused(await call(`/api/v1/machines/${a.machine_id}/assignment`, { token: `cet_a_${'B'.repeat(43)}` }), 401, 'unauthorized', /unknown or revoked/);
    assert.equal(await everything(), before);
  });

  it('answers 401 to a revoked token, on this replica at once', async () => {
    const made = await call('/api/v1/tokens', { method: 'POST', token: admin, body: JSON.stringify({ kind: 'user', user: 'alice' }) });
    assert.equal(made.status, 201);
    const { id, token } = (await made.json()) as { id: string; token: string };
    assert.equal((await call('/api/v1/fleet/status', { token })).status, 200);
    assert.equal((await call(`/api/v1/tokens/${id}`, { method: 'DELETE', token: admin })).status, 200);
    await refused(await call('/api/v1/fleet/status', { token }), 401, 'unauthorized', /unknown or revoked/);
    await refused(await call(`/api/v1/tokens/${id}`, { method: 'DELETE', token: admin }), 404, 'not-found', /revoked before/);
    const audit = (await store.auditLog(100)).map((e) => `${e.action} ${e.subject}`);
    assert.ok(audit.includes(`token.revoked ${id}`) && audit.includes(`token.created ${id}`));
  });

  it("answers 403 to an agent token asking for another machine's assignment or writing its reports", async () => {
    const before = await everything();
    await refused(await call(`/api/v1/machines/${b.machine_id}/assignment`, { token: a.token }), 403, 'forbidden', /only its own machine/);
    await refused(await call(`/api/v1/machines/${b.machine_id}/reports`, { method: 'POST', token: a.token, body: JSON.stringify({ seq: 1, revision: null, result: 'ok', at: 1 }) }), 403, 'forbidden', /only its own machine/);
    await refused(await call('/api/v1/fleet/status', { token: a.token }), 403, 'forbidden', /user token/);
    await refused(await call(`/api/v1/machines/${a.machine_id}/assignment`, { token: admin }), 403, 'forbidden', /agent token/);
    assert.equal(await everything(), before);
    // Its own machine is fine.
    assert.equal((await call(`/api/v1/machines/${a.machine_id}/assignment`, { token: a.token })).status, 200);
  });

  it('answers 403 to a developer on an admin route, and lets them read the fleet', async () => {
    const before = await everything();
    await refused(await call('/api/v1/tokens', { method: 'POST', token: developer, body: JSON.stringify({ kind: 'enroll', env: 'production' }) }), 403, 'forbidden', /bob holds no admin role/);
    await refused(await call('/api/v1/tokens', { token: developer }), 403, 'forbidden', /no admin role/);
    await refused(await call('/api/v1/audit', { token: developer }), 403, 'forbidden', /no admin role/);
    assert.equal(await everything(), before);
    assert.equal((await call('/api/v1/fleet/status', { token: developer })).status, 200);
  });

  it('refuses rollout verbs and sweeps to callers without the role, with no rollout or sweep changed; a refused verb is audited', async () => {
    const state = async (): Promise<string> => JSON.stringify([await store.rollout('development'), await store.sweeps({}), await store.listTokens(), await store.listMachines({})]);
    const before = await state();
    await refused(await call('/api/v1/sweeps', { method: 'POST', token: developer, body: JSON.stringify({ env: 'development' }) }), 403, 'forbidden', /bob holds no admin role/);
    await refused(await call('/api/v1/sweeps', { method: 'POST', token: admin, body: JSON.stringify({ max_fixes: -1 }) }), 400, 'bad-request', /\/max_fixes/);
    await refused(await call('/api/v1/rollouts/development', { token: a.token }), 403, 'forbidden', /user token/);
    await refused(await call('/api/v1/rollouts/development/pause', { method: 'POST', token: developer, body: '{}' }), 403, 'forbidden', /bob needs an admin role to pause a rollout/);
    await refused(await call('/api/v1/rollouts/development/explode', { method: 'POST', token: admin, body: '{}' }), 404, 'not-found', /no rollout verb "explode"/);
    await refused(await call('/api/v1/rollouts/development/pause', { method: 'POST', token: admin, body: JSON.stringify({ force: true }) }), 400, 'bad-request', /unknown key "force"/);
    await refused(await call('/api/v1/rollouts/nowhere/pause', { method: 'POST', token: admin, body: '{}' }), 404, 'not-found', /no rollout in the environment nowhere/);
    assert.equal(await state(), before);
    const audit = (await store.auditLog(100)).map((e) => `${e.action} ${e.actor} ${e.subject}`);
    assert.ok(audit.includes('rollout.pause.refused user:bob development'));
  });

  it('answers 400 to a body that is not JSON, has an unknown key or a bad value, and 413 to one too large', async () => {
    const before = await everything();
    const reports = `/api/v1/machines/${a.machine_id}/reports`;
    await refused(await call(reports, { method: 'POST', token: a.token, body: '{"seq": 1,' }), 400, 'bad-request', /not JSON/);
    await refused(await call(reports, { method: 'POST', token: a.token, body: JSON.stringify({ seq: 1, revision: null, result: 'ok', at: 1, extra: true }) }), 400, 'bad-request', /unknown key "extra"/);
    await refused(await call(reports, { method: 'POST', token: a.token, body: JSON.stringify({ seq: 0, revision: null, result: 'ok', at: 1 }) }), 400, 'bad-request', /\/seq/);
    await refused(await call(reports, { method: 'POST', token: a.token, body: JSON.stringify({ seq: 1, revision: 'x; drop table', result: 'ok', at: 1 }) }), 400, 'bad-request', /\/revision/);
    await refused(await call(reports, { method: 'POST', token: a.token, body: JSON.stringify({ seq: 1, revision: null, result: 'ok', at: 1, pad: 'x'.repeat(100_000) }) }), 413, 'too-large', /larger than/);
    await refused(await call(reports, { method: 'POST', token: a.token, body: 'x', headers: { 'Content-Type': 'text/plain' } }), 400, 'bad-request', /application\/json/);
    await refused(await call('/api/v1/enroll', { method: 'POST', token: enrollDev, body: JSON.stringify({ user: 'nobody-here', team: 'frontend-team' }) }), 400, 'bad-request', /not a target/);
    assert.equal(await everything(), before);
  });

  it('answers 403 to an enroll token used for another environment', async () => {
    const before = await everything();
    await refused(await call('/api/v1/enroll', { method: 'POST', token: enrollStaging, body: JSON.stringify({ env: 'production', user: 'bob', team: 'frontend-team' }) }), 403, 'forbidden', /for the environment staging, not production/);
    await refused(await call('/api/v1/enroll', { method: 'POST', token: admin, body: JSON.stringify({ user: 'bob', team: 'frontend-team' }) }), 403, 'forbidden', /enroll token/);
    assert.equal(await everything(), before);
  });

  it('answers 401 to a webhook whose signature is forged or missing, and 202 to a true one', async () => {
    const before = await everything();
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const forged = `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`;
    await refused(await call('/api/v1/hooks/git', { method: 'POST', body, headers: { 'X-Hub-Signature-256': forged } }), 401, 'unauthorized', /does not match/);
    await refused(await call('/api/v1/hooks/git', { method: 'POST', body }), 401, 'unauthorized', /does not match/);
    const tampered = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    await refused(await call('/api/v1/hooks/git', { method: 'POST', body: `${body} `, headers: { 'X-Hub-Signature-256': tampered } }), 401, 'unauthorized', /does not match/);
    assert.equal(await everything(), before);
    assert.equal((await call('/api/v1/hooks/git', { method: 'POST', body, headers: { 'X-Hub-Signature-256': tampered } })).status, 202);
  });

  it('answers JSON 404 for an unknown route, and serves /health, /ready and /metrics', async () => {
    await refused(await call('/api/v1/nothing', { token: admin }), 404, 'not-found', /no route/);
    assert.deepEqual(await (await call('/health')).json(), { status: 'ok' });
    assert.equal(((await (await call('/ready')).json()) as { ready: boolean }).ready, true);
    const metrics = await (await call('/metrics')).text();
    assert.match(metrics, /^config_sync_success_total 1$/m);
    assert.match(metrics, /^claude_env_machines\{environment="development",state="applying"\} 2$/m);
  });
});
