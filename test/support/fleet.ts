/**
 * A fleet in a test: a seed config repo (git, in a temp dir), a controller
 * on 127.0.0.1 over SQLite or a throwaway PostgreSQL database, tokens made
 * on its store, and agents in process, each in a sandbox home of its own,
 * talking real HTTP. Everything started here is stopped by `close()`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers.js';
import { startController, type RunningController, type ServeOptions } from '../../src/controller/serve.js';
import { createTokenIn } from '../../src/controller/controller.js';
import { openStore } from '../../src/controller/db/open.js';
import type { Store } from '../../src/controller/db/store.js';
import { Agent, enroll, type AgentOptions } from '../../src/agent/agent.js';
import type { Target } from '../../src/vocabulary.js';
import { startPostgres, postgresAvailable, type PostgresCluster } from './postgres.js';

export type DbKind = 'sqlite' | 'postgres';

/** Why a PostgreSQL test cannot run here (undefined: it can). In CI a missing PostgreSQL fails the test instead. */
export function skipPostgres(): string | undefined {
  const why = postgresAvailable();
  if (why && process.env['CI'] === 'true') throw new Error(`PostgreSQL is needed in CI: ${why}`);
  return why;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };

export function git(dir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', ['-C', dir, ...args], { env: { ...process.env, ...GIT_ENV, ...env }, encoding: 'utf8' }).trim();
}

/** The seed repo of `claude-env init`, committed on main. */
export async function seedRepo(root: string): Promise<string> {
  const dir = join(root, 'repo');
  const r = await cli(['init', dir], { cwd: root, env: { HOME: root, PATH: process.env['PATH'], ...GIT_ENV } });
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  git(dir, ['branch', '-M', 'main']);
  return dir;
}

/** Change a file of the repo and commit it; the new head. */
export function commit(repo: string, path: string, edit: (text: string) => string, message = `edit ${path}`, author?: { name: string; email: string }): string {
  const file = join(repo, path);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    mkdirSync(join(file, '..'), { recursive: true });
  }
  writeFileSync(file, edit(text));
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', message], author ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email } : {});
  return git(repo, ['rev-parse', 'HEAD']);
}

/** An edit of environments/development/config.yml: one more `settings.env` variable. */
export function devEnv(name: string, value: string): (text: string) => string {
  return (text) => {
    const out = text.replace(/^(    DEPLOY_ENVIRONMENT: development\n)/m, `$1    ${name}: "${value}"\n`);
    if (out === text) throw new Error('the seed development config has no DEPLOY_ENVIRONMENT line to add beside');
    return out;
  };
}

export interface Fleet {
  readonly root: string;
  readonly repo: string;
  readonly db: string;
  readonly store: Store;
  controller: RunningController;
  /** An admin's token (judy, devops-team admin in the seed). */
  readonly admin: string;
  token(kind: 'user', user: string): Promise<string>;
  token(kind: 'enroll', env: string): Promise<string>;
  /** Start the controller again on the same store (after `controller.close()`), on the same port when it is free. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface FleetOptions {
  readonly db: DbKind;
  readonly serve?: Partial<ServeOptions>;
  /** Edits of the seed repo (committed) before the controller first fetches it. */
  readonly prepare?: (repo: string) => void;
}

let cluster: Promise<PostgresCluster> | undefined;

/** The test process's one PostgreSQL cluster (started on first use, gone when the process exits). */
export function sharedPostgres(): Promise<PostgresCluster> {
  cluster ??= startPostgres({ keepProcessAlive: false });
  return cluster;
}

/** A database URL of the kind asked: a SQLite file in `root`, or a new database on the run's PostgreSQL cluster. */
export async function databaseFor(kind: DbKind, root: string, name: string): Promise<{ url: string; close(): Promise<void> }> {
  if (kind === 'sqlite') return { url: join(root, `${name}.db`), close: async () => {} };
  const pg = await sharedPostgres();
  return { url: await pg.createDatabase(name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()), close: async () => {} };
}

let dbCount = 0;

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const t = tempDir('claude-env-fleet-');
  const repo = await seedRepo(t.dir);
  opts.prepare?.(repo);
  const db = await databaseFor(opts.db, t.dir, `fleet_${process.pid}_${dbCount++}`);
  const store = await openStore(db.url);
  const serveOpts: ServeOptions = { repo, branch: 'main', db: db.url, listen: '127.0.0.1:0', workDir: join(t.dir, 'controller'), store, pollMs: 60_000, leaderRetryMs: 200, flushMs: 100, processMetrics: false, ...opts.serve };
  let controller = await startController(serveOpts);
  await waitFor(async () => (await controller.controller.ready()).ready, 30_000, 'the controller to fetch the repo');
  const make = async (kind: 'user' | 'enroll', who: string): Promise<string> => (await createTokenIn(store, 'test', kind === 'user' ? { kind, user: who } : { kind, env: who }, Date.now(), null)).token;
  const admin = await make('user', 'judy');
  const fleet: Fleet = {
    root: t.dir,
    repo,
    db: db.url,
    store,
    get controller() {
      return controller;
    },
    set controller(c) {
      controller = c;
    },
    admin,
    token: make as Fleet['token'],
    async restart() {
      const port = Number(new URL(controller.url).port);
      controller = await startController({ ...serveOpts, listen: `127.0.0.1:${port}` });
    },
    async close() {
      await controller.close();
      await store.close();
      await db.close();
      t.cleanup();
    },
  };
  return fleet;
}

export async function waitFor(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await test()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TestAgent {
  readonly home: string;
  readonly stateDir: string;
  readonly machineId: string;
  readonly target: Target;
  readonly env: NodeJS.ProcessEnv;
  agent(opts?: Partial<AgentOptions>): Agent;
}

/** Enroll a sandbox home as `user` (of `team`, with `project`) in the enroll token's environment. */
export async function enrollAgent(fleet: Fleet, dir: string, who: { enrollToken: string; user: string; team?: string; project?: string; env?: NodeJS.ProcessEnv }): Promise<TestAgent> {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const stateDir = join(home, '.claude-env');
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: process.env['PATH'], CLAUDE_ENV_HOME: stateDir, DOCS_MCP_TOKEN: 'docs-token-for-tests', ...(who.env ?? {}) };
  const got = await enroll({ home, stateDir, env, cwd: home, controller: fleet.controller.url, enrollToken: who.enrollToken, user: who.user, ...(who.team ? { team: who.team } : {}), ...(who.project ? { project: who.project } : {}) });
  return {
    home,
    stateDir,
    machineId: got.machine_id,
    target: got.target,
    env,
    agent: (opts = {}) => new Agent({ home, stateDir, env, cwd: home, backoffMs: { min: 50, max: 500 }, applyWaitMs: 10_000, ...opts }),
  };
}

/** The repo's targets that have a user (a machine belongs to one), as `{env, team, user, project?}`. */
export async function targetsOf(repo: string, env: string): Promise<Target[]> {
  const r = await cli(['render', '--all', '--json', '--env', env, '--repo', repo], { cwd: repo });
  if (r.code !== 0) throw new Error(`render --all failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { target: Target }).target)
    .filter((t) => t.user !== undefined);
}
