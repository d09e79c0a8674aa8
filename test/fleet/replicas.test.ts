/**
 * Controller replicas on one PostgreSQL store, as real `claude-env serve`
 * processes: any answers the API and check-ins, exactly one leads (an
 * advisory lock, watched in pg_locks all along: never two holders), a long
 * poll on one replica wakes for a commit the leader saw, and when the
 * leader is killed another leads within the bound.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT, tempDir } from '../helpers.js';
import { commit, devEnv, databaseFor, seedRepo, skipPostgres, waitFor } from '../support/fleet.js';
import { enroll, Agent } from '../../src/agent/agent.js';
import { LEADER_LOCK_KEY } from '../../src/controller/db/postgres.js';

const bin = join(ROOT, 'bin', 'claude-env.js');
const SECRET = 'replica-webhook-secret';
/** How soon another replica leads after the leader dies: its retry interval (1 s) plus PostgreSQL seeing the connection close. */
const TAKEOVER_BOUND_MS = 3000;

interface Replica {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly log: string[];
}

function startReplica(repo: string, db: string, home: string): Promise<Replica> {
  const proc = spawn(process.execPath, [bin, 'serve', '--repo', repo, '--db', db, '--listen', '127.0.0.1:0', '--poll', '60s', '--json'], {
    env: { PATH: process.env['PATH'], HOME: home, CLAUDE_ENV_HOME: home, CLAUDE_ENV_WEBHOOK_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"listening":"([^"]+)"/.exec(out);
      if (m) resolve({ proc, url: m[1]!, log });
    });
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${log.join('')}`)));
  });
}

async function leaderFlag(r: Replica): Promise<boolean | undefined> {
  try {
    const res = await fetch(`${r.url}/ready`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { leader: boolean }).leader;
  } catch {
    return undefined;
  }
}

describe('controller replicas on PostgreSQL', { skip: skipPostgres() }, () => {
  it('one leader at a time; a long poll on a follower wakes for a commit; another leads within the bound when the leader is killed', { timeout: 180_000 }, async (t) => {
    const tmp = tempDir('claude-env-replicas-');
    const replicas: Replica[] = [];
    let watching = true;
    let maxHolders = 0;
    const stop = new AbortController();
    let loop: Promise<unknown> | undefined;
    try {
      const repo = await seedRepo(tmp.dir);
      const db = await databaseFor('postgres', tmp.dir, `replicas_${process.pid}`);
      // The first admin's token, straight on the store (the bootstrap).
      const made = spawnSync(process.execPath, [bin, 'token', 'create', '--db', db.url, '--kind', 'user', '--user', 'judy', '--json'], { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: tmp.dir } });
      assert.equal(made.status, 0, made.stderr);
      const admin = (JSON.parse(made.stdout) as { token: string }).token;
      for (let i = 0; i < 3; i++) replicas.push(await startReplica(repo, db.url, join(tmp.dir, `r${i}`)));

      // pg_locks, sampled all along: the leader's advisory lock never has two holders.
      const w = new pg.Client({ connectionString: db.url });
      await w.connect();
      const sampling = (async () => {
        while (watching) {
          const r = await w.query("select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint", [String(LEADER_LOCK_KEY)]);
          maxHolders = Math.max(maxHolders, r.rows[0].n as number);
          await new Promise((res) => setTimeout(res, 10));
        }
        await w.end();
      })();

      await waitFor(async () => (await Promise.all(replicas.map(leaderFlag))).filter(Boolean).length === 1, 20_000, 'one leader');
      const flags = await Promise.all(replicas.map(leaderFlag));
      const leader = replicas[flags.indexOf(true)]!;
      const follower = replicas.find((r) => r !== leader)!;

      // An agent enrolled and long-polling through a follower.
      const enrollRes = await fetch(`${follower.url}/api/v1/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'enroll', env: 'development' }) });
      assert.equal(enrollRes.status, 201);
      const enrollToken = ((await enrollRes.json()) as { token: string }).token;
      const home = join(tmp.dir, 'machine');
      const env = { HOME: home, PATH: process.env['PATH'], CLAUDE_ENV_HOME: join(home, '.claude-env'), DOCS_MCP_TOKEN: 'x' };
      await enroll({ home, stateDir: env.CLAUDE_ENV_HOME, env, cwd: home, controller: follower.url, enrollToken, user: 'bob', team: 'frontend-team' });
      const agent = (opts = {}) => new Agent({ home, stateDir: env.CLAUDE_ENV_HOME, env, cwd: home, backoffMs: { min: 50, max: 300 }, ...opts });
      assert.equal((await agent({ once: true }).run()).applied?.result, 'ok');
      loop = agent({ intervalMs: 60_000, signal: stop.signal }).run();
      await new Promise((r) => setTimeout(r, 300));

      // A commit, announced to the follower: the leader fetches it, and the follower's long poll wakes.
      const state = (): { held_revision: string } => JSON.parse(readFileSync(join(env.CLAUDE_ENV_HOME, 'agent', 'state.json'), 'utf8'));
      const announce = async (to: Replica, head: string): Promise<void> => {
        const body = JSON.stringify({ after: head });
        const res = await fetch(`${to.url}/api/v1/hooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, body });
        assert.equal(res.status, 202);
      };
      const head1 = commit(repo, 'environments/development/config.yml', devEnv('REPLICA_TEST', '1'));
      let started = Date.now();
      await announce(follower, head1);
      await waitFor(() => state().held_revision === head1, 15_000, 'the agent on the follower to apply the commit');
      const wakeMs = Date.now() - started;

      // The leader is killed: another leads within the bound.
      leader.proc.kill('SIGKILL');
      started = Date.now();
      const rest = replicas.filter((r) => r !== leader);
      await waitFor(async () => (await Promise.all(rest.map(leaderFlag))).filter(Boolean).length === 1, TAKEOVER_BOUND_MS + 5000, 'a new leader');
      const takeoverMs = Date.now() - started;
      assert.ok(takeoverMs <= TAKEOVER_BOUND_MS, `another replica led ${takeoverMs} ms after the leader was killed (bound ${TAKEOVER_BOUND_MS} ms)`);

      // The new leader tracks the repo: the next commit reaches the agent too.
      const head2 = commit(repo, 'environments/development/config.yml', devEnv('REPLICA_TEST_2', '2'));
      await announce(follower, head2);
      await waitFor(() => state().held_revision === head2, 15_000, 'the agent to apply the commit after the takeover');
      assert.ok(wakeMs < 10_000, `a commit reached a long poll on a follower in ${wakeMs} ms`);
      watching = false;
      await sampling;
      assert.equal(maxHolders, 1, 'never two leaders at once (pg_locks)');
      t.diagnostic(`a commit reached a long poll on a follower in ${wakeMs} ms; another replica led ${takeoverMs} ms after the leader was killed`);
    } finally {
      watching = false;
      stop.abort();
      await loop?.catch(() => {});
      for (const r of replicas) r.proc.kill('SIGTERM');
      await Promise.all(replicas.map((r) => (r.proc.exitCode !== null || r.proc.signalCode !== null ? undefined : new Promise((res) => r.proc.once('exit', res)))));
      tmp.cleanup();
    }
  });
});

