/**
 * The notifier against real receivers on 127.0.0.1, started here and closed
 * at the end: an SMTP server (smtp-server) that keeps the mail, and node:http
 * receivers for Slack, Teams and a signed webhook that check what arrives.
 * Secrets come through the real resolver (secrets/resolve.ts) from a fake
 * environment; a canary secret must show up nowhere we control.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SecretValue } from '../../provenance/tree.js';
import { createSecretResolver } from '../../secrets/resolve.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './channels.js';
import { parseYaml } from '../../repo/yaml.js';
import type { RepoPath } from '../../vocabulary.js';
import type { Value } from '../../provenance/tree.js';
import { backoffMs, channelsFromSettings, createRedactor, Notifier, type ChannelConfig, type NotifierOptions, type NotifyLogEntry } from './notifier.js';
import { eventFromRow, renderEvent, type NotifyEvent } from './render.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** What the receiver answered. */
  readonly status: number;
  /** performance.now() when the request ended. */
  readonly t: number;
}

interface Receiver {
  readonly base: string;
  readonly got: Received[];
  close(): Promise<void>;
}

/** An HTTP receiver: answers each request with `status(n)` (n counts from 1). */
async function receiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status(got.length + 1);
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), status: code, t: performance.now() });
      res.writeHead(code, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    got,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

interface MailReceiver {
  readonly port: number;
  readonly mails: { from: string; to: string[]; raw: string; t: number }[];
  readonly passwords: string[];
  close(): Promise<void>;
}

async function smtpReceiver(): Promise<MailReceiver> {
  const mails: MailReceiver['mails'] = [];
  const passwords: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      passwords.push(auth.password ?? '');
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          t: performance.now(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, passwords, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** A port nothing listens on (connection refused). */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

const CANARY = `canary${randomBytes(16).toString('hex')}`;
const secret = (name: string): SecretValue => new SecretValue('env', name);

function verifySignature(key: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', key).update(body).digest('hex'));
  const actual = Buffer.from(header.slice('sha256='.length));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const FAILED: NotifyEvent = {
  id: 41,
  type: 'rollout.failed',
  at: Date.UTC(2025, 0, 2, 3, 4, 5),
  environment: 'production',
  detail: { revision: 'abc1234def', strategy: 'canary', step: 1, percent: 10, failed: 3, total: 10, max_failure_rate: 0.05, rolled_back_to: 'abc1234ffff' },
};

function options(channels: ChannelConfig[], env: Record<string, string>, log: NotifyLogEntry[], over: Partial<NotifierOptions> = {}): NotifierOptions {
  return {
    channels,
    resolveSecret: createSecretResolver({ env, cwd: '/' }),
    now: () => Date.now(),
    log: (e) => log.push(e),
    retry: { attempts: 3, baseMs: 5, maxMs: 20 },
    dedupeWindowMs: 60_000,
    attemptTimeoutMs: 3_000,
    ...over,
  };
}

describe('notify: render', () => {
  it('says what happened to a canary step in one line', () => {
    assert.equal(renderEvent(FAILED).text, 'rollout.failed production: canary step 1 (10 %) failed 3/10 > 5 %, rolled back to abc1234');
  });
  it('reads an event row of the store, detail and all', () => {
    const e = eventFromRow({ id: 7, at: 1, type: 'sync.failed', environment: null, detail: JSON.stringify({ revision: 'ffeeddccbb', errors: 2 }) });
    assert.equal(renderEvent(e).text, 'sync.failed: revision ffeeddc failed validation with 2 errors');
  });
});

describe('notify: channels from claude-env.yml', () => {
  it('reads the notifications of SPEC\'s example, secrets kept as references', () => {
    const text = [
      'version: 1',
      'notifications:',
      '  - { type: slack, url_secret: !secret env:SLACK_WEBHOOK, on: [drift.critical, rollout.failed] }',
      '  - { type: email, smtp_secret: !secret env:SMTP_URL, from: claude-env@example.com, to: [platform@example.com], on: [rollout.awaiting-approval] }',
    ].join('\n');
    const doc = parseYaml(text, 'claude-env.yml' as RepoPath, 'base').value as { notifications: Value };
    const [slackChannel, mail] = channelsFromSettings(doc.notifications);
    assert.ok(slackChannel?.url_secret instanceof SecretValue && slackChannel.url_secret.ref === 'SLACK_WEBHOOK');
    assert.deepEqual(slackChannel.on, ['drift.critical', 'rollout.failed']);
    assert.deepEqual([mail?.type, mail?.from, mail?.to], ['email', 'claude-env@example.com', ['platform@example.com']]);
  });
});

describe('notify: redaction and backoff', () => {
  it('hides a URL secret and its token wherever the token travels alone', () => {
    const redact = createRedactor([`https://hooks.example.com/services/T0/B0/${CANARY}`, `smtp://u:${CANARY}x@mail.example.com`]);
    for (const text of [`posting to https://hooks.example.com/services/T0/B0/${CANARY}`, `path /services/T0/B0/${CANARY} failed`, `token ${CANARY}`, `auth ${CANARY}x`]) {
      assert.ok(!redact(text).includes(CANARY), text);
    }
  });
  it('backs off exponentially up to maxMs, with jitter inside each step', () => {
    const retry = { attempts: 5, baseMs: 100, maxMs: 1_000 };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffMs(n, retry, () => 0)), [50, 100, 200, 400, 500]);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffMs(n, retry, () => 0.999_999)), [100, 200, 400, 800, 1_000]);
    assert.equal(backoffMs(1, retry, () => 0, 5_000), 1_000);
  });
});

describe('notify: delivery to real receivers', { timeout: 20_000 }, () => {
  let slack: Receiver;
  let teams: Receiver;
  let hook: Receiver;
  let quiet: Receiver;
  let smtp: MailReceiver;
  let env: Record<string, string>;
  before(async () => {
    [slack, teams, hook, quiet, smtp] = await Promise.all([receiver(), receiver(() => 202), receiver(), receiver(), smtpReceiver()]);
    env = {
      SLACK_URL: `${slack.base}/services/T0/B0/${CANARY}`,
      TEAMS_URL: `${teams.base}/workflows/run?sig=${CANARY}`,
      HOOK_URL: `${hook.base}/hook/${CANARY}`,
      HOOK_KEY: CANARY,
      HOOK_TOKEN: `Bearer ${CANARY}`,
      SMTP_URL: `smtp://claude-env:${CANARY}@127.0.0.1:${smtp.port}`,
    };
  });
  after(async () => {
    await Promise.all([slack, teams, hook, quiet, smtp].map((r) => r?.close()));
  });

  it('sends one event to slack, teams, a signed webhook and email, each in its shape, and no secret in any of them', async () => {
    const log: NotifyLogEntry[] = [];
    const notifier = new Notifier(
      options(
        [
          { type: 'slack', url_secret: secret('SLACK_URL'), on: ['rollout.failed'] },
          { type: 'teams', url_secret: secret('TEAMS_URL'), on: ['*'] },
          { type: 'webhook', url_secret: secret('HOOK_URL'), secret: secret('HOOK_KEY'), headers: { Authorization: secret('HOOK_TOKEN'), 'X-Team': 'platform' }, on: ['*'] },
          { type: 'email', smtp_secret: secret('SMTP_URL'), from: 'claude-env@example.com', to: ['platform@example.com', 'oncall@example.com'], subject_prefix: '[ce]', on: ['rollout.failed'] },
          { type: 'webhook', url: `${quiet.base}/other`, on: ['mcp.down'] },
        ],
        env,
        log,
      ),
    );
    const result = await notifier.send(FAILED);
    const line = 'rollout.failed production: canary step 1 (10 %) failed 3/10 &gt; 5 %, rolled back to abc1234';

    assert.deepEqual(result.outcomes.map((o) => [o.channel, o.status, o.attempts]), [
      ['notifications[0] (slack)', 'delivered', 1],
      ['notifications[1] (teams)', 'delivered', 1],
      ['notifications[2] (webhook)', 'delivered', 1],
      ['notifications[3] (email)', 'delivered', 1],
    ]);
    // a channel whose `on` does not name the event gets nothing
    assert.equal(quiet.got.length, 0);

    // Slack: incoming webhook {text, blocks}
    const s = JSON.parse(slack.got[0]!.body.toString('utf8')) as { text: string; blocks: { type: string }[] };
    assert.equal(slack.got[0]!.path, `/services/T0/B0/${CANARY}`);
    assert.equal(s.text, line);
    assert.deepEqual(s.blocks.map((b) => b.type), ['section', 'context']);

    // Teams: a message with one Adaptive Card
    const t = JSON.parse(teams.got[0]!.body.toString('utf8')) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string }[] } }[] };
    assert.equal(t.type, 'message');
    assert.equal(t.attachments.length, 1);
    assert.equal(t.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(t.attachments[0]!.content.type, 'AdaptiveCard');
    assert.equal(t.attachments[0]!.content.body[0]!.text, line.replace('&gt;', '>'));

    // Webhook: the event as JSON, signed over the exact bytes, with the event name and an idempotency id
    const h = hook.got[0]!;
    assert.ok(verifySignature(CANARY, h.body, h.headers[SIGNATURE_HEADER.toLowerCase()]), 'X-Signature verifies');
    assert.ok(!verifySignature('another key', h.body, h.headers[SIGNATURE_HEADER.toLowerCase()]));
    assert.equal(h.headers[EVENT_HEADER.toLowerCase()], 'rollout.failed');
    assert.equal(h.headers[DELIVERY_HEADER.toLowerCase()], 'ce-41-2');
    assert.equal(h.headers['idempotency-key'], 'ce-41-2');
    assert.equal(h.headers['authorization'], `Bearer ${CANARY}`, 'a configured secret header reaches its receiver');
    assert.equal(h.headers['x-team'], 'platform');
    const w = JSON.parse(h.body.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual({ type: w['type'], environment: w['environment'], event: w['event'], detail: w['detail'] }, { type: 'rollout.failed', environment: 'production', event: 41, detail: FAILED.detail });

    // Email: one mail through SMTP, authenticated with the secret's password
    assert.equal(smtp.mails.length, 1);
    assert.deepEqual(smtp.passwords, [CANARY]);
    const mail = smtp.mails[0]!;
    assert.equal(mail.from, 'claude-env@example.com');
    assert.deepEqual(mail.to, ['platform@example.com', 'oncall@example.com']);
    assert.match(mail.raw, /^Subject: \[ce\] rollout\.failed production: canary step 1/m);
    assert.match(mail.raw, /rolled back to abc1234/);

    // the canary is in no body, no header we add (but the one configured for it), no log line and no outcome
    for (const r of [slack.got[0]!, teams.got[0]!, h]) {
      assert.ok(!r.body.toString('utf8').includes(CANARY), `body to ${r.path.slice(0, 6)}`);
      const { authorization: _auth, ...ours } = r.headers;
      assert.ok(!JSON.stringify(ours).includes(CANARY), 'headers');
    }
    assert.ok(!mail.raw.includes(CANARY), 'mail');
    assert.ok(!JSON.stringify(log).includes(CANARY), 'log');
    assert.ok(!JSON.stringify(result).includes(CANARY), 'outcome');
  });

  it('redacts a secret that an event detail holds, and says so in the log', async () => {
    const log: NotifyLogEntry[] = [];
    const before = hook.got.length;
    const notifier = new Notifier(options([{ type: 'webhook', url_secret: secret('HOOK_URL'), secret: secret('HOOK_KEY'), on: ['mcp.down'] }], env, log));
    const result = await notifier.send({ id: 42, type: 'mcp.down', at: 0, environment: 'staging', detail: { server: 'github', error: `401 with token ${CANARY}` } });
    assert.equal(result.outcomes[0]?.status, 'delivered');
    const body = hook.got[before]!.body.toString('utf8');
    assert.ok(!body.includes(CANARY));
    assert.match(body, /401 with token «redacted»/);
    assert.ok(log.some((e) => e.code === 'notify-secret-in-event'));
    assert.ok(!JSON.stringify(log).includes(CANARY));
  });

  it('retries a receiver that fails twice, delivers once, and suppresses a duplicate within the window', async () => {
    const flaky = await receiver((n) => (n <= 2 ? 500 : 200));
    try {
      const log: NotifyLogEntry[] = [];
      let clock = 1_000_000;
      const waits: number[] = [];
      const notifier = new Notifier(
        options([{ type: 'webhook', url: `${flaky.base}/hook`, on: ['rollout.completed'] }], env, log, {
          now: () => clock,
          sleep: async (ms) => void waits.push(ms),
          retry: { attempts: 5, baseMs: 100, maxMs: 1_000 },
          random: () => 0.5,
          dedupeWindowMs: 60_000,
        }),
      );
      const done: NotifyEvent = { id: 50, type: 'rollout.completed', at: 0, environment: 'staging', detail: { revision: 'abc1234' } };
      const first = await notifier.send(done);
      assert.deepEqual(first.outcomes.map((o) => [o.status, o.attempts]), [['delivered', 3]]);
      assert.deepEqual(waits, [75, 150]);
      assert.deepEqual(flaky.got.map((r) => r.headers[DELIVERY_HEADER.toLowerCase()]), ['ce-50-0', 'ce-50-0', 'ce-50-0'], 'one idempotency id on every attempt');

      // the same event again (as a second leader would send it, with a new row id) within the window
      clock += 30_000;
      const again = await notifier.send({ ...done, id: 51 });
      assert.deepEqual(again.outcomes.map((o) => [o.status, o.attempts]), [['suppressed', 0]]);
      assert.equal(flaky.got.length, 3);
      assert.deepEqual(flaky.got.map((r) => r.status), [500, 500, 200], 'accepted exactly once');

      // another revision is another event; after the window the same one goes out again
      assert.equal((await notifier.send({ ...done, id: 52, detail: { revision: 'def5678' } })).outcomes[0]?.status, 'delivered');
      clock += 60_001;
      assert.equal((await notifier.send({ ...done, id: 53 })).outcomes[0]?.status, 'delivered');
    } finally {
      await flaky.close();
    }
  });

  it('gives up at once on a receiver that refuses the request (4xx), with the error code', async () => {
    const refusing = await receiver(() => 403);
    try {
      const log: NotifyLogEntry[] = [];
      const notifier = new Notifier(options([{ type: 'webhook', url: `${refusing.base}/hook/${CANARY}`, on: ['*'] }], env, log));
      const { outcomes } = await notifier.send(FAILED);
      assert.equal(outcomes[0]?.status, 'failed');
      assert.equal(outcomes[0]?.attempts, 1);
      assert.equal(outcomes[0]?.error?.code, 'notify-http-status');
      assert.match(outcomes[0]?.error?.message ?? '', /HTTP 403/);
    } finally {
      await refusing.close();
    }
  });

  it('does not let a channel that is down delay the others', async () => {
    const port = await deadPort();
    const log: NotifyLogEntry[] = [];
    const ok = await receiver();
    try {
      env['DOWN_URL'] = `http://127.0.0.1:${port}/services/${CANARY}`;
      const notifier = new Notifier(
        options(
          [
            { type: 'slack', url_secret: secret('DOWN_URL'), on: ['*'] },
            { type: 'webhook', url: `${ok.base}/hook`, secret: secret('HOOK_KEY'), on: ['*'] },
            { type: 'email', smtp_secret: secret('SMTP_URL'), from: 'claude-env@example.com', to: ['platform@example.com'], on: ['*'] },
          ],
          env,
          log,
          { retry: { attempts: 4, baseMs: 100, maxMs: 200 } },
        ),
      );
      const mailsBefore = smtp.mails.length;
      const start = performance.now();
      const { outcomes } = await notifier.send({ ...FAILED, id: 60 });
      const end = performance.now();
      const [down, hookOutcome, mailOutcome] = outcomes;
      assert.deepEqual([down?.status, down?.attempts, down?.error?.code], ['failed', 4, 'notify-network']);
      assert.match(down?.error?.message ?? '', /ECONNREFUSED/);
      assert.equal(hookOutcome?.status, 'delivered');
      assert.equal(mailOutcome?.status, 'delivered');
      // the others arrived before the dead one gave up (its backoff alone is ≥ 50 + 100 + 100 ms)
      const webhookAt = ok.got[0]!.t;
      const mailAt = smtp.mails[mailsBefore]!.t;
      assert.ok(end - start >= 250, `gave up after ${Math.round(end - start)} ms`);
      assert.ok(webhookAt - start < (end - start) / 2, `webhook at ${Math.round(webhookAt - start)} ms of ${Math.round(end - start)}`);
      assert.ok(mailAt - start < end - start - 100, `mail at ${Math.round(mailAt - start)} ms of ${Math.round(end - start)}`);
      assert.ok(hookOutcome!.ms < down!.ms && mailOutcome!.ms < down!.ms);
      assert.ok(!JSON.stringify(log).includes(CANARY) && !JSON.stringify(outcomes).includes(CANARY));
      assert.ok(!JSON.stringify(log).includes(String(port)), 'the dead URL is not logged either');
    } finally {
      delete env['DOWN_URL'];
      await ok.close();
    }
  });

  it('reports a secret that cannot be resolved as that channel\'s failure, and delivers the rest', async () => {
    const log: NotifyLogEntry[] = [];
    const before = hook.got.length;
    const notifier = new Notifier(
      options(
        [
          { type: 'slack', url_secret: secret('NOT_SET'), on: ['*'] },
          { type: 'webhook', url_secret: secret('HOOK_URL'), on: ['*'] },
        ],
        env,
        log,
      ),
    );
    const { outcomes } = await notifier.send({ ...FAILED, id: 70 });
    assert.deepEqual(outcomes.map((o) => [o.status, o.attempts, o.error?.code]), [
      ['failed', 0, 'secret-unresolved'],
      ['delivered', 1, undefined],
    ]);
    assert.equal(hook.got.length, before + 1);
  });
});
