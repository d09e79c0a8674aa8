/**
 * The notifier: routes each controller event to every channel of
 * claude-env.yml `notifications` whose `on` names it, resolves the channels'
 * secrets on this machine, and delivers to each channel on its own (retries
 * with exponential backoff and jitter; one channel that is down never holds
 * up the others). A duplicate of an event already delivered (or being
 * delivered) to a channel within the dedupe window is suppressed there.
 * Everything that leaves it (bodies, headers we add, log lines, outcomes)
 * passed through a redactor that knows every resolved secret. All state
 * (the dedupe window) belongs to the instance, so its owner decides its life.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { SecretValue, type Value } from '../../provenance/tree.js';
import { NOTIFICATION_TYPES } from '../../schema/repo.js';
import { DeliveryError, listens, SENDERS, type ChannelType, type Delivery, type ResolvedChannel, type Sender } from './channels.js';
import { renderEvent, type NotifyEvent } from './render.js';

/** A value of a channel: as written, or a `!secret`/`!encrypted` reference resolved at send time. */
export type SecretOr = string | SecretValue;

/** One entry of claude-env.yml `notifications` (see schema/repo.ts), secrets unresolved. */
export interface ChannelConfig {
  readonly type: ChannelType;
  readonly on: readonly string[];
  readonly url?: string | undefined;
  readonly url_secret?: SecretOr | undefined;
  readonly secret?: SecretOr | undefined;
  readonly headers?: Readonly<Record<string, SecretOr>> | undefined;
  readonly smtp?: string | undefined;
  readonly smtp_secret?: SecretOr | undefined;
  readonly from?: string | undefined;
  readonly to?: readonly string[] | undefined;
  readonly subject_prefix?: string | undefined;
}

export interface NotifyLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly code: string;
  /** Redacted. */
  readonly message: string;
  readonly channel?: string;
  readonly event?: string;
}

export interface RetryPolicy {
  /** Attempts in all (1: no retry). */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface NotifierOptions {
  readonly channels: readonly ChannelConfig[];
  /** Turns a secret reference into its value on this machine (secrets/resolve.ts `createSecretResolver`). */
  readonly resolveSecret: (value: SecretValue) => Promise<string>;
  readonly now: () => number;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** In [0, 1): the jitter of the backoff. */
  readonly random?: (() => number) | undefined;
  readonly log: (entry: NotifyLogEntry) => void;
  readonly retry: RetryPolicy;
  readonly dedupeWindowMs: number;
  /** Time one attempt may take (default 10 s). */
  readonly attemptTimeoutMs?: number | undefined;
}

export type ChannelStatus = 'delivered' | 'failed' | 'suppressed';

/** What happened on one channel: data, never a secret. */
export interface ChannelOutcome {
  /** `notifications[2] (webhook)`: the entry of claude-env.yml. */
  readonly channel: string;
  readonly type: ChannelType;
  readonly status: ChannelStatus;
  readonly delivered: boolean;
  readonly attempts: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** From the call of send() to the last attempt's end. */
  readonly ms: number;
}

export interface SendResult {
  readonly event: NotifyEvent['id'];
  readonly type: string;
  readonly outcomes: readonly ChannelOutcome[];
}

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** Fragments shorter than this are not redacted (they would mangle every message); secrets are longer. */
const MIN_SECRET_LENGTH = 4;
/** At most this many dedupe entries are kept (the oldest go first). */
const MAX_DEDUPE_ENTRIES = 10_000;
const REDACTED = '«redacted»';
/** Detail fields that tell one occurrence of an event type from another. */
const DEDUPE_FIELDS = ['dedupe_key', 'revision', 'rollout', 'step', 'machine', 'server', 'severity'] as const;

/** Replaces every known secret (and the parts of it that travel alone, such as a URL's token) in a text. */
export type Redactor = (text: string) => string;

/** The fragments of a secret to hide: the value, its JSON and URL encodings, a URL's password, path tokens and query values. */
export function secretFragments(value: string): string[] {
  const out = new Set<string>([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  let url: URL | undefined;
  try {
    url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url) {
    if (url.password) {
      out.add(url.password);
      out.add(safeDecode(url.password));
    }
    if (url.pathname.length > 1 || url.search) out.add(`${url.pathname}${url.search}`);
    for (const segment of url.pathname.split('/')) if (segment.length >= 12) out.add(segment).add(safeDecode(segment));
    for (const [, v] of url.searchParams) if (v.length >= 8) out.add(v).add(encodeURIComponent(v));
  }
  return [...out].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createRedactor(secrets: Iterable<string>): Redactor {
  const fragments = [...new Set([...secrets].flatMap(secretFragments))].sort((a, b) => b.length - a.length);
  return (text) => fragments.reduce((t, f) => (t.includes(f) ? t.split(f).join(REDACTED) : t), text);
}

/** Every string of a JSON-like value redacted (keys too); `changed` tells whether any held a secret. */
function redactDeep(value: unknown, redact: Redactor, seen: { changed: boolean }): unknown {
  if (typeof value === 'string') {
    const r = redact(value);
    if (r !== value) seen.changed = true;
    return r;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact, seen));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactDeep(k, redact, seen) as string, redactDeep(v, redact, seen)]));
  }
  return value;
}

/** Same type, environment and identifying detail (revision, step, machine…; the whole detail when it has none of them). */
export function dedupeKey(event: NotifyEvent): string {
  const d = event.detail ?? {};
  const picked = DEDUPE_FIELDS.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]);
  return JSON.stringify([event.type, event.environment, picked.length > 0 ? picked : canonical(d)]);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) return Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]);
  return v;
}

/** Exponential backoff with jitter: half the step fixed, half random; a Retry-After is honoured up to maxMs. */
export function backoffMs(attempt: number, retry: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const step = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
  const jittered = step / 2 + random() * (step / 2);
  return Math.round(retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, retry.maxMs)));
}

const label = (index: number, type: ChannelType): string => `notifications[${index}] (${type})`;

async function value(v: SecretOr | undefined, resolve: NotifierOptions['resolveSecret'], secrets: string[]): Promise<string | undefined> {
  if (v === undefined) return undefined;
  if (!(v instanceof SecretValue)) return v;
  const resolved = await resolve(v);
  secrets.push(resolved);
  return resolved;
}

/** A channel with its secrets resolved; every resolved value is added to `secrets`. */
async function resolveChannel(c: ChannelConfig, resolve: NotifierOptions['resolveSecret'], secrets: string[]): Promise<ResolvedChannel> {
  switch (c.type) {
    case 'slack':
    case 'teams':
    case 'webhook': {
      const url = (await value(c.url_secret, resolve, secrets)) ?? c.url;
      if (!url) throw new DeliveryError('notify-config', 'the channel has no url or url_secret', false);
      if (c.type !== 'webhook') return { type: c.type, url };
      const headers: Record<string, string> = {};
      for (const [name, v] of Object.entries(c.headers ?? {})) headers[name] = (await value(v, resolve, secrets)) ?? '';
      return { type: 'webhook', url, secret: await value(c.secret, resolve, secrets), headers };
    }
    case 'email': {
      const smtp = (await value(c.smtp_secret, resolve, secrets)) ?? c.smtp;
      if (!smtp || !c.from || !c.to || c.to.length === 0) throw new DeliveryError('notify-config', 'the email channel needs smtp_secret (or smtp), from and to', false);
      return { type: 'email', smtp, from: c.from, to: c.to, subjectPrefix: c.subject_prefix };
    }
  }
}

export class Notifier {
  readonly #opts: NotifierOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  /** Per channel and dedupe key: until when a re-send is suppressed. */
  readonly #recent = new Map<string, number>();

  constructor(options: NotifierOptions) {
    if (options.retry.attempts < 1) throw new RangeError('retry.attempts must be at least 1');
    for (const c of options.channels) {
      if (!(NOTIFICATION_TYPES as readonly string[]).includes(c.type)) throw new RangeError(`unknown notification type ${String(c.type)}`);
    }
    this.#opts = options;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#random = options.random ?? Math.random;
  }

  /** Deliver one event to every channel that takes it; resolves when each has delivered, given up or been suppressed. Never rejects. */
  async send(event: NotifyEvent): Promise<SendResult> {
    const started = this.#opts.now();
    this.#prune(started);
    const targets = this.#opts.channels.flatMap((c, i) => (listens(c.on, event.type) ? [{ c, i }] : []));
    if (targets.length === 0) return { event: event.id, type: event.type, outcomes: [] };

    // Resolve every channel (not only the targets): no channel's secret may reach another's message.
    const secrets: string[] = [];
    const resolved = await Promise.allSettled(this.#opts.channels.map((c) => resolveChannel(c, this.#opts.resolveSecret, secrets)));
    const redact = createRedactor(secrets);

    const seen = { changed: false };
    const safe = redactDeep(event, redact, seen) as NotifyEvent;
    if (seen.changed) {
      this.#log(redact, { level: 'warn', code: 'notify-secret-in-event', message: `event ${String(event.id)} (${event.type}) held a secret value; it was redacted`, event: event.type });
    }
    const rendered = renderEvent(safe);
    const message = { text: redact(rendered.text), fields: rendered.fields.map(([k, v]) => [redact(k), redact(v)] as const) };
    const key = dedupeKey(event);

    const outcomes = await Promise.all(
      targets.map(({ c, i }) => {
        const r = resolved[i]!;
        const delivery: Delivery = { event: safe, rendered: message, deliveryId: `ce-${String(event.id)}-${i}` };
        return this.#deliver(i, c.type, r, delivery, `${i}\0${key}`, redact, started);
      }),
    );
    return { event: event.id, type: event.type, outcomes };
  }

  async #deliver(
    index: number,
    type: ChannelType,
    resolved: PromiseSettledResult<ResolvedChannel>,
    delivery: Delivery,
    dedupe: string,
    redact: Redactor,
    started: number,
  ): Promise<ChannelOutcome> {
    const channel = label(index, type);
    const ms = (): number => this.#opts.now() - started;
    const until = this.#recent.get(dedupe);
    if (until !== undefined && until > started) {
      this.#log(redact, { level: 'info', code: 'notify-duplicate', message: `${delivery.event.type} already sent to ${channel}; suppressed`, channel, event: delivery.event.type });
      return { channel, type, status: 'suppressed', delivered: false, attempts: 0, ms: ms() };
    }
    if (resolved.status === 'rejected') {
      const error = describe(resolved.reason, redact);
      this.#log(redact, { level: 'error', code: error.code, message: `${channel}: ${error.message}`, channel, event: delivery.event.type });
      return { channel, type, status: 'failed', delivered: false, attempts: 0, error, ms: ms() };
    }
    this.#remember(dedupe, started);
    const sender = SENDERS[type] as Sender;
    const timeoutMs = this.#opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const { retry } = this.#opts;
    let last: { code: string; message: string } = { code: 'notify-failed', message: 'not sent' };
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      try {
        await sender(delivery, resolved.value, { signal: AbortSignal.timeout(timeoutMs), timeoutMs });
        this.#log(redact, { level: 'info', code: 'notify-delivered', message: `${delivery.event.type} delivered to ${channel} (attempt ${attempt})`, channel, event: delivery.event.type });
        this.#remember(dedupe, this.#opts.now());
        return { channel, type, status: 'delivered', delivered: true, attempts: attempt, ms: ms() };
      } catch (err) {
        last = describe(err, redact);
        const retryable = err instanceof DeliveryError ? err.retryable : true;
        if (!retryable || attempt === retry.attempts) {
          this.#recent.delete(dedupe); // a later re-send may try again
          this.#log(redact, { level: 'error', code: last.code, message: `${channel}: gave up on ${delivery.event.type} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${last.message}`, channel, event: delivery.event.type });
          return { channel, type, status: 'failed', delivered: false, attempts: attempt, error: last, ms: ms() };
        }
        const wait = backoffMs(attempt, retry, this.#random, err instanceof DeliveryError ? err.retryAfterMs : undefined);
        this.#log(redact, { level: 'warn', code: last.code, message: `${channel}: attempt ${attempt} failed (${last.message}); next in ${wait} ms`, channel, event: delivery.event.type });
        await this.#sleep(wait);
      }
    }
    return { channel, type, status: 'failed', delivered: false, attempts: retry.attempts, error: last, ms: ms() };
  }

  #remember(dedupe: string, at: number): void {
    this.#recent.delete(dedupe);
    this.#recent.set(dedupe, at + this.#opts.dedupeWindowMs);
    while (this.#recent.size > MAX_DEDUPE_ENTRIES) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  #prune(now: number): void {
    for (const [k, until] of this.#recent) if (until <= now) this.#recent.delete(k);
  }

  #log(redact: Redactor, entry: NotifyLogEntry): void {
    try {
      this.#opts.log({ ...entry, message: redact(entry.message) });
    } catch {
      // A failing logger must not stop a delivery.
    }
  }
}

/** An error as an outcome: its code and redacted message; anything without a code is `notify-failed`. */
function describe(err: unknown, redact: Redactor): { code: string; message: string } {
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : 'notify-failed';
  const message = err instanceof Error ? err.message : String(err);
  return { code, message: redact(message) };
}

/**
 * The `notifications` of a loaded claude-env.yml (already schema-valid) as
 * channel configs; secrets stay SecretValues until send time.
 */
export function channelsFromSettings(notifications: Value | undefined): ChannelConfig[] {
  if (!Array.isArray(notifications)) return [];
  const text = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const secretOr = (v: Value | undefined): SecretOr | undefined => (v instanceof SecretValue || typeof v === 'string' ? v : undefined);
  const strings = (v: Value | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return notifications.flatMap((n): ChannelConfig[] => {
    if (typeof n !== 'object' || n === null || Array.isArray(n) || n instanceof SecretValue) return [];
    const type = n['type'];
    if (typeof type !== 'string' || !(NOTIFICATION_TYPES as readonly string[]).includes(type)) return [];
    const rawHeaders = n['headers'];
    const headers: Record<string, SecretOr> = {};
    if (typeof rawHeaders === 'object' && rawHeaders !== null && !Array.isArray(rawHeaders) && !(rawHeaders instanceof SecretValue)) {
      for (const [k, v] of Object.entries(rawHeaders)) {
        const s = secretOr(v);
        if (s !== undefined) headers[k] = s;
      }
    }
    return [
      {
        type: type as ChannelType,
        on: strings(n['on']),
        url: text(n['url']),
        url_secret: secretOr(n['url_secret']),
        secret: secretOr(n['secret']),
        headers,
        smtp: text(n['smtp']),
        smtp_secret: secretOr(n['smtp_secret']),
        from: text(n['from']),
        to: strings(n['to']),
        subject_prefix: text(n['subject_prefix']),
      },
    ];
  });
}
