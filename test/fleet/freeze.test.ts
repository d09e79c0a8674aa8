/**
 * `freeze` / `unfreeze` (SPEC "The fleet": read-only mode): while frozen no machine gets a new assignment, a new
 * revision waits, no rollout verb is taken and no sweep starts (503 `frozen`), and agents keep what they hold; the
 * unfreeze lets the waiting revision out. Over real HTTP, through the CLI as an admin would run it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { commit, devEnv, enrollAgent, startFleet, waitFor } from '../support/fleet.js';

describe('freeze', () => {
  it('holds every machine on its revision while a new one waits, refuses verbs and sweeps, and lets it out on unfreeze', { timeout: 120_000 }, async (t) => {
    const fleet = await startFleet({ db: 'sqlite' });
    t.after(() => fleet.close());
    const ctl = fleet.controller.controller;
    const api = (token: string) => ['--controller', fleet.controller.url, '--token', token];
    const bob = await enrollAgent(fleet, join(fleet.root, 'bob'), { enrollToken: await fleet.token('enroll', 'development'), user: 'bob', team: 'frontend-team', project: 'web-application' });
    const first = (await bob.agent({ once: true }).run()).revision;
    assert.ok(first);

    // Only an admin freezes
    const frank = await fleet.token('user', 'frank');
    const refused = await cli(['freeze', ...api(frank), '--reason', 'mine']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /frank holds no admin role/);
    const frozen = await cli(['freeze', ...api(fleet.admin), '--reason', 'release week']);
    assert.equal(frozen.code, 0, frozen.stderr);
    assert.match(frozen.stdout, /^the fleet is frozen by judy since \S+ \(release week\): no new assignment, no rollout moves, no sweep starts\n$/);

    // A new revision waits: not assigned, and bob keeps his
    const second = commit(fleet.repo, 'environments/development/config.yml', devEnv('FREEZE_TEST', 'on'));
    await ctl.pollOnce();
    const status = JSON.parse((await cli(['fleet', 'status', ...api(frank), '--json'])).stdout) as { environments: Array<{ name: string; revision: string }>; frozen: { frozen: boolean; by: string; reason: string; waiting: string } };
    assert.equal(status.environments.find((e) => e.name === 'development')!.revision, first);
    assert.deepEqual([status.frozen.frozen, status.frozen.by, status.frozen.reason, status.frozen.waiting], [true, 'judy', 'release week', second]);
    assert.equal((await bob.agent({ once: true }).run()).revision, first);
    assert.match((await cli(['fleet', 'status', ...api(frank)])).stdout, /^the fleet is frozen by judy/);

    // Nothing that would change an assignment is taken: 503 frozen
    const approve = await cli(['rollout', 'rollback', 'development', ...api(fleet.admin)]);
    assert.equal(approve.code, 1);
    assert.match(approve.stderr, /frozen .*the fleet is frozen \(by judy at [^:]+:\d\d:\d\d\.\d+Z: release week\), so rollout rollback waits until `claude-env unfreeze`/);
    const sweep = await fetch(`${fleet.controller.url}/api/v1/sweeps`, { method: 'POST', headers: { Authorization: `Bearer ${fleet.admin}`, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(sweep.status, 503);
    assert.equal(((await sweep.json()) as { error: { code: string } }).error.code, 'frozen');
    // The dashboard says so
    const page = await (await fetch(`${fleet.controller.url}/dashboard`, { headers: { Authorization: `Bearer ${frank}` } })).text();
    assert.match(page, /<strong>Frozen<\/strong> by judy at [^:]+:\d\d:\d\dZ: release week\. No machine gets a new revision, no rollout moves and no sweep starts until it is unfrozen; revision [0-9a-f]{12} waits\./);

    // Unfreeze: the waiting revision goes out, and bob gets it
    const thawed = await cli(['unfreeze', ...api(fleet.admin), '--json']);
    assert.equal(thawed.code, 0, thawed.stderr);
    assert.deepEqual(JSON.parse(thawed.stdout), { frozen: false, by: null, at: null, reason: null, waiting: null });
    await waitFor(async () => (await ctl.fleetStatus({})).environments.find((e) => e.name === 'development')!.revision === second, 30_000, 'the waiting revision to go out');
    assert.equal((await bob.agent({ once: true }).run()).revision, second);
    const types = (await fleet.store.events({ limit: 100 })).map((e) => e.type);
    for (const type of ['fleet.frozen', 'sync.held', 'fleet.unfrozen']) assert.ok(types.includes(type), `event ${type}`);
    const audit = (await fleet.store.auditLog(100)).map((a) => `${a.actor} ${a.action}`);
    assert.ok(audit.includes('user:judy fleet.freeze') && audit.includes('user:judy fleet.unfreeze'), audit.join('\n'));
  });
});
