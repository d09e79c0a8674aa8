/**
 * The Store conformance suite: one set of behaviours, run once per
 * implementation (SQLite, PostgreSQL) by store.test.ts, like Kysely's
 * dialect loop. `open` opens another store on the same database each time;
 * the suite closes every store it opened. Tests share the database, so each
 * one names its own machines, environments and channels.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DriftSummary } from '../api.js';
import type { Dialect, MachineRow, ReportRow, Store, TokenRow } from './store.js';

export interface StoreCaseOptions {
  /** Skip the whole suite, with the reason. */
  readonly skip?: string | undefined;
}

/** Polls `check` until it holds, for at most `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function machineRow(id: string, env: string, over: Partial<MachineRow> = {}): MachineRow {
  return {
    id, env, team: 'core', project: 'api', user: 'ada', hostname: `${id}.local`, enrolled_at: 1_000, last_seen: null,
    assigned_revision: null, applied_revision: null, state: 'applying', result: null, error_code: null,
    drift_percentage: null, risk_level: null, drift: null, last_seq: 0, last_report_at: null, claude_version: null,
    ...over,
  };
}

export function tokenRow(id: string, over: Partial<TokenRow> = {}): TokenRow {
  return {
    id, kind: 'user', hash: `hash-${id}`, user: 'ada', env: null, machine_id: null, created_by: 'admin',
    created_at: 1_000, expires_at: null, revoked_at: null, ...over,
  };
}

function report(machineId: string, seq: number, over: Partial<ReportRow> = {}): ReportRow {
  return {
    machine_id: machineId, seq, received_at: 10_000 + seq, made_at: 9_000 + seq, revision: `rev${seq}`,
    assigned_revision: `rev${seq}`, result: 'ok', error_code: null, timings: JSON.stringify({ apply: 12 }), drift: null,
    staged_revision: null, sweep_id: null, sweep: null, ...over,
  };
}

const drift = (items: number, pct: number): string =>
  JSON.stringify({
    drift_percentage: pct,
    risk_level: items > 0 ? 'high' : 'none',
    items: Array.from({ length: items }, (_, i) => ({ path: `settings.json#/k${i}`, category: 'modified', severity: 'high' })),
  } satisfies DriftSummary);

/** The suite for one implementation: `open` gives another store on the same database each call. */
export function storeCase(dialect: Dialect, open: () => Promise<Store>, options: StoreCaseOptions = {}): void {
  describe(`Store on ${dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}`, { skip: options.skip ?? false, timeout: 120_000 }, () => {
    const opened: Store[] = [];
    const store = async (): Promise<Store> => {
      const s = await open();
      opened.push(s);
      return s;
    };
    /** A machine and its agent token, enrolled. */
    const enroll = async (s: Store, env: string, over: Partial<MachineRow> = {}): Promise<MachineRow> => {
      const m = machineRow(uid('m'), env, over);
      await s.enrollMachine(m, tokenRow(uid('t'), { kind: 'agent', env, machine_id: m.id }));
      return m;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('answers ping while the database is reachable', async () => {
      const s = await store();
      await s.ping();
      assert.equal(s.dialect, dialect);
    });

    it('finds a token by its hash and by its id, and lists it', async () => {
      const s = await store();
      const t = tokenRow(uid('t'), { expires_at: 99_000 });
      await s.createToken(t);
      assert.deepEqual(await s.tokenByHash(t.hash), t);
      assert.deepEqual(await s.token(t.id), t);
      assert.equal(await s.tokenByHash('no-such-hash'), undefined);
      assert.equal(await s.token('no-such-id'), undefined);
      assert.ok((await s.listTokens()).some((x) => x.id === t.id));
    });

    it('refuses a second token with the same hash or id', async () => {
      const s = await store();
      const t = tokenRow(uid('t'));
      await s.createToken(t);
      await assert.rejects(s.createToken(tokenRow(uid('t'), { hash: t.hash })), { code: 'conflict' });
      await assert.rejects(s.createToken(tokenRow(t.id, { hash: 'another-hash' })), { code: 'conflict' });
    });

    it('revokes a token once', async () => {
      const s = await store();
      const t = tokenRow(uid('t'));
      await s.createToken(t);
      assert.equal(await s.revokeToken(t.id, 5_000), true);
      assert.equal((await s.token(t.id))?.revoked_at, 5_000);
      assert.equal(await s.revokeToken(t.id, 6_000), false, 'revoked before');
      assert.equal((await s.token(t.id))?.revoked_at, 5_000, 'the first revocation time stays');
      assert.equal(await s.revokeToken('no-such-id', 6_000), false);
    });

    it('enrolls a machine and its agent token together, or neither', async () => {
      const s = await store();
      const env = uid('env');
      const m = await enroll(s, env);
      assert.deepEqual(await s.machine(m.id), m);
      const agent = (await s.listTokens()).find((t) => t.machine_id === m.id);
      assert.equal(agent?.kind, 'agent');

      // The token's hash is taken: the machine must not be created either.
      const taken = tokenRow(uid('t'));
      await s.createToken(taken);
      const other = machineRow(uid('m'), env);
      await assert.rejects(s.enrollMachine(other, tokenRow(uid('t'), { kind: 'agent', hash: taken.hash, machine_id: other.id })), { code: 'conflict' });
      assert.equal(await s.machine(other.id), undefined);
      await assert.rejects(s.enrollMachine(m, tokenRow(uid('t'), { kind: 'agent', machine_id: m.id })), { code: 'conflict' }, 'the machine exists');
    });

    it('lists machines by environment in id order, a page at a time', async () => {
      const s = await store();
      const env = uid('env');
      const ids = ['c', 'a', 'b', 'd'].map((x) => `${env}-${x}`);
      for (const id of ids) await s.enrollMachine(machineRow(id, env), tokenRow(uid('t'), { kind: 'agent', machine_id: id }));
      await enroll(s, uid('other-env'));
      const all = await s.listMachines({ env });
      assert.deepEqual(all.map((m) => m.id), [...ids].sort());
      const first = await s.listMachines({ env, limit: 2 });
      const next = await s.listMachines({ env, limit: 2, after: first.at(-1)!.id });
      assert.deepEqual([...first, ...next].map((m) => m.id), [...ids].sort());
      assert.deepEqual(await s.listMachines({ env, after: next.at(-1)!.id }), []);
    });

    it('stores a retried report once', async () => {
      const s = await store();
      const m = await enroll(s, uid('env'));
      assert.equal(await s.addReport(report(m.id, 1)), true);
      assert.equal(await s.addReport(report(m.id, 1, { revision: 'other' })), false, 'the same seq again');
      const stored = await s.reports(m.id);
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0], report(m.id, 1));
      assert.equal((await s.machine(m.id))?.applied_revision, 'rev1');
    });

    it('moves the machine to its newest report only: an older seq arriving late changes nothing current', async () => {
      const s = await store();
      const m = await enroll(s, uid('env'));
      await s.assign(m.id, 'rev3', 10_000);
      assert.equal(await s.addReport(report(m.id, 3, { drift: drift(2, 12.5) }), '2.1.332'), true);
      const after3 = await s.machine(m.id);
      assert.equal(await s.addReport(report(m.id, 2, { result: 'failed', error_code: 'apply-check-failed' }), '2.1.0'), true, 'a late report is still stored');
      assert.deepEqual(await s.machine(m.id), after3);
      assert.deepEqual(after3, {
        ...m,
        assigned_revision: 'rev3', applied_revision: 'rev3', state: 'drifted', result: 'ok', error_code: null,
        drift: drift(2, 12.5), drift_percentage: 12.5, risk_level: 'high', last_seq: 3, last_report_at: 10_003,
        last_seen: 10_003, claude_version: '2.1.332',
      });
      assert.deepEqual((await s.reports(m.id)).map((r) => r.seq), [3, 2], 'newest first');
      assert.deepEqual((await s.reports(m.id, 1)).map((r) => r.seq), [3]);
    });

    it('derives the machine state from each new report and its assignment', async () => {
      const s = await store();
      const m = await enroll(s, uid('env'));
      await s.assign(m.id, 'rev1', 2_000);
      assert.equal((await s.machine(m.id))?.state, 'applying', 'assigned, nothing reported');
      await s.addReport(report(m.id, 1, { drift: drift(0, 0) }));
      assert.equal((await s.machine(m.id))?.state, 'in_sync');
      await s.assign(m.id, 'rev2', 20_000);
      assert.equal((await s.machine(m.id))?.state, 'applying', 'a new revision assigned');
      await s.addReport(report(m.id, 2, { revision: 'rev1', assigned_revision: 'rev2', result: 'rolled-back', error_code: 'apply-check-failed' }));
      const failed = await s.machine(m.id);
      assert.equal(failed?.state, 'failed', 'rolled back to the old revision');
      assert.equal(failed?.error_code, 'apply-check-failed');
      await s.addReport(report(m.id, 3, { revision: 'rev1', assigned_revision: 'rev1' }));
      assert.equal((await s.machine(m.id))?.state, 'applying', 'ok, but not on the assigned revision');
      await s.addReport(report(m.id, 4, { revision: 'rev2', drift: drift(1, 3) }));
      assert.equal((await s.machine(m.id))?.state, 'drifted');
      await s.assign(m.id, 'rev2', 30_000);
      assert.equal((await s.machine(m.id))?.state, 'drifted', 'assigning the revision already on it changes no state');
      assert.equal((await s.machine(m.id))?.last_seen, 30_000);
    });

    it('refuses a report or an assignment for an unknown machine', async () => {
      const s = await store();
      await assert.rejects(s.addReport(report(uid('nobody'), 1)), { code: 'not-found' });
      await assert.rejects(s.assign(uid('nobody'), 'rev1', 1), { code: 'not-found' });
    });

    it('counts machines per environment and state, stale from last seen (or enrollment) before the given time', async () => {
      const s = await store();
      const env = uid('env');
      const a = await enroll(s, env, { enrolled_at: 1_000 });
      const b = await enroll(s, env, { enrolled_at: 1_000 });
      const c = await enroll(s, env, { enrolled_at: 50_000 });
      await enroll(s, env, { enrolled_at: 1_000 }); // never seen since enrolling long ago: stale
      await s.assign(a.id, 'rev1', 60_000);
      await s.addReport(report(a.id, 1, { received_at: 60_000, drift: drift(1, 20) }));
      await s.assign(b.id, 'rev1', 60_000);
      await s.addReport(report(b.id, 1, { received_at: 60_000, drift: drift(3, 30) }));
      await s.touchMachines([{ id: c.id, at: 55_000 }]);
      const counts = (await s.stateCounts(40_000)).filter((r) => r.env === env);
      assert.deepEqual(counts, [
        { env, state: 'applying', count: 1, drift_sum: 0 },
        { env, state: 'drifted', count: 2, drift_sum: 50 },
        { env, state: 'stale', count: 1, drift_sum: 0 },
      ]);
      const later = (await s.stateCounts(70_000)).filter((r) => r.env === env);
      assert.deepEqual(later, [{ env, state: 'stale', count: 4, drift_sum: 50 }]);
    });

    it('records the check-ins of 5,000 machines in one call, never moving last_seen back', async () => {
      const s = await store();
      const env = uid('env');
      const machines = Array.from({ length: 5_000 }, (_, i) => machineRow(`${env}-${String(i).padStart(5, '0')}`, env));
      for (let i = 0; i < machines.length; i += 50) {
        await Promise.all(machines.slice(i, i + 50).map((m) => s.enrollMachine(m, tokenRow(`t-${m.id}`, { kind: 'agent', machine_id: m.id }))));
      }
      await s.touchMachines(machines.map((m) => ({ id: m.id, at: 100_000 })));
      // Some machines twice in a batch (the latest wins); some with an older time (ignored).
      await s.touchMachines([
        ...machines.slice(0, 10).map((m) => ({ id: m.id, at: 200_000 })),
        ...machines.slice(0, 10).map((m) => ({ id: m.id, at: 150_000 })),
        ...machines.slice(10, 20).map((m) => ({ id: m.id, at: 50_000 })),
      ]);
      const seen = (await s.listMachines({ env })).map((m) => m.last_seen);
      assert.equal(seen.length, 5_000);
      assert.deepEqual(seen.slice(0, 10), Array(10).fill(200_000));
      assert.ok(seen.slice(10).every((t) => t === 100_000));
      await s.touchMachines([]);
      await s.touchMachines([{ id: uid('nobody'), at: 1 }]);
    });

    it('keeps the previous revision of an environment when its revision changes', async () => {
      const s = await store();
      const name = uid('env');
      await s.setEnvironmentRevision(name, 'r1', 1_000);
      const find = async () => (await s.environments()).find((e) => e.name === name);
      assert.deepEqual(await find(), { name, revision: 'r1', previous_revision: null, updated_at: 1_000 });
      await s.setEnvironmentRevision(name, 'r2', 2_000);
      assert.deepEqual(await find(), { name, revision: 'r2', previous_revision: 'r1', updated_at: 2_000 });
      await s.setEnvironmentRevision(name, 'r2', 3_000);
      assert.deepEqual(await find(), { name, revision: 'r2', previous_revision: 'r1', updated_at: 2_000 }, 'the same revision again changes nothing');
      await s.setEnvironmentRevision(name, 'r3', 4_000);
      assert.deepEqual(await find(), { name, revision: 'r3', previous_revision: 'r2', updated_at: 4_000 });
    });

    it('records syncs, newest first, and finds the one of a revision', async () => {
      const s = await store();
      const rev = uid('rev');
      const a = await s.recordSync({ revision: rev, status: 'failed', at: 1_000, duration_ms: 40, errors: 2, findings: JSON.stringify(['a.yml:1:1 schema bad']) });
      const b = await s.recordSync({ revision: rev, status: 'succeeded', at: 2_000, duration_ms: 30, errors: 0, findings: '[]' });
      assert.ok(b > a);
      assert.deepEqual((await s.syncs(2)).map((x) => x.id), [b, a]);
      assert.deepEqual(await s.syncOf(rev), { id: b, revision: rev, status: 'succeeded', at: 2_000, duration_ms: 30, errors: 0, findings: '[]' });
      assert.equal(await s.syncOf(uid('never-seen')), undefined);
    });

    it('keeps an audit log, newest first', async () => {
      const s = await store();
      const actor = uid('user');
      await s.audit({ at: 1_000, actor, action: 'token.create', subject: 'tok1', address: '127.0.0.1', detail: JSON.stringify({ kind: 'user' }) });
      await s.audit({ at: 2_000, actor, action: 'token.revoke', subject: 'tok1', address: null, detail: null });
      const [last, first] = await s.auditLog(2);
      assert.equal(last?.action, 'token.revoke');
      assert.deepEqual(first, { id: first!.id, at: 1_000, actor, action: 'token.create', subject: 'tok1', address: '127.0.0.1', detail: '{"kind":"user"}' });
      assert.ok(last!.id > first!.id);
    });

    it('adds events and lists them by type, newest first', async () => {
      const s = await store();
      const env = uid('env');
      const type = uid('rollout.step');
      const a = await s.addEvent({ at: 1_000, type, environment: env, detail: JSON.stringify({ step: 1 }) });
      const other = await s.addEvent({ at: 1_500, type: uid('sync.failed'), environment: null, detail: null });
      const b = await s.addEvent({ at: 2_000, type, environment: env, detail: JSON.stringify({ step: 2 }) });
      assert.ok(a < other && other < b);
      assert.deepEqual(await s.events({ type }), [
        { id: b, at: 2_000, type, environment: env, detail: '{"step":2}' },
        { id: a, at: 1_000, type, environment: env, detail: '{"step":1}' },
      ]);
      assert.deepEqual((await s.events({ limit: 2 })).map((e) => e.id), [b, other]);
    });

    it("saves an environment's rollout only over the version it read: a replica that saved first wins, the other is told", async () => {
      const s = await store();
      const env = uid('production');
      const row = { environment: env, revision: 'abc1234', phase: 'progressing', state: '{"step":0}', version: 1, updated_at: 1000 };
      assert.equal(await s.rollout(env), undefined);
      assert.equal(await s.saveRollout(row), true);
      assert.equal(await s.saveRollout({ ...row, state: '{"other":true}' }), false, 'a second first version is refused');
      assert.equal(await s.saveRollout({ ...row, phase: 'paused', version: 2, updated_at: 2000 }), true);
      // Another replica read version 1 and saves what it decided: too late.
      assert.equal(await s.saveRollout({ ...row, phase: 'failed', version: 2, updated_at: 2500 }), false);
      assert.deepEqual(await s.rollout(env), { ...row, phase: 'paused', version: 2, updated_at: 2000 });
      await assert.rejects(s.saveRollout({ ...row, version: 0 }), /version starts at 1/);
    });

    it("reads an environment's reports back in the order they came, from a time on, with what a blue-green stage or a sweep said", async () => {
      const s = await store();
      const env = uid('env');
      const a = await enroll(s, env);
      const b = await enroll(s, env);
      const other = await enroll(s, uid('other'));
      await s.addReport(report(a.id, 1, { received_at: 5_000 }));
      await s.addReport(report(b.id, 1, { received_at: 6_000, staged_revision: 'rev9', result: 'failed', error_code: 'secret-unresolved' }));
      await s.addReport(report(a.id, 2, { received_at: 7_000, sweep_id: 3, sweep: '{"id":3,"fixed":1,"manual":[],"mcp_down":[]}' }));
      await s.addReport(report(other.id, 1, { received_at: 6_500 }));
      const got = await s.reportsSince(env, 6_000);
      assert.deepEqual(got.map((r) => [r.machine_id, r.seq, r.env]), [[b.id, 1, env], [a.id, 2, env]]);
      assert.equal(got[0]!.staged_revision, 'rev9');
      assert.equal(got[1]!.sweep_id, 3);
      assert.deepEqual((await s.sweepReports(3)).map((r) => [r.machine_id, r.seq]), [[a.id, 2]]);
      assert.deepEqual(await s.machineIds(env), [a.id, b.id].sort());
      // Both machines are ada's on core/api: one target.
      assert.deepEqual(await s.targetsIn(env), [{ team: 'core', project: 'api', user: 'ada' }]);
    });

    it("counts an environment's machines holding a revision and those whose apply of it failed", async () => {
      const s = await store();
      const env = uid('env');
      const ok = await enroll(s, env);
      const bad = await enroll(s, env);
      await enroll(s, env);
      await s.assignMany([{ id: ok.id, revision: 'rev2', at: null }, { id: bad.id, revision: 'rev2', at: null }]);
      // A revision written by a rollout step (no check-in) leaves last_seen as it was.
      assert.equal((await s.machine(ok.id))?.last_seen, null);
      assert.equal((await s.machine(ok.id))?.assigned_revision, 'rev2');
      await s.addReport(report(ok.id, 1, { revision: 'rev2', assigned_revision: 'rev2' }));
      await s.addReport(report(bad.id, 1, { revision: 'rev1', assigned_revision: 'rev2', result: 'rolled-back', error_code: 'apply-check-failed' }));
      assert.deepEqual(await s.revisionCounts(env, 'rev2'), { total: 3, updated: 1, failed: 1 });
    });

    it("gives each environment's distinct risk levels, over every machine", async () => {
      const s = await store();
      const env = uid('env');
      for (const risk of ['low', 'critical', 'low', null]) await enroll(s, env, { risk_level: risk });
      assert.deepEqual((await s.riskLevels()).filter((r) => r.env === env).map((r) => r.risk_level).sort(), ['critical', 'low']);
    });

    it('finds the machines whose last sign of life lies in a window (enrollment when never seen)', async () => {
      const s = await store();
      const env = uid('env');
      const quiet = await enroll(s, env, { enrolled_at: 50_000 });
      const seen = await enroll(s, env, { enrolled_at: 50_000 });
      await s.touchMachines([{ id: seen.id, at: 90_000 }]);
      const inWindow = (await s.lastSeenBetween(40_000, 60_000)).filter((m) => m.env === env);
      assert.deepEqual(inWindow, [{ id: quiet.id, env }]);
      assert.deepEqual((await s.lastSeenBetween(60_000, 100_000)).filter((m) => m.env === env), [{ id: seen.id, env }]);
    });

    it('keeps drift sweeps per environment, newest first', async () => {
      const s = await store();
      const env = uid('env');
      const first = await s.addSweep({ environment: env, at: 1_000, max_fixes: 10, schedule: '0 8-18/2 * * 1-5' });
      const second = await s.addSweep({ environment: env, at: 2_000, max_fixes: 3, schedule: null });
      await s.addSweep({ environment: uid('other'), at: 3_000, max_fixes: 10, schedule: null });
      assert.ok(second > first);
      assert.deepEqual(await s.sweeps({ env }), [
        { id: second, environment: env, at: 2_000, max_fixes: 3, schedule: null },
        { id: first, environment: env, at: 1_000, max_fixes: 10, schedule: '0 8-18/2 * * 1-5' },
      ]);
      assert.deepEqual((await s.sweeps({ env, limit: 1 })).map((r) => r.id), [second]);
    });

    it('keeps small settings, the last value winning', async () => {
      const s = await store();
      const key = uid('branch-head');
      assert.equal(await s.getMeta(key), undefined);
      await s.setMeta(key, 'abc');
      await s.setMeta(key, 'def');
      assert.equal(await s.getMeta(key), 'def');
    });

    it('opens the same database again without migrating twice, and sees its data', async () => {
      const s = await store();
      const key = uid('k');
      await s.setMeta(key, 'v');
      const [again, third] = await Promise.all([store(), store()]);
      assert.equal(await again.getMeta(key), 'v');
      assert.equal(await third.getMeta(key), 'v');
    });

    it('delivers a notification to every listener of its channel, until unsubscribed', async () => {
      const s = await store();
      const channel = uid('assign');
      const got: string[] = [];
      const off = await s.listen(channel, (p) => got.push(p));
      const otherChannel: string[] = [];
      await s.listen(uid('other'), (p) => otherChannel.push(p));
      await s.notify(channel, '{"env":"dev"}');
      await until('the notification', () => got.length === 1);
      assert.deepEqual(got, ['{"env":"dev"}']);
      await off();
      await s.notify(channel, 'after');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, ['{"env":"dev"}']);
      assert.deepEqual(otherChannel, []);
    });

    if (dialect === 'postgres') {
      it('delivers a notification to the other replicas', async () => {
        const [a, b] = await Promise.all([store(), store()]);
        const channel = uid('assign');
        const got: string[] = [];
        await b.listen(channel, (p) => got.push(p));
        await a.notify(channel, 'hello');
        await until('the notification', () => got.length === 1);
        assert.deepEqual(got, ['hello']);
      });

      it('lets exactly one of two replicas lead, and the other once it resigns or closes', async () => {
        const [a, b] = await Promise.all([store(), store()]);
        let lost = 0;
        const onLost = () => void lost++;
        const won = await Promise.all([a.lead(onLost), b.lead(onLost)]);
        assert.equal(won.filter(Boolean).length, 1);
        const [leader, other] = won[0] ? [a, b] : [b, a];
        assert.equal(leader.leading(), true);
        assert.equal(other.leading(), false);
        assert.equal(await leader.lead(onLost), true, 'asking again while leading');
        assert.equal(await other.lead(onLost), false);

        await leader.resign();
        assert.equal(leader.leading(), false);
        assert.equal(await other.lead(onLost), true);
        assert.equal(await leader.lead(onLost), false);

        await other.close();
        await until('the first to lead again', () => leader.lead(onLost));
        assert.equal(lost, 0, 'resigning and closing are no loss');
      });
    } else {
      it('always leads (one process)', async () => {
        const [a, b] = await Promise.all([store(), store()]);
        assert.equal(a.leading(), false);
        assert.equal(await a.lead(), true);
        assert.equal(await b.lead(), true);
        assert.equal(a.leading(), true);
        await a.resign();
        assert.equal(a.leading(), false);
      });
    }
  });
}
