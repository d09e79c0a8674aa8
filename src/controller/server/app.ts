/**
 * The controller's HTTP API as a Hono app: a function from Request to
 * Response (tests call `app.request()`, no socket). Every route checks its
 * caller (controller.authenticate and the role it needs), takes a
 * size-limited, schema-checked body, and answers JSON; every error is
 * `{"error": {"code", "message"}}` with the status of its code
 * (error-codes.ts), and never holds a secret or a stack.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Ajv, type ValidateFunction } from 'ajv';
import { ClaudeEnvError } from '../../errors.js';
import { httpStatusOf } from '../../error-codes.js';
import { API_PREFIX, type EnrollRequest, type Report, type RolloutVerb, type TokenRequest } from '../api.js';
import type { Controller } from '../controller.js';
import { parseDuration } from '../tokens.js';
import { verifyGithubSignature } from '../tracker/webhook.js';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { dashboardPage, loginPage, refusedPage } from './dashboard.js';

const BODY_MAX = 64 * 1024;
const VERBS: ReadonlySet<string> = new Set<RolloutVerb>(['approve', 'pause', 'resume', 'promote', 'abort', 'rollback']);
const WEBHOOK_MAX = 5 * 1024 * 1024;

const NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;
const SCHEMAS = {
  enroll: {
    type: 'object',
    additionalProperties: false,
    required: ['user'],
    properties: { env: NAME, team: NAME, project: NAME, user: NAME, hostname: { type: 'string', maxLength: 255 }, claude_version: { type: 'string', maxLength: 64 } },
  },
  report: {
    type: 'object',
    additionalProperties: false,
    required: ['seq', 'revision', 'result', 'at'],
    properties: {
      seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      revision: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{7,64}$' }, { type: 'null' }] },
      assigned_revision: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{7,64}$' }, { type: 'null' }] },
      result: { enum: ['ok', 'failed', 'rolled-back'] },
      error_code: { anyOf: [{ type: 'string', pattern: '^[a-z0-9-]{1,64}$' }, { type: 'null' }] },
      at: { type: 'number', minimum: 0 },
      timings: { type: 'object', maxProperties: 32, additionalProperties: { type: 'number' } },
      claude_version: { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'null' }] },
      staged_revision: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{7,64}$' }, { type: 'null' }] },
      sweep: {
        anyOf: [
          { type: 'null' },
          {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'fixed', 'manual', 'mcp_down'],
            properties: {
              id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
              fixed: { type: 'integer', minimum: 0, maximum: 100_000 },
              manual: { type: 'array', maxItems: 500, items: { $ref: '#/definitions/item' } },
              mcp_down: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 200 } },
            },
          },
        ],
      },
      drift: {
        anyOf: [
          { type: 'null' },
          {
            type: 'object',
            additionalProperties: false,
            required: ['drift_percentage', 'risk_level', 'items'],
            properties: {
              drift_percentage: { type: 'number', minimum: 0, maximum: 100 },
              risk_level: { enum: ['none', 'low', 'medium', 'high', 'critical'] },
              items: {
                type: 'array',
                maxItems: 500,
                items: { $ref: '#/definitions/item' },
              },
            },
          },
        ],
      },
    },
    definitions: {
      item: { type: 'object', additionalProperties: false, required: ['path', 'category', 'severity'], properties: { path: { type: 'string', maxLength: 500 }, category: { type: 'string', maxLength: 64 }, severity: { enum: ['low', 'medium', 'high', 'critical'] } } },
    },
  },
  sweep: {
    type: 'object',
    additionalProperties: false,
    properties: { env: NAME, max_fixes: { type: 'integer', minimum: 0, maximum: 1000 } },
  },
  verb: { type: 'object', additionalProperties: false, properties: {} },
  freeze: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } },
  token: {
    type: 'object',
    additionalProperties: false,
    required: ['kind'],
    properties: { kind: { enum: ['user', 'enroll'] }, user: NAME, env: NAME, expires: { type: 'string', maxLength: 16 } },
  },
} as const;

interface Checks {
  readonly enroll: ValidateFunction<EnrollRequest>;
  readonly report: ValidateFunction<Report>;
  readonly token: ValidateFunction<TokenRequest>;
  readonly sweep: ValidateFunction<{ env?: string; max_fixes?: number }>;
  readonly verb: ValidateFunction<Record<string, never>>;
  readonly freeze: ValidateFunction<{ reason?: string }>;
}

function compileChecks(): Checks {
  const ajv = new Ajv({ allErrors: false, strict: true });
  return {
    enroll: ajv.compile<EnrollRequest>(SCHEMAS.enroll),
    report: ajv.compile<Report>(SCHEMAS.report),
    token: ajv.compile<TokenRequest>(SCHEMAS.token),
    sweep: ajv.compile<{ env?: string; max_fixes?: number }>(SCHEMAS.sweep),
    verb: ajv.compile<Record<string, never>>(SCHEMAS.verb),
    freeze: ajv.compile<{ reason?: string }>(SCHEMAS.freeze),
  };
}

/** The JSON body, or a 400 naming what is wrong with it (never echoing its values). */
async function body<T>(c: Context, check: ValidateFunction<T>): Promise<T> {
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    throw new ClaudeEnvError('bad-request', 'the body is not JSON');
  }
  if (!check(value)) {
    const e = check.errors?.[0];
    const where = e?.instancePath ? e.instancePath : '(body)';
    const detail = e?.keyword === 'additionalProperties' ? `unknown key ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}` : e?.message ?? 'invalid';
    throw new ClaudeEnvError('bad-request', `${where}: ${detail}`);
  }
  return value;
}

/** Aborted when the caller goes away (Node adapter: the response closes), so a long poll stops waiting; none without a socket. */
function closedSignal(c: Context): AbortSignal | undefined {
  const out = (c.env as { outgoing?: { once(e: 'close', f: () => void): void; writableFinished?: boolean } } | undefined)?.outgoing;
  if (!out) return c.req.raw.signal;
  const ac = new AbortController();
  out.once('close', () => ac.abort());
  return ac.signal;
}

/** The peer's address (Node adapter), or null without a socket (app.request in tests). */
function addressOf(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

function tooLarge(max: number) {
  return bodyLimit({ maxSize: max, onError: () => { throw new ClaudeEnvError('too-large', `the body is larger than ${max} bytes`); } });
}

export function createApp(ctl: Controller, log: (event: string, fields?: Record<string, unknown>) => void = () => {}): Hono {
  const checks = compileChecks();
  const app = new Hono();
  const callerOf = (c: Context) => ctl.authenticate(c.req.header('authorization'));

  app.onError((err, c) => {
    if (err instanceof ClaudeEnvError) {
      const status = httpStatusOf(err.code);
      return c.json({ error: { code: err.code, message: err.message } }, status === 500 ? 500 : status);
    }
    log('internal-error', { route: c.req.routePath, error: err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : 'error' });
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    const r = await ctl.ready();
    return c.json({ ready: r.ready, leader: ctl.leading(), ...(r.reason ? { reason: r.reason } : {}) }, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.body(await ctl.metrics.text(), 200, { 'Content-Type': ctl.metrics.contentType }));
  dashboardRoutes(app, ctl);

  const api = new Hono();
  api.use('*', async (c, next) => {
    if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') {
      const type = c.req.header('content-type');
      if (c.req.path !== `${API_PREFIX}/hooks/git` && type !== undefined && !/^application\/json\b/i.test(type)) throw new ClaudeEnvError('bad-request', `the body must be application/json, not ${type.slice(0, 60)}`);
    }
    await next();
  });

  api.post('/enroll', tooLarge(BODY_MAX), async (c) => {
    const caller = await callerOf(c);
    const req = await body(c, checks.enroll);
    return c.json(await ctl.enroll(caller, req, addressOf(c)), 201);
  });

  api.get('/machines/:id/assignment', async (c) => {
    const caller = await callerOf(c);
    const inm = c.req.header('if-none-match');
    const etag = inm === undefined ? undefined : inm.replace(/^W\//, '').replace(/^"|"$/g, '');
    const waitText = c.req.query('wait');
    const wait = waitText === undefined ? 0 : Number(waitText);
    if (!Number.isFinite(wait) || wait < 0) throw new ClaudeEnvError('bad-request', 'wait must be a number of seconds');
    const sweepText = c.req.query('sweep');
    const lastSweep = sweepText === undefined ? undefined : Number(sweepText);
    if (lastSweep !== undefined && (!Number.isSafeInteger(lastSweep) || lastSweep < 0)) throw new ClaudeEnvError('bad-request', 'sweep must be the id of the last sweep done (0 for none)');
    const got = await ctl.checkIn(caller, c.req.param('id'), etag, wait * 1000, wait > 0 ? closedSignal(c) : undefined, lastSweep);
    const sweep: Record<string, string> = got.sweep ? { 'X-Claude-Env-Sweep': String(got.sweep.id), 'X-Claude-Env-Max-Fixes': String(got.sweep.max_fixes) } : {};
    const a = got.assignment;
    if (a === undefined) return c.body(null, 304, { ...(etag ? { ETag: `"${etag}"` } : {}), ...sweep });
    const headers = { 'Content-Type': 'application/json', ETag: `"${a.etag}"`, Vary: 'Accept-Encoding', ...sweep };
    // Compressed once per bundle: a commit sends the same body to every machine of a target.
    if (/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) return c.body(a.gzip as Uint8Array<ArrayBuffer>, 200, { ...headers, 'Content-Encoding': 'gzip' });
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, headers);
  });

  api.post('/machines/:id/reports', tooLarge(BODY_MAX), async (c) => {
    const caller = await callerOf(c);
    const report = await body(c, checks.report);
    const ack = await ctl.report(caller, c.req.param('id'), report);
    return c.json(ack, ack.stored ? 201 : 200);
  });

  api.get('/machines/:id', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    return c.json(await ctl.machine(c.req.param('id')));
  });

  api.get('/fleet/status', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    const env = c.req.query('env');
    return c.json(await ctl.fleetStatus(env ? { env } : {}));
  });

  api.get('/syncs', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    const rows = await ctl.store.syncs(100);
    return c.json({ syncs: rows.map((s) => ({ id: s.id, revision: s.revision, status: s.status, at: new Date(s.at).toISOString(), duration_ms: s.duration_ms, errors: s.errors, findings: JSON.parse(s.findings) as string[] })) });
  });

  api.get('/events', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    const type = c.req.query('type');
    const rows = await ctl.store.events({ ...(type ? { type } : {}), limit: 500 });
    return c.json({ events: rows.map((e) => ({ id: e.id, at: new Date(e.at).toISOString(), type: e.type, environment: e.environment, detail: e.detail === null ? null : JSON.parse(e.detail) })) });
  });

  api.get('/rollouts', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    return c.json({ rollouts: await ctl.rolloutViews() });
  });

  api.get('/rollouts/:env', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    return c.json(await ctl.rolloutView(c.req.param('env')));
  });

  api.post('/rollouts/:env/:verb', tooLarge(BODY_MAX), async (c) => {
    const caller = await callerOf(c);
    const verb = c.req.param('verb');
    if (!VERBS.has(verb)) throw new ClaudeEnvError('not-found', `no rollout verb ${JSON.stringify(verb.slice(0, 40))} (${[...VERBS].join(', ')})`);
    // No body, or {}: what a verb acts on is in its path.
    if ((await c.req.text()).trim() !== '') await body(c, checks.verb);
    return c.json(await ctl.rolloutAct(caller, c.req.param('env'), verb as RolloutVerb, addressOf(c)));
  });

  api.get('/sweeps', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    const env = c.req.query('env');
    return c.json({ sweeps: await ctl.sweeps(env ? { env } : {}) });
  });

  api.post('/sweeps', tooLarge(BODY_MAX), async (c) => {
    const by = await ctl.requireUser(await callerOf(c), 'admin');
    const req = await body(c, checks.sweep);
    return c.json({ sweeps: await ctl.sweep({ ...(req.env ? { env: req.env } : {}), ...(req.max_fixes !== undefined ? { maxFixes: req.max_fixes } : {}), by: `user:${by}`, address: addressOf(c) }) }, 201);
  });

  api.get('/freeze', async (c) => {
    await ctl.requireUser(await callerOf(c), 'read');
    return c.json(await ctl.freezeView());
  });

  api.post('/freeze', tooLarge(BODY_MAX), async (c) => {
    const caller = await callerOf(c);
    const req = (await c.req.text()).trim() === '' ? {} : await body(c, checks.freeze);
    return c.json(await ctl.freeze(caller, req.reason?.trim() || null, addressOf(c)));
  });

  api.post('/unfreeze', tooLarge(BODY_MAX), async (c) => {
    const caller = await callerOf(c);
    if ((await c.req.text()).trim() !== '') await body(c, checks.verb);
    return c.json(await ctl.unfreeze(caller, addressOf(c)));
  });

  api.post('/tokens', tooLarge(BODY_MAX), async (c) => {
    const by = await ctl.requireUser(await callerOf(c), 'admin');
    const req = await body(c, checks.token);
    const expiresMs = req.expires === undefined ? undefined : parseDurationOr400(req.expires);
    return c.json(await ctl.createToken(`user:${by}`, { kind: req.kind, ...(req.user ? { user: req.user } : {}), ...(req.env ? { env: req.env } : {}), ...(expiresMs !== undefined ? { expiresMs } : {}) }, addressOf(c)), 201);
  });

  api.get('/tokens', async (c) => {
    await ctl.requireUser(await callerOf(c), 'admin');
    return c.json({ tokens: await ctl.listTokens() });
  });

  api.delete('/tokens/:id', async (c) => {
    const by = await ctl.requireUser(await callerOf(c), 'admin');
    await ctl.revokeToken(`user:${by}`, c.req.param('id'), addressOf(c));
    return c.json({ revoked: c.req.param('id') });
  });

  api.get('/audit', async (c) => {
    await ctl.requireUser(await callerOf(c), 'admin');
    const rows = await ctl.store.auditLog(500);
    return c.json({ entries: rows.map((a) => ({ id: a.id, at: new Date(a.at).toISOString(), actor: a.actor, action: a.action, subject: a.subject, address: a.address, detail: a.detail === null ? null : JSON.parse(a.detail) })) });
  });

  api.post('/hooks/git', tooLarge(WEBHOOK_MAX), async (c) => {
    const secret = ctl.webhookSecret;
    if (secret === undefined) throw new ClaudeEnvError('forbidden', 'this controller takes no webhook (start serve with a webhook secret)');
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!verifyGithubSignature(secret, raw, c.req.header('x-hub-signature-256'))) throw new ClaudeEnvError('unauthorized', 'the X-Hub-Signature-256 signature does not match the body');
    await ctl.webhook(addressOf(c), c.req.header('x-github-delivery') ?? null);
    return c.json({ queued: true }, 202);
  });

  app.route(API_PREFIX, api);
  return app;
}

function parseDurationOr400(text: string): number {
  try {
    return parseDuration(text, 'expires');
  } catch (err) {
    throw new ClaudeEnvError('bad-request', (err as Error).message);
  }
}

/** The dashboard's cookie: a user's API token, for /dashboard only, never readable by a script nor sent by another site. */
const SESSION = 'claude_env_dashboard';
const SESSION_HOURS = 12;
/** What every dashboard response says to the browser: nothing runs, nothing frames it, nothing is kept or leaks by referrer. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

/**
 * `GET /dashboard` (src/dashboard/page.ts), for any user with a role in
 * access.yml, as the read routes of the API. The browser signs in with a
 * user's API token (`POST /dashboard/login`, a form), kept in an HttpOnly,
 * SameSite=Strict cookie scoped to /dashboard; a script or curl may send
 * the token as `Authorization: Bearer` instead. Every page is HTML only,
 * under a Content-Security-Policy that runs no script.
 */
function dashboardRoutes(app: Hono, ctl: Controller): void {
  const html = (c: Context, text: string, status: 200 | 401 | 403 = 200) => c.body(text, status, PAGE_HEADERS);
  app.get('/dashboard', async (c) => {
    const token = getCookie(c, SESSION);
    const header = c.req.header('authorization') ?? (token ? `Bearer ${token}` : undefined);
    if (header === undefined) return html(c, loginPage(), 401);
    let user: string;
    try {
      user = await ctl.requireUser(await ctl.authenticate(header), 'read');
    } catch (err) {
      if (!(err instanceof ClaudeEnvError)) throw err;
      return err.code === 'forbidden' ? html(c, refusedPage(err.message), 403) : html(c, loginPage('Sign in again: that token is not valid any more.'), 401);
    }
    const env = c.req.query('env')?.slice(0, 200);
    const [fleet, rollouts, sweeps, syncs, events] = await Promise.all([
      ctl.fleetStatus({ ...(env ? { env } : {}), limit: 500 }),
      ctl.rolloutViews(),
      ctl.sweeps({ ...(env ? { env } : {}), limit: 20 }),
      ctl.store.syncs(10),
      ctl.store.events({ limit: 50 }),
    ]);
    return html(
      c,
      dashboardPage({
        user,
        now: new Date(ctl.now()).toISOString(),
        leader: ctl.leading(),
        ...(fleet.frozen ? { frozen: fleet.frozen } : {}),
        ...(env ? { env } : {}),
        environments: fleet.environments,
        machines: fleet.machines,
        machineTotal: fleet.environments.reduce((n, e) => n + e.machines, 0),
        rollouts: env ? rollouts.filter((r) => r.environment === env) : rollouts,
        sweeps,
        syncs: syncs.map((s) => ({ revision: s.revision, status: s.status, at: new Date(s.at).toISOString(), errors: s.errors })),
        events: events.filter((e) => !env || e.environment === env).map((e) => ({ at: new Date(e.at).toISOString(), type: e.type, environment: e.environment, detail: e.detail })),
      }),
    );
  });
  app.post('/dashboard/login', tooLarge(4096), async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
    try {
      await ctl.requireUser(await ctl.authenticate(`Bearer ${token}`), 'read');
    } catch (err) {
      if (!(err instanceof ClaudeEnvError)) throw err;
      // The token is never echoed: say only what kind of failure it was.
      return err.code === 'forbidden' ? html(c, refusedPage(err.message), 403) : html(c, loginPage('That is not a valid user token (or it expired).'), 401);
    }
    setCookie(c, SESSION, token, { path: '/dashboard', httpOnly: true, sameSite: 'Strict', maxAge: SESSION_HOURS * 3600 });
    return c.redirect('/dashboard', 303);
  });
  app.post('/dashboard/logout', (c) => {
    deleteCookie(c, SESSION, { path: '/dashboard' });
    return c.redirect('/dashboard', 303);
  });
}

