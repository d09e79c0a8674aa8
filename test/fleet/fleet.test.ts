/**
 * The fleet end to end, on SQLite and on a throwaway PostgreSQL cluster: a
 * controller on 127.0.0.1, 50 agents in process (real HTTP, each in its own
 * sandbox home), a commit, and every home holding what `render --outputs`
 * gives for its target, with `fleet status` showing them all in sync.
 */
import { findClaudeBin } from '../support/claude.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { commit, devEnv, enrollAgent, skipPostgres, startFleet, targetsOf, waitFor, type DbKind, type TestAgent } from '../support/fleet.js';
import type { FleetStatus } from '../../src/controller/api.js';
import type { Target } from '../../src/vocabulary.js';

const AGENTS = 50;
const WEBHOOK_SECRET = 'webhook-secret-for-tests';

/** What `render --outputs` gives for the target at the revision, secrets as this machine resolves them. */
async function rendered(repo: string, rev: string, t: Target, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const args = ['render', '--outputs', '--json', '--repo', repo, '--rev', rev, '--env', t.env, '--team', t.team!, '--user', t.user!, ...(t.project ? ['--project', t.project] : [])];
  const r = await cli(args, { cwd: repo });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, string>;
  for (const k of Object.keys(out)) out[k] = out[k]!.replaceAll('«secret:env:DOCS_MCP_TOKEN»', env['DOCS_MCP_TOKEN']!);
  return out;
}

function homeHolds(a: TestAgent, files: Record<string, string>): string[] {
  const wrong: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    let got: string | undefined;
    try {
      got = readFileSync(join(a.home, path), 'utf8');
    } catch {
      got = undefined;
    }
    if (got !== text) wrong.push(`${a.machineId}: ${path} ${got === undefined ? 'missing' : 'differs'}`);
  }
  return wrong;
}

async function pool<T>(items: readonly T[], n: number, each: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await each(items[i]!, i);
    }
  }));
}

for (const db of ['sqlite', 'postgres'] as DbKind[]) {
  describe(`a fleet on ${db}`, { skip: db === 'postgres' ? skipPostgres() : undefined }, () => {
    it(`brings a commit to ${AGENTS} agents within seconds: every home holds render --outputs of its target, and fleet status shows all in sync at the new revision`, { timeout: 240_000 }, async (t) => {
      const fleet = await startFleet({ db, serve: { webhookSecret: WEBHOOK_SECRET } });
      const loops: Array<Promise<unknown>> = [];
      const stop = new AbortController();
      try {
        const targets = await targetsOf(fleet.repo, 'development');
        assert.ok(targets.length >= 10, 'the seed has development targets');
        const enrollToken = await fleet.token('enroll', 'development');
        const agents: TestAgent[] = [];
        for (let i = 0; i < AGENTS; i++) {
          const t = targets[i % targets.length]!;
          agents.push(await enrollAgent(fleet, join(fleet.root, `m${i}`), { enrollToken, user: t.user!, team: t.team!, ...(t.project ? { project: t.project } : {}) }));
        }
        // Each applies the first revision once (agent --once).
        const first = (await fleet.controller.controller.store.environments()).find((e) => e.name === 'development')!.revision!;
        await pool(agents, 8, async (a) => {
          const r = await a.agent({ once: true }).run();
          assert.equal(r.applied?.result, 'ok', `${a.machineId}: ${r.applied?.error_code}`);
          assert.equal(r.revision, first);
        });
        // Then they wait on the long poll.
        for (const a of agents) loops.push(a.agent({ intervalMs: 60_000, signal: stop.signal }).run());
        await new Promise((r) => setTimeout(r, 300));

        // A commit, announced by GitHub's webhook.
        const head = commit(fleet.repo, 'environments/development/config.yml', devEnv('FLEET_TEST', 'on'));
        const body = JSON.stringify({ ref: 'refs/heads/main', after: head });
        const sig = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
        const started = Date.now();
        const hook = await fetch(`${fleet.controller.url}/api/v1/hooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sig, 'X-GitHub-Event': 'push' }, body });
        assert.equal(hook.status, 202);

        const status = async (): Promise<FleetStatus> => {
          const r = await cli(['fleet', 'status', '--json', '--controller', fleet.controller.url, '--token', fleet.admin], { cwd: fleet.root });
          assert.equal(r.code, 0, r.stderr);
          return JSON.parse(r.stdout) as FleetStatus;
        };
        await waitFor(async () => {
          const s = await status();
          const dev = s.environments.find((e) => e.name === 'development');
          return dev?.revision === head && dev.states.in_sync === AGENTS;
        }, 60_000, 'every agent in sync at the new revision');
        const reachMs = Date.now() - started;
        // Long polls, not intervals: well under the 60 s interval.
        assert.ok(reachMs < 30_000, `a commit reached ${AGENTS} agents in ${reachMs} ms`);
        t.diagnostic(`a commit reached ${AGENTS} agents (each applying it, in this one process) in ${reachMs} ms`);

        const s = await status();
        const dev = s.environments.find((e) => e.name === 'development')!;
        assert.deepEqual(dev.states, { in_sync: AGENTS, applying: 0, failed: 0, drifted: 0, stale: 0 });
        // Each agent said which Claude Code its machine has (`claude --version` on its PATH: the newest, from node_modules).
        assert.deepEqual([...new Set(s.machines.filter((m) => m.env === 'development').map((m) => m.claude_version))], [findClaudeBin().version]);
        assert.equal(s.machines.filter((m) => m.env === 'development' && m.revision === head && m.state === 'in_sync').length, AGENTS, JSON.stringify(s.machines[0]));

        // Every home holds exactly what render --outputs gives for its target at that revision.
        const expected = new Map<string, Record<string, string>>();
        const wrong: string[] = [];
        for (const a of agents) {
          const key = JSON.stringify(a.target);
          if (!expected.has(key)) expected.set(key, await rendered(fleet.repo, head, a.target, a.env));
          const files = expected.get(key)!;
          assert.ok(files['.claude/settings.json']?.includes('FLEET_TEST'), 'the change is in the rendered settings');
          wrong.push(...homeHolds(a, files));
        }
        assert.deepEqual(wrong, []);

        // The text form says the same.
        const text = await cli(['fleet', 'status', '--controller', fleet.controller.url, '--token', fleet.admin], { cwd: fleet.root });
        assert.match(text.stdout, new RegExp(`development\\s+${head.slice(0, 7)}\\s+${AGENTS}\\s+${AGENTS}\\s+0\\s+0\\s+0\\s+0`));
      } finally {
        stop.abort();
        await Promise.allSettled(loops);
        await fleet.close();
      }
    });
  });
}
