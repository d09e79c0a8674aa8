/**
 * The fleet under faults, each with nothing lost: the controller down while
 * agents report, an agent killed mid-apply, a revision that fails
 * validation (SQLite); PostgreSQL restarted mid-run (PostgreSQL). Replicas
 * and a killed leader are in replicas.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { commit, devEnv, enrollAgent, sharedPostgres, skipPostgres, startFleet, targetsOf, waitFor, type Fleet, type TestAgent } from '../support/fleet.js';
import type { Report } from '../../src/controller/api.js';

const bin = join(ROOT, 'bin', 'claude-env.js');

/** The built CLI as its own process, awaited (the controller in this process keeps answering meanwhile). */
function claudeEnv(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

async function agents(fleet: Fleet, n: number): Promise<TestAgent[]> {
  const targets = await targetsOf(fleet.repo, 'development');
  const enrollToken = await fleet.token('enroll', 'development');
  const out: TestAgent[] = [];
  for (let i = 0; i < n; i++) {
    const t = targets[i % targets.length]!;
    const a = await enrollAgent(fleet, join(fleet.root, `m${i}`), { enrollToken, user: t.user!, team: t.team!, ...(t.project ? { project: t.project } : {}) });
    const r = await a.agent({ once: true }).run();
    assert.equal(r.applied?.result, 'ok');
    out.push(a);
  }
  return out;
}

/** A hand edit of a managed value in the home's settings.json: drift. */
function handEdit(a: TestAgent, n: number): void {
  const file = join(a.home, '.claude', 'settings.json');
  const s = JSON.parse(readFileSync(file, 'utf8')) as { env?: Record<string, string>; model?: string };
  s.model = `edited-${n}`;
  // A second edit drifts another value too: a new drift summary, so a new report.
  if (n >= 100) s.env = { ...s.env, DEPLOY_ENVIRONMENT: `edited-${n}` };
  writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
}

/** Each machine's reports in the store are its sequence numbers 1..last, each once. */
async function reportsOnce(fleet: Fleet, a: TestAgent): Promise<number[]> {
  const seqs = (await fleet.store.reports(a.machineId, 10_000)).map((r) => r.seq).sort((x, y) => x - y);
  const state = JSON.parse(readFileSync(join(a.stateDir, 'agent', 'state.json'), 'utf8')) as { seq: number };
  assert.deepEqual(seqs, Array.from({ length: state.seq }, (_, i) => i + 1), `${a.machineId}: every report stored once`);
  return seqs;
}

const pending = (a: TestAgent): Promise<Report[]> => import('../../src/agent/store.js').then(({ AgentFiles }) => new AgentFiles(a.stateDir).pending());

describe('the fleet under faults (SQLite)', () => {
  it('keeps reports while the controller is down and stores each once when it is back', { timeout: 120_000 }, async () => {
    const fleet = await startFleet({ db: 'sqlite' });
    const stop = new AbortController();
    const loops: Array<Promise<unknown>> = [];
    try {
      const list = await agents(fleet, 5);
      await fleet.controller.close();
      for (const a of list) loops.push(a.agent({ intervalMs: 100, signal: stop.signal }).run());
      // Drift happens while nobody can be told: each agent keeps its report.
      list.forEach((a, i) => handEdit(a, i));
      await waitFor(async () => (await Promise.all(list.map(pending))).every((p) => p.length >= 1), 20_000, 'every agent to keep a drift report');
      list.forEach((a, i) => handEdit(a, i + 100));
      await waitFor(async () => (await Promise.all(list.map(pending))).every((p) => p.length >= 2), 20_000, 'a second report kept');

      await fleet.restart();
      await waitFor(async () => (await Promise.all(list.map(pending))).every((p) => p.length === 0), 30_000, 'every kept report delivered');
      for (const a of list) {
        const seqs = await reportsOnce(fleet, a);
        assert.ok(seqs.length >= 3, 'the first apply and two drift reports');
        const m = await fleet.store.machine(a.machineId);
        assert.equal(m?.state, 'drifted');
        assert.ok((m?.drift ?? '').includes('settings.model') || (m?.drift ?? '').includes('model'), m?.drift ?? '');
      }
      // A retry of a report the controller has is stored once more: no.
      const a = list[0]!;
      const cfg = JSON.parse(readFileSync(join(a.stateDir, 'agent.json'), 'utf8')) as { token: string };
      const last = (await fleet.store.reports(a.machineId, 1))[0]!;
      const retry = await fetch(`${fleet.controller.url}/api/v1/machines/${a.machineId}/reports`, { method: 'POST', headers: { Authorization: `Bearer ${cfg.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ seq: last.seq, revision: last.revision, result: last.result, at: last.made_at }) });
      assert.equal(retry.status, 200);
      assert.deepEqual(await retry.json(), { seq: last.seq, stored: false });
      await reportsOnce(fleet, a);
    } finally {
      stop.abort();
      await Promise.allSettled(loops);
      await fleet.close();
    }
  });

  it('leaves the home of an agent killed mid-apply wholly old or wholly new, and the agent reports the truth next time', { timeout: 180_000 }, async () => {
    const fleet = await startFleet({ db: 'sqlite' });
    try {
      const points = [2, 6, 12, 20];
      const list = await agents(fleet, points.length);
      const home = (a: TestAgent): string => readFileSync(join(a.home, '.claude', 'settings.json'), 'utf8');
      const old = list.map(home);
      const rev1 = (await fleet.store.environments()).find((e) => e.name === 'development')!.revision!;
      const rev2 = commit(fleet.repo, 'environments/development/config.yml', devEnv('CRASH_TEST', 'two'));
      await fleet.controller.controller.pollOnce();
      assert.equal((await fleet.store.environments()).find((e) => e.name === 'development')!.revision, rev2);
      let killed = 0;
      for (const [i, a] of list.entries()) {
        const run = (extra: NodeJS.ProcessEnv) => claudeEnv(['agent', '--once', '--json', '--home', a.home], { ...a.env, ...extra });
        const crashed = await run({ CLAUDE_ENV_CRASH_AT: String(points[i]) });
        if (crashed.signal === 'SIGKILL') killed++;
        // The next claude-env command finishes or undoes the interrupted switch: wholly old or wholly new.
        assert.equal((await claudeEnv(['rollback', '--list', '--home', a.home], a.env)).status, 0);
        const now = home(a);
        const wholly = now === old[i] ? 'old' : now.includes('CRASH_TEST') && JSON.parse(now).env?.CRASH_TEST === 'two' ? 'new' : 'mixed';
        assert.notEqual(wholly, 'mixed', `crash at ${points[i]}`);
        // The controller was told nothing by the killed run; the machine is still being brought to rev2.
        const before = await fleet.store.machine(a.machineId);
        assert.equal(before?.assigned_revision, rev2, `crash at ${points[i]}: assigned (rev1 ${rev1}); the agent said ${crashed.stdout}${crashed.stderr}`);
        if (crashed.signal === 'SIGKILL') assert.equal(before?.applied_revision, rev1, `crash at ${points[i]}: applied`);
        // The next run applies and reports what the machine really holds.
        const next = await run({});
        assert.equal(next.status, 0, next.stderr);
        assert.equal(JSON.parse(next.stdout).revision, rev2);
        await waitFor(async () => (await fleet.store.machine(a.machineId))?.applied_revision === rev2, 5000, 'the report');
        const m = (await fleet.store.machine(a.machineId))!;
        assert.equal(m.state, 'in_sync');
        assert.equal(JSON.parse(home(a)).env?.CRASH_TEST, 'two');
        await reportsOnce(fleet, a);
      }
      assert.ok(killed >= 2, `the crash points fall inside the apply (${killed} of ${points.length} killed)`);
    } finally {
      await fleet.close();
    }
  });

  it('runs one agent at a time on a machine: a second one is refused while the first waits on its long poll', { timeout: 60_000 }, async () => {
    const fleet = await startFleet({ db: 'sqlite' });
    const stop = new AbortController();
    try {
      const [a] = await agents(fleet, 1);
      const first = a!.agent({ intervalMs: 60_000, signal: stop.signal }).run();
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(a!.agent({ once: true }).run(), (err: Error & { code?: string }) => err.code === 'lock-held' && /another agent runs on this machine/.test(err.message));
      stop.abort();
      await first;
      // Once the first has stopped, the next one runs.
      assert.equal((await a!.agent({ once: true }).run()).applied, undefined);
    } finally {
      stop.abort();
      await fleet.close();
    }
  });

  it('never assigns a revision that fails validation, and records sync.failed with where it fails', { timeout: 60_000 }, async () => {
    const fleet = await startFleet({ db: 'sqlite' });
    try {
      const [a] = await agents(fleet, 1);
      const good = (await fleet.store.environments()).find((e) => e.name === 'development')!.revision!;
      const bad = commit(fleet.repo, 'environments/development/config.yml', (s) => `${s}\nsettings: [oops\n`);
      await fleet.controller.controller.pollOnce();
      for (const e of await fleet.store.environments()) assert.equal(e.revision, good, `${e.name} keeps the last good revision`);
      const syncs = await fetch(`${fleet.controller.url}/api/v1/syncs`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
      const body = (await syncs.json()) as { syncs: Array<{ revision: string; status: string; findings: string[] }> };
      const failed = body.syncs.find((s) => s.revision === bad)!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.findings.join('\n'), /environments\/development\/config\.yml:\d+:\d+/);
      const events = (await fleet.store.events({ type: 'sync.failed' })).map((e) => JSON.parse(e.detail!) as { revision: string });
      assert.deepEqual(events.map((e) => e.revision), [bad]);
      assert.match(await (await fetch(`${fleet.controller.url}/metrics`)).text(), /^config_sync_failure_total 1$/m);
      // The agent holds the good revision and gets nothing new.
      const r = await a!.agent({ once: true }).run();
      assert.equal(r.applied, undefined);
      assert.equal(r.revision, good);
      // Polling again does not try the bad revision again.
      await fleet.controller.controller.pollOnce();
      assert.equal((await fleet.store.syncs(100)).filter((s) => s.revision === bad).length, 1);
    } finally {
      await fleet.close();
    }
  });
});

describe('the fleet under faults (PostgreSQL)', { skip: skipPostgres() }, () => {
  it('rides out a PostgreSQL restart mid-run: reports kept and stored once, the lead taken again, the next commit reaches every agent', { timeout: 180_000 }, async () => {
    const fleet = await startFleet({ db: 'postgres' });
    const stop = new AbortController();
    const loops: Array<Promise<unknown>> = [];
    try {
      const list = await agents(fleet, 5);
      for (const a of list) loops.push(a.agent({ intervalMs: 200, signal: stop.signal }).run());
      const pg = await sharedPostgres();
      await pg.stop();
      list.forEach((a, i) => handEdit(a, i));
      await waitFor(async () => (await Promise.all(list.map(pending))).every((p) => p.length >= 1), 20_000, 'reports kept while the database is down');
      assert.equal(fleet.controller.controller.leading(), false, 'the lead is lost with the database');
      await pg.start();
      await waitFor(() => fleet.controller.controller.leading(), 20_000, 'the lead taken again');
      await waitFor(async () => (await Promise.all(list.map(pending))).every((p) => p.length === 0), 30_000, 'kept reports delivered');
      for (const a of list) await reportsOnce(fleet, a);
      // A commit after the restart reaches everyone through the long poll.
      const head = commit(fleet.repo, 'environments/development/config.yml', devEnv('AFTER_RESTART', 'yes'));
      fleet.controller.controller.pollSoon();
      await waitFor(async () => {
        const ms = await Promise.all(list.map((a) => fleet.store.machine(a.machineId)));
        return ms.every((m) => m?.applied_revision === head);
      }, 60_000, 'every agent at the new revision');
      for (const a of list) await reportsOnce(fleet, a);
    } finally {
      stop.abort();
      await Promise.allSettled(loops);
      await fleet.close();
    }
  });
});
