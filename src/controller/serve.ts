/**
 * `serve`: a controller on a socket. Opens the store (migrated), tracks the
 * config repo, and serves the Hono app with Node's adapter; `close()` stops
 * taking connections, wakes long polls, writes what is buffered and gives
 * the lead up.
 */
import type { AddressInfo } from 'node:net';
import { serve as serveNode, type ServerType } from '@hono/node-server';
import { ClaudeEnvError } from '../errors.js';
import { Controller, type ControllerOptions, type Logger, type Tracker } from './controller.js';
import { openStore } from './db/open.js';
import type { Store } from './db/store.js';
import { createApp } from './server/app.js';
import { RepoTracker } from './tracker/tracker.js';
import { Notifier, channelsFromSettings } from './notify/notifier.js';
import { createSecretResolver } from '../secrets/resolve.js';
import type { Value } from '../provenance/tree.js';

/**
 * The notifier of a revision's `notifications`: channel secrets (`!secret
 * env:`, `file:`, `!encrypted` with $CLAUDE_ENV_AGE_IDENTITY) are resolved on
 * the controller's machine when a message goes out; `cmd:` never runs here.
 */
function notifierFactory(tracker: RepoTracker, env: NodeJS.ProcessEnv, cwd: string, log: Logger): (revision: string) => Promise<Notifier | undefined> {
  return async (revision) => {
    const repo = await tracker.repoAt(revision);
    // The document itself (repo.settings.raw shows secrets as their descriptions): its secrets stay SecretValues.
    const doc = repo.document('claude-env.yml')?.value as Record<string, Value> | undefined;
    const channels = channelsFromSettings(doc?.['notifications']);
    if (channels.length === 0) return undefined;
    return new Notifier({
      channels,
      resolveSecret: createSecretResolver({ env, cwd, identityFile: env['CLAUDE_ENV_AGE_IDENTITY'] }),
      now: Date.now,
      log: (e) => log(`notify-${e.level}`, { code: e.code, message: e.message, ...(e.channel ? { channel: e.channel } : {}), ...(e.event ? { event: e.event } : {}) }),
      retry: { attempts: 6, baseMs: 1000, maxMs: 60_000 },
      dedupeWindowMs: 10 * 60_000,
    });
  };
}

export interface ServeOptions extends Omit<ControllerOptions, 'store' | 'tracker'> {
  /** A config repo: a local dir or a git URL. */
  readonly repo: string;
  readonly branch: string;
  /** A SQLite file or `postgres://…`. */
  readonly db: string;
  /** `host:port` (port 0: any free one). */
  readonly listen: string;
  /** The controller's own folder (a clone of a remote repo). */
  readonly workDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Given instead of opening `db` / tracking `repo` (tests). */
  readonly store?: Store;
  readonly tracker?: Tracker;
}

export interface RunningController {
  readonly url: string;
  readonly controller: Controller;
  close(): Promise<void>;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ClaudeEnvError('usage', `--listen ${text}: expected host:port, such as 127.0.0.1:8080`);
  return { host: (m[1] ?? m[2])!, port };
}

export async function startController(opts: ServeOptions): Promise<RunningController> {
  const { host, port } = parseListen(opts.listen);
  const log: Logger = opts.log ?? (() => {});
  const store = opts.store ?? (await openStore(opts.db));
  const tracker = opts.tracker ?? new RepoTracker({ repo: opts.repo, branch: opts.branch, workDir: opts.workDir, ...(opts.env ? { env: opts.env } : {}) });
  const notifications = opts.notifications ?? (tracker instanceof RepoTracker ? notifierFactory(tracker, opts.env ?? process.env, opts.workDir, log) : undefined);
  const controller = new Controller({ ...opts, store, tracker, log, ...(notifications ? { notifications } : {}) });
  await controller.start();
  const app = createApp(controller, log);
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serveNode({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await controller.stop();
    if (!opts.store) await store.close();
    throw new ClaudeEnvError('usage', `cannot listen on ${opts.listen}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  // Long polls hold sockets for up to a minute: the server must not time them out first.
  const http = server as import('node:http').Server;
  http.requestTimeout = 0;
  http.headersTimeout = 60_000;
  // Agents keep their connection between check-ins.
  http.keepAliveTimeout = 65_000;
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log('listening', { url, db: store.dialect });
  let closing: Promise<void> | undefined;
  return {
    url,
    controller,
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        await controller.stop();
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        await done;
        if (!opts.store) await store.close();
      })();
      return closing;
    },
  };
}
