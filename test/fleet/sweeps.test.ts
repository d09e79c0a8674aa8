/**
 * Scheduled drift sweeps through the fleet: the controller's scheduler runs
 * on a clock moved by hand, on the seed's crons; each sweep reaches the
 * agents through their long polls; each agent runs drift with the MCP
 * servers checked, fixes the critical items within the sweep's limit and
 * reports the rest, which `fleet sweeps` shows per environment and which
 * become events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { memoryServerCommand } from '../support/claude.js';
import { manualClock } from '../support/clock.js';
import { commit, enrollAgent, startFleet, targetsOf, waitFor, type TestAgent } from '../support/fleet.js';
import type { SweepView } from '../../src/controller/api.js';

const AGENTS = 6;

interface Settings {
  model?: string;
  permissions?: { deny?: string[] };
}

const settingsOf = (a: TestAgent): Settings => JSON.parse(readFileSync(join(a.home, '.claude', 'settings.json'), 'utf8')) as Settings;

describe('drift sweeps on the seed schedules', () => {
  it('fire at the crons\' times on a clock moved by hand; agents fix critical drift and report the rest', { timeout: 180_000 }, async (t) => {
    // Friday 2026-12-04, 17:30 UTC: the next sweeps are 18:00 (working hours), then Saturday 00:00 and 06:00 (weekend).
    const clock = manualClock('2026-12-04T17:30:00Z');
    const memory = memoryServerCommand();
    const fleet = await startFleet({
      db: 'sqlite',
      serve: { sweepClock: clock },
      prepare: (repo) => {
        // The servers a sweep checks: memory from the installed package (up), docs on a closed port (down), no npx.
        commit(repo, 'base/mcp/memory.yml', (s) => s.replace(/^command: .*\nargs: .*$/m, `command: ${JSON.stringify(memory.command)}\nargs: ${JSON.stringify(memory.args)}`));
        commit(repo, 'base/mcp/docs.yml', (s) => s.replace(/^url: .*$/m, 'url: http://127.0.0.1:9/mcp'));
        commit(repo, 'environments/development/mcp-servers.yml', (s) => s.replace('  enabled: true ', '  enabled: false'));
      },
    });
    const stop = new AbortController();
    const loops: Array<Promise<unknown>> = [];
    try {
      const ctl = fleet.controller.controller;
      assert.equal(ctl.nextSweep()?.toISOString(), '2026-12-04T18:00:00.000Z');
      const targets = await targetsOf(fleet.repo, 'development');
      const token = await fleet.token('enroll', 'development');
      const agents: TestAgent[] = [];
      for (let i = 0; i < AGENTS; i++) {
        const tg = targets[i % targets.length]!;
        const a = await enrollAgent(fleet, join(fleet.root, `m${i}`), { enrollToken: token, user: tg.user!, team: tg.team!, ...(tg.project ? { project: tg.project } : {}) });
        assert.equal((await a.agent({ once: true }).run()).applied?.result, 'ok');
        agents.push(a);
      }
      // Drift made by hand on every machine: a deny rule dropped (critical), the model changed (medium).
      const wanted = agents.map(settingsOf);
      for (const a of agents) {
        const s = settingsOf(a);
        const deny = s.permissions!.deny!;
        s.permissions!.deny = deny.slice(1);
        s.model = 'claude-opus-by-hand';
        writeFileSync(join(a.home, '.claude', 'settings.json'), `${JSON.stringify(s, null, 2)}\n`);
      }
      for (const a of agents) loops.push(a.agent({ intervalMs: 600_000, signal: stop.signal }).run());

      const sweeps = async (): Promise<SweepView[]> => {
        const r = await cli(['fleet', 'sweeps', '--env', 'development', '--json', '--controller', fleet.controller.url, '--token', fleet.admin], { cwd: fleet.root });
        assert.equal(r.code, 0, r.stderr);
        return (JSON.parse(r.stdout) as { sweeps: SweepView[] }).sweeps;
      };
      assert.deepEqual(await sweeps(), []);

      // 18:00 on a Friday: the working-hours cron fires once; 20:00 does not (08–18 every 2 h).
      await clock.advanceTo('2026-12-04T18:00:00Z');
      await waitFor(async () => (await sweeps())[0]?.reported === AGENTS, 60_000, 'every agent to answer the 18:00 sweep');
      const [first] = await sweeps();
      assert.equal(first!.at, '2026-12-04T18:00:00.000Z');
      assert.deepEqual(
        { machines: first!.machines, reported: first!.reported, drifted: first!.drifted, fixed: first!.fixed, manual: first!.manual, mcp_down: first!.mcp_down, risk: first!.risk_level },
        { machines: AGENTS, reported: AGENTS, drifted: AGENTS, fixed: AGENTS, manual: 2 * AGENTS, mcp_down: AGENTS, risk: 'high' },
      );
      // On disk: the deny rule is back (critical: fixed), the model is still the person's (medium: reported, not touched).
      agents.forEach((a, i) => {
        const s = settingsOf(a);
        assert.deepEqual(s.permissions!.deny, wanted[i]!.permissions!.deny);
        assert.equal(s.model, 'claude-opus-by-hand');
      });
      assert.equal(ctl.nextSweep()?.toISOString(), '2026-12-05T00:00:00.000Z', 'nothing more on Friday evening');

      // Saturday: every six hours. The second sweep finds nothing critical left; the rest is reported again.
      await clock.advanceTo('2026-12-05T00:00:00Z');
      await waitFor(async () => (await sweeps()).length === 2 && (await sweeps())[0]!.reported === AGENTS, 60_000, 'every agent to answer the 00:00 sweep');
      const [second] = await sweeps();
      assert.deepEqual([second!.at, second!.fixed, second!.manual, second!.drifted], ['2026-12-05T00:00:00.000Z', 0, 2 * AGENTS, AGENTS]);
      assert.equal(ctl.nextSweep()?.toISOString(), '2026-12-05T06:00:00.000Z');

      // What a person must look at became events; the fleet shows the machines drifted, never a value.
      const events = async (type: string): Promise<number> => {
        const res = await fetch(`${fleet.controller.url}/api/v1/events?type=${type}`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
        return ((await res.json()) as { events: unknown[] }).events.length;
      };
      assert.equal(await events('mcp.down'), 2 * AGENTS);
      assert.equal(await events('drift.high'), 2 * AGENTS);
      assert.equal(await events('drift.critical'), 0, 'the critical item was fixed, not left to a person');
      const status = await cli(['fleet', 'status', '--json', '--controller', fleet.controller.url, '--token', fleet.admin], { cwd: fleet.root });
      assert.equal((JSON.parse(status.stdout) as { environments: Array<{ name: string; states: { drifted: number } }> }).environments.find((e) => e.name === 'development')!.states.drifted, AGENTS);
      assert.ok(!status.stdout.includes('claude-opus-by-hand') && !status.stdout.includes('docs-token-for-tests'));
      const text = await cli(['fleet', 'sweeps', '--controller', fleet.controller.url, '--token', fleet.admin], { cwd: fleet.root });
      assert.match(text.stdout, /development\s+2026-12-05T00:00:00\s+6\/6\s+6\s+0\s+12\s+6\s+high/);
      t.diagnostic(text.stdout.trim());
    } finally {
      stop.abort();
      await Promise.allSettled(loops);
      await fleet.close();
    }
  });
});
