/**
 * Rollouts end to end, on SQLite and on PostgreSQL: a controller on
 * 127.0.0.1 tracking the seed repo, 50 production agents and 12 staging
 * agents in process (real HTTP, each in its own home, waiting on long
 * polls), the `rollout` command as a user runs it, and a webhook receiver
 * for the events.
 *
 * production (the seed's policy, with a short pause): canary 10 → 50 → 100 %
 * behind an approval by two of team_lead / security_reviewer, where the
 * commit's author and a developer are refused; a revision whose apply fails
 * on the canary's machines trips the gate and everything is back on the old
 * revision, `rollout.failed` sent; pause, resume, abort and a manual
 * rollback, each seen in the homes. staging: blue-green, every machine
 * stages beside its active revision, and the switch, then its rollback,
 * reach every machine within one long-poll round.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { startReceiver } from '../support/receiver.js';
import { commit, enrollAgent, git, skipPostgres, startFleet, targetsOf, waitFor, type DbKind, type Fleet, type TestAgent } from '../support/fleet.js';
import type { FleetStatus, RolloutView } from '../../src/controller/api.js';

const PRODUCTION = 50;
const STAGING = 12;
const HOOK_KEY = 'rollout-hook-key-3f9c1b';
const ERIN = { name: 'erin', email: 'erin@example.com' };
const USER_FILE = '# my own deploy checklist\n- check the dashboards\n';

/** settings.env.ROLLOUT_MARK of an environment's config.yml: set, or changed. */
function mark(env: string, value: string): (text: string) => string {
  return (text) => {
    if (/^    ROLLOUT_MARK: /m.test(text)) return text.replace(/^    ROLLOUT_MARK: .*$/m, `    ROLLOUT_MARK: "${value}"`);
    const out = text.replace(new RegExp(`^(    DEPLOY_ENVIRONMENT: ${env}\\n)`, 'm'), `$1    ROLLOUT_MARK: "${value}"\n`);
    if (out === text) throw new Error(`environments/${env}/config.yml has no DEPLOY_ENVIRONMENT line`);
    return out;
  };
}

/** The mark in the home's ~/.claude/settings.json (what Claude Code reads). */
function markIn(a: TestAgent): string | undefined {
  const file = join(a.home, '.claude', 'settings.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { env?: Record<string, string> }).env?.['ROLLOUT_MARK'];
}

for (const db of ['sqlite', 'postgres'] as DbKind[]) {
  describe(`rollouts on ${db}`, { skip: db === 'postgres' ? skipPostgres() : undefined }, () => {
    it('canary with approvals, a tripped gate, pause, resume, abort and rollback in production; blue-green in staging', { timeout: 300_000 }, async (t) => {
      const hook = await startReceiver();
      const fleet: Fleet = await startFleet({
        db,
        serve: { env: { PATH: process.env['PATH'], HOOK_KEY }, rolloutTickMs: 100 },
        prepare: (repo) => {
          commit(repo, 'claude-env.yml', (s) =>
            s
              .replace('    pause: 10m\n', '    pause: 3s\n')
              .replace('  staging: { strategy: staged }', '  staging: { strategy: blue-green, approval: { roles: [team_lead], count: 1 } }')
              .replace('notifications:\n', `notifications:\n  - { type: webhook, url: "${hook.url}", secret: !secret env:HOOK_KEY, on: ["*"] }\n`),
          );
        },
      });
      const stop = new AbortController();
      const loops: Array<Promise<unknown>> = [];
      const ctl = fleet.controller.controller;
      const tokens = new Map<string, string>();
      const tokenOf = async (user: string): Promise<string> => tokens.get(user) ?? (tokens.set(user, await fleet.token('user', user)), tokens.get(user)!);
      const rollout = async (verb: string, env: string, user: string) => {
        const r = await cli(['rollout', verb, env, '--json', '--controller', fleet.controller.url, '--token', await tokenOf(user)], { cwd: fleet.root });
        return { code: r.code, stderr: r.stderr, view: r.code === 0 || (verb === 'status' && r.stdout) ? (JSON.parse(r.stdout) as RolloutView) : undefined };
      };
      const view = async (env: string): Promise<RolloutView> => {
        const res = await fetch(`${fleet.controller.url}/api/v1/rollouts/${env}`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
        assert.equal(res.status, 200);
        return (await res.json()) as RolloutView;
      };
      const machines = async (env: string): Promise<FleetStatus['machines']> => {
        const res = await fetch(`${fleet.controller.url}/api/v1/fleet/status?env=${env}`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
        return ((await res.json()) as FleetStatus).machines;
      };
      const events = async (type: string): Promise<Array<{ environment: string; detail: Record<string, unknown> }>> => {
        const res = await fetch(`${fleet.controller.url}/api/v1/events?type=${type}`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
        return ((await res.json()) as { events: Array<{ environment: string; detail: Record<string, unknown> }> }).events;
      };
      const allHold = async (env: string, revision: string, agents: readonly TestAgent[], value: string): Promise<boolean> =>
        (await machines(env)).filter((m) => m.revision === revision).length === agents.length && agents.every((a) => markIn(a) === value);
      try {
        // Machines: 50 in production, 12 in staging, enrolled through the API as `agent enroll` does.
        const enrollIn = async (env: string, n: number): Promise<TestAgent[]> => {
          const targets = await targetsOf(fleet.repo, env);
          const token = await fleet.token('enroll', env);
          const out: TestAgent[] = [];
          for (let i = 0; i < n; i++) {
            const tg = targets[i % targets.length]!;
            out.push(await enrollAgent(fleet, join(fleet.root, `${env}-${i}`), { enrollToken: token, user: tg.user!, team: tg.team!, ...(tg.project ? { project: tg.project } : {}) }));
          }
          return out;
        };
        const prod = await enrollIn('production', PRODUCTION);
        const staging = await enrollIn('staging', STAGING);
        const seed = (await fleet.store.environments()).find((e) => e.name === 'production')!.revision!;
        // The first revision an environment gets goes everywhere at once (nothing to be careful against).
        assert.equal((await view('production')).phase, 'completed');
        for (const a of [...prod, ...staging]) {
          const r = await a.agent({ once: true }).run();
          assert.equal(r.applied?.result, 'ok', `${a.machineId}: ${r.applied?.error_code}`);
          assert.equal(r.revision, seed);
        }
        for (const a of [...prod, ...staging]) loops.push(a.agent({ intervalMs: 60_000, signal: stop.signal }).run());

        // --- canary 10 → 50 → 100 behind two approvals ---
        const a = commit(fleet.repo, 'environments/production/config.yml', mark('production', 'a'), 'production: mark a', ERIN);
        await ctl.pollOnce();
        let v = await view('production');
        assert.deepEqual([v.strategy, v.revision, v.previous_revision, v.author, v.steps], ['canary', a, seed, 'erin', [10, 50, 100]]);
        // staging's machines get the same files at a as before: nothing to prove, it goes to them at once.
        const sv = await view('staging');
        assert.deepEqual([sv.revision, sv.strategy, sv.phase], [a, 'immediate', 'completed']);
        await waitFor(async () => (v = await view('production')).phase === 'awaiting-approval', 30_000, 'the canary step to pass its gate and ask for approval');
        assert.deepEqual(v.step, { index: 0, percent: 10 });
        assert.deepEqual(v.approvals, { needed: 2, have: 0, missing: 2 });
        // Only the canary's machines hold the new revision: about a tenth, never more while approval waits.
        // The gate decided on its first report; the step's other machines report as their applies end.
        let canary: TestAgent[] = [];
        await waitFor(async () => (canary = prod.filter((x) => markIn(x) === 'a')).length >= 5 && canary.length === (await view('production')).machines.updated, 30_000, 'the canary\'s reports');
        assert.ok(canary.length >= 5 && canary.length <= 15, `${canary.length} machines in the 10 % step`);
        assert.ok(prod.filter((x) => markIn(x) !== 'a').every((x) => markIn(x) === undefined), 'the others still hold the seed revision');

        const byAuthor = await rollout('approve', 'production', 'erin');
        assert.equal(byAuthor.code, 1);
        assert.match(byAuthor.stderr, /erin is the author of the change and cannot approve it/);
        const byDeveloper = await rollout('approve', 'production', 'frank');
        assert.equal(byDeveloper.code, 1);
        assert.match(byDeveloper.stderr, /frank needs one of the roles team_lead, security_reviewer to approve/);
        const first = await rollout('approve', 'production', 'heidi');
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual([first.view!.phase, first.view!.approvals], ['awaiting-approval', { needed: 2, have: 1, missing: 1 }]);
        const text = await cli(['rollout', 'status', 'production', '--controller', fleet.controller.url, '--token', await tokenOf('judy')], { cwd: fleet.root });
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, new RegExp(`production: canary rollout of ${a.slice(0, 7)} \\(from ${seed.slice(0, 7)}\\) — awaiting-approval`));
        assert.match(text.stdout, /step 1 of 3 \(10%\); steps 10% → 50% → 100%/);
        assert.match(text.stdout, /approvals: 1 of 2 \(heidi\), 1 missing/);
        assert.match(text.stdout, /author: erin/);
        const second = await rollout('approve', 'production', 'ivan');
        assert.equal(second.code, 0, second.stderr);
        assert.deepEqual(second.view!.approved_by, ['heidi', 'ivan']);
        await waitFor(async () => (await view('production')).step.index >= 1, 10_000, 'the 50 % step');
        await waitFor(async () => (v = await view('production')).phase === 'completed', 60_000, 'the canary to complete');
        await waitFor(() => allHold('production', a, prod, 'a'), 30_000, 'every production home to hold mark a');
        const steps = (await events('rollout.step')).filter((e) => e.environment === 'production' && e.detail['revision'] === a).map((e) => e.detail['percent']);
        assert.deepEqual(steps.sort((x, y) => Number(x) - Number(y)), [10, 50, 100]);
        const audit = (await fleet.store.auditLog(500)).filter((e) => e.action.startsWith('rollout.approve')).map((e) => `${e.action} ${e.actor}`);
        assert.deepEqual(audit.sort(), ['rollout.approve user:heidi', 'rollout.approve user:ivan', 'rollout.approve.refused user:erin', 'rollout.approve.refused user:frank']);

        // --- a revision whose apply fails on the canary's machines: the gate trips, all back on a ---
        for (const x of prod) {
          mkdirSync(join(x.home, '.claude', 'commands'), { recursive: true });
          writeFileSync(join(x.home, '.claude', 'commands', 'deploy-check.md'), USER_FILE);
        }
        const b = commit(fleet.repo, 'environments/production/files/commands/deploy-check.md', () => '# deploy check\nRun the smoke tests first.\n', 'production: a deploy-check command');
        commit(fleet.repo, 'environments/production/config.yml', mark('production', 'b'), 'production: mark b');
        const bHead = git(fleet.repo, ['rev-parse', 'HEAD']);
        assert.notEqual(b, bHead);
        await ctl.pollOnce();
        await waitFor(async () => (v = await view('production')).phase === 'failed', 30_000, 'the gate to trip');
        assert.equal(v.reason, 'gate-failed');
        assert.equal(v.step.index, 0, 'it never went past the canary');
        const statusCli = await rollout('status', 'production', 'judy');
        assert.equal(statusCli.code, 1, 'rollout status exits 1 on a failed rollout');
        await waitFor(() => allHold('production', a, prod, 'a'), 30_000, 'every production machine back on a');
        for (const x of prod) assert.equal(readFileSync(join(x.home, '.claude', 'commands', 'deploy-check.md'), 'utf8'), USER_FILE, 'the user\'s file is kept');
        await waitFor(() => hook.got.some((g) => g.headers['x-claude-env-event'] === 'rollout.failed'), 15_000, 'rollout.failed at the webhook');
        const failed = hook.got.find((g) => g.headers['x-claude-env-event'] === 'rollout.failed')!;
        assert.equal(failed.headers['x-signature'], `sha256=${createHmac('sha256', HOOK_KEY).update(failed.body).digest('hex')}`);
        assert.match(failed.body, new RegExp(bHead));
        for (const x of prod) rmSync(join(x.home, '.claude', 'commands', 'deploy-check.md'));

        // --- pause, resume, abort ---
        const c = commit(fleet.repo, 'environments/production/config.yml', mark('production', 'c'), 'production: mark c', ERIN);
        await ctl.pollOnce();
        const paused = await rollout('pause', 'production', 'judy');
        assert.equal(paused.code, 0, paused.stderr);
        assert.equal(paused.view!.phase, 'paused');
        await new Promise((r) => setTimeout(r, 4_000));
        v = await view('production');
        assert.deepEqual([v.revision, v.phase, v.step.index], [c, 'paused', 0], 'nothing moves while paused (the pause is 3 s)');
        assert.equal((await rollout('pause', 'production', 'frank')).code, 1, 'a developer may not drive a rollout');
        assert.equal((await rollout('resume', 'production', 'judy')).view!.phase, 'progressing');
        await waitFor(async () => (await view('production')).phase === 'awaiting-approval', 30_000, 'approval after resume');
        await rollout('approve', 'production', 'heidi');
        await rollout('approve', 'production', 'liam');
        await waitFor(async () => (await view('production')).step.index === 1, 10_000, 'the 50 % step of c');
        await waitFor(async () => prod.filter((x) => markIn(x) === 'c').length >= PRODUCTION * 0.4, 30_000, 'about half the machines on c');
        const aborted = await rollout('abort', 'production', 'judy');
        assert.equal(aborted.code, 0, aborted.stderr);
        assert.deepEqual([aborted.view!.phase, aborted.view!.reason], ['aborted', 'aborted']);
        await waitFor(() => allHold('production', a, prod, 'a'), 30_000, 'every production machine back on a after the abort');

        // --- a completed rollout rolled back by hand ---
        const d = commit(fleet.repo, 'environments/production/config.yml', mark('production', 'd'), 'production: mark d', ERIN);
        await ctl.pollOnce();
        await waitFor(async () => (await view('production')).phase === 'awaiting-approval', 30_000, 'approval of d');
        await rollout('approve', 'production', 'nina');
        await rollout('approve', 'production', 'liam');
        await waitFor(async () => (await view('production')).phase === 'completed', 60_000, 'd to complete');
        await waitFor(() => allHold('production', d, prod, 'd'), 30_000, 'every production home on d');
        const back = await rollout('rollback', 'production', 'judy');
        assert.equal(back.code, 0, back.stderr);
        assert.deepEqual([back.view!.phase, back.view!.previous_revision], ['rolled-back', a]);
        await waitFor(() => allHold('production', a, prod, 'a'), 30_000, 'every production machine back on a after the rollback');
        assert.ok((await events('rollout.rolled-back')).some((e) => e.detail['revision'] === d && e.detail['by'] === 'judy'));

        // --- blue-green in staging: stage everywhere, switch all at once, and back ---
        const e = commit(fleet.repo, 'environments/staging/config.yml', mark('staging', 'e'), 'staging: mark e');
        await ctl.pollOnce();
        await waitFor(async () => (v = await view('staging')).phase === 'awaiting-approval' && v.staged === STAGING, 30_000, 'every staging machine to stage e');
        assert.equal(v.switched, false);
        assert.ok(staging.every((x) => markIn(x) === undefined), 'staged beside, not applied');
        assert.equal((await machines('staging')).filter((m) => m.revision === e).length, 0);
        await rollout('approve', 'staging', 'ivan');
        const switchedAt = Date.now();
        await waitFor(() => allHold('staging', e, staging, 'e'), 30_000, 'every staging machine switched to e');
        const switchMs = Date.now() - switchedAt;
        // Agents check in every 60 s: all of them within a few seconds is the long poll's one round.
        assert.ok(switchMs < 15_000, `the switch reached ${STAGING} machines in ${switchMs} ms`);
        await waitFor(async () => (await view('staging')).phase === 'completed', 30_000, 'the blue-green rollout to complete');
        const undo = await rollout('rollback', 'staging', 'judy');
        assert.equal(undo.code, 0, undo.stderr);
        const undoAt = Date.now();
        const stagingSeed = undo.view!.previous_revision!;
        await waitFor(async () => (await machines('staging')).every((m) => m.revision === stagingSeed) && staging.every((x) => markIn(x) === undefined), 30_000, 'every staging machine back');
        const undoMs = Date.now() - undoAt;
        assert.ok(undoMs < 15_000, `the rollback reached ${STAGING} machines in ${undoMs} ms`);
        t.diagnostic(`blue-green: switch reached ${STAGING} machines in ${switchMs} ms, its rollback in ${undoMs} ms`);

        // No event or API answer holds the webhook's key.
        for (const g of hook.got) assert.ok(!g.body.includes(HOOK_KEY));
      } finally {
        stop.abort();
        await Promise.allSettled(loops);
        await fleet.close();
        await hook.close();
      }
    });
  });
}
