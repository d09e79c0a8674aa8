/**
 * A throwaway PostgreSQL cluster for a test run, from Debian's postgresql
 * (`/usr/lib/postgresql/<newest>/bin`): a fresh temp dir, `initdb` with
 * trust auth, the postmaster on 127.0.0.1 and a free port. As root it runs
 * as the `postgres` system user (PostgreSQL refuses root). The postmaster is
 * our child: stop/start/restart drive it, close() stops it and deletes the
 * dir, and it is killed when the test process exits. Missing PostgreSQL
 * fails the tests under CI=true and skips them elsewhere.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  /** The `postgres` database, as the test superuser. */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown; resolves when the postmaster has exited. */
  stop(): Promise<void>;
  /** Starts the stopped cluster on the same port; resolves when it accepts connections. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** A new database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the cluster and deletes its directory. */
  close(): Promise<void>;
}

const SUPERUSER = 'claude_env_test';
const READY_MS = 30_000;
const STOP_MS = 15_000;

/** The newest `/usr/lib/postgresql/<version>/bin` with initdb and postgres, or why there is none. */
function findBin(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return { bin };
  }
  return { missing: `PostgreSQL is not installed (no ${root}/<version>/bin/initdb; Debian: apt-get install postgresql, or run test/setup.sh)` };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** uid and gid of the `postgres` system user, or undefined when there is none. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function missingReason(): string | undefined {
  const found = findBin();
  if ('missing' in found) return found.missing;
  if (isRoot() && postgresUser() === undefined) return 'running as root, and there is no `postgres` system user to run PostgreSQL as (Debian\'s postgresql package creates it)';
  return undefined;
}

/**
 * undefined when the PostgreSQL tests can run, else why not (for `{ skip: reason }`).
 * Under CI=true a missing PostgreSQL is a failure: this throws instead.
 */
export function postgresAvailable(): string | undefined {
  const reason = missingReason();
  if (reason !== undefined && process.env['CI'] === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${reason}`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a new cluster; throws with the reason when PostgreSQL is missing. */
export interface StartOptions {
  /**
   * false: the postmaster does not keep the test process alive (it is killed
   * when the process exits): for a cluster shared by a whole test file,
   * which no test closes.
   */
  readonly keepProcessAlive?: boolean;
}

export async function startPostgres(opts: StartOptions = {}): Promise<PostgresCluster> {
  const found = findBin();
  if ('missing' in found) throw new Error(found.missing);
  const { bin } = found;
  const asUser = isRoot() ? postgresUser() : undefined;
  if (isRoot() && asUser === undefined) throw new Error(missingReason());
  // As root: the binaries run as postgres (setpriv execs, so the child's pid is the postmaster's).
  const command = (file: string, args: string[]): [string, string[]] =>
    asUser === undefined ? [file, args] : ['setpriv', [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', '--', file, ...args]];

  const dir = mkdtempSync(join(tmpdir(), 'claude-env-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets);
  if (asUser !== undefined) for (const p of [dir, sockets]) chownSync(p, asUser.uid, asUser.gid);
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: dir };
  try {
    const [file, args] = command(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C']);
    execFileSync(file, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${err instanceof Error ? err.message : String(err)}\n${stderr}`);
  }

  const port = await freePort();
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  let log = '';
  let closed = false;

  const killOnExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', killOnExit);

  const accepting = async (): Promise<boolean> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const start = async (): Promise<void> => {
    if (closed) throw new Error('the cluster is closed');
    if (child !== undefined) return;
    const [file, args] = command(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', sockets,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
    ]);
    log = '';
    const proc = spawn(file, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8000)));
    if (opts.keepProcessAlive === false) {
      proc.unref();
      (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    }
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + READY_MS;
    while (Date.now() < deadline) {
      if (child !== proc) throw new Error(`postgres exited while starting:\n${log}`);
      if (await accepting()) return;
      await sleep(100);
    }
    proc.kill('SIGKILL');
    throw new Error(`postgres did not accept connections within ${READY_MS} ms:\n${log}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGINT'); // fast shutdown: backends are told, connections close
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  };

  const cluster: PostgresCluster = {
    url,
    port,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end().catch(() => {});
      }
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  try {
    await start();
  } catch (err) {
    await cluster.close().catch(() => {});
    throw err;
  }
  return cluster;
}
