/**
 * One sender per channel type: a function from a delivery (the event, already
 * redacted, and its rendered text) and a resolved channel to one attempt at
 * sending it. Slack, Teams and webhooks go through Node's global `fetch`,
 * email through nodemailer's SMTP transport (loaded only when a mail goes
 * out). A sender never retries and never logs; it throws a DeliveryError that
 * says whether trying again may help. Error messages never name a URL or a
 * server's address: those can hold tokens.
 */
import { createHmac } from 'node:crypto';
import { ClaudeEnvError } from '../../errors.js';
import type { NotificationEvent } from '../../schema/repo.js';
import type { NotifyEvent, RenderedEvent } from './render.js';

export type ChannelType = 'slack' | 'teams' | 'webhook' | 'email';

/** A channel with its secrets resolved: lives in memory only, never logged. */
export type ResolvedChannel =
  | { readonly type: 'slack' | 'teams'; readonly url: string }
  | { readonly type: 'webhook'; readonly url: string; readonly secret: string | undefined; readonly headers: Readonly<Record<string, string>> }
  | {
      readonly type: 'email';
      /** smtp:// or smtps:// URL, with its credentials. */
      readonly smtp: string;
      readonly from: string;
      readonly to: readonly string[];
      readonly subjectPrefix: string | undefined;
    };

/** What one channel sends for one event (already passed through the redactor). */
export interface Delivery {
  readonly event: NotifyEvent;
  readonly rendered: RenderedEvent;
  /** The same on every attempt and every re-send of this event to this channel: receivers dedupe by it. */
  readonly deliveryId: string;
}

export interface SendContext {
  /** Ends the attempt (per-attempt timeout). */
  readonly signal: AbortSignal;
  /** Time a mail attempt may take (SMTP has no AbortSignal). */
  readonly timeoutMs: number;
}

export type Sender<C extends ResolvedChannel = ResolvedChannel> = (delivery: Delivery, channel: C, ctx: SendContext) => Promise<void>;

/** A failed attempt. `retryable`: a later attempt may succeed (network, 5xx, 429, SMTP 4xx). */
export class DeliveryError extends ClaudeEnvError {
  readonly retryable: boolean;
  /** The receiver's Retry-After, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, retryable: boolean, options: { cause?: unknown; retryAfterMs?: number | undefined } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const SIGNATURE_HEADER = 'X-Signature';
export const EVENT_HEADER = 'X-Claude-Env-Event';
export const DELIVERY_HEADER = 'X-Claude-Env-Delivery';

/** `sha256=<hex>` of the exact body bytes, as a receiver recomputes it. */
export function signature(key: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** POST one body; a non-2xx answer or a network failure becomes a DeliveryError. */
async function post(what: ChannelType, url: string, body: Uint8Array, headers: Record<string, string>, ctx: SendContext): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers, signal: ctx.signal, redirect: 'error' });
  } catch (err) {
    if (ctx.signal.aborted) throw new DeliveryError('notify-timeout', `the ${what} receiver did not answer in time`, true);
    const code = networkCode(err);
    throw new DeliveryError('notify-network', `cannot reach the ${what} receiver${code ? ` (${code})` : ''}`, true);
  }
  // Read (and drop) the body so the connection is released.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const status = response.status;
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new DeliveryError('notify-http-status', `the ${what} receiver answered HTTP ${status}`, retryable, {
    retryAfterMs: retryAfter(response.headers.get('retry-after')),
  });
}

function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : undefined;
}

function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** Slack mrkdwn treats &, < and > as markup. */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The body of a Slack incoming webhook: `text` (notifications, fallbacks) and the same in blocks. */
export function slackPayload(d: Delivery): Record<string, unknown> {
  const text = slackEscape(d.rendered.text);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(d.rendered.fields.map(([k, v]) => `${k}: ${v}`).join(' · ')) }] },
    ],
  };
}

/** The body of a Teams workflow webhook ("When a Teams webhook request is received"): one Adaptive Card. */
export function teamsPayload(d: Delivery): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: d.rendered.text, wrap: true, weight: 'Bolder' },
            { type: 'FactSet', facts: d.rendered.fields.map(([title, value]) => ({ title, value })) },
          ],
        },
      },
    ],
  };
}

/** The body of a generic webhook: the event itself, plus its line of text. */
export function webhookPayload(d: Delivery): Record<string, unknown> {
  const e = d.event;
  return {
    id: d.deliveryId,
    event: e.id,
    type: e.type,
    at: new Date(e.at).toISOString(),
    environment: e.environment,
    detail: e.detail,
    text: d.rendered.text,
  };
}

export const sendSlack: Sender<Extract<ResolvedChannel, { type: 'slack' | 'teams' }>> = (d, c, ctx) =>
  post('slack', c.url, json(slackPayload(d)), { ...JSON_HEADERS }, ctx);

export const sendTeams: Sender<Extract<ResolvedChannel, { type: 'slack' | 'teams' }>> = (d, c, ctx) =>
  post('teams', c.url, json(teamsPayload(d)), { ...JSON_HEADERS }, ctx);

export const sendWebhook: Sender<Extract<ResolvedChannel, { type: 'webhook' }>> = (d, c, ctx) => {
  const body = json(webhookPayload(d));
  // Ours last: a configured header cannot replace the signature or the ids.
  const headers: Record<string, string> = { ...c.headers, ...JSON_HEADERS, [EVENT_HEADER]: d.event.type, [DELIVERY_HEADER]: d.deliveryId, 'Idempotency-Key': d.deliveryId };
  if (c.secret !== undefined) headers[SIGNATURE_HEADER] = signature(c.secret, body);
  return post('webhook', c.url, body, headers, ctx);
};

/** SMTP reply codes 4xx and lost connections are worth another try; 5xx and bad credentials are not. */
function mailError(err: unknown): DeliveryError {
  const e = err as { code?: unknown; responseCode?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (responseCode !== undefined) {
    return new DeliveryError('notify-smtp', `the SMTP server refused the mail (${responseCode}${code ? ` ${code}` : ''})`, responseCode < 500);
  }
  const permanent = code === 'EAUTH' || code === 'EENVELOPE' || code === 'EMESSAGE';
  if (code === 'ETIMEDOUT') return new DeliveryError('notify-timeout', 'the SMTP server did not answer in time', true);
  return new DeliveryError(permanent ? 'notify-smtp' : 'notify-network', `cannot send the mail${code ? ` (${code})` : ''}`, !permanent);
}

export const sendEmail: Sender<Extract<ResolvedChannel, { type: 'email' }>> = async (d, c, ctx) => {
  const { createTransport } = await import('nodemailer');
  let transport: ReturnType<typeof createTransport>;
  try {
    transport = createTransport({
      url: c.smtp,
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
      logger: false,
      debug: false,
    } as Parameters<typeof createTransport>[0]);
  } catch {
    throw new DeliveryError('notify-config', 'the SMTP URL of the email channel is not valid', false);
  }
  const subject = `${c.subjectPrefix ?? '[claude-env]'} ${d.rendered.text}`.slice(0, 200);
  const text = `${d.rendered.text}\n\n${d.rendered.fields.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
  try {
    await transport.sendMail({
      from: c.from,
      to: [...c.to],
      subject,
      text,
      headers: { [EVENT_HEADER]: d.event.type, [DELIVERY_HEADER]: d.deliveryId },
    });
  } catch (err) {
    throw mailError(err);
  } finally {
    transport.close();
  }
};

/** The sender of each type. */
export const SENDERS: { readonly [T in ChannelType]: Sender<Extract<ResolvedChannel, { type: T }>> } = Object.freeze({
  slack: sendSlack,
  teams: sendTeams,
  webhook: sendWebhook,
  email: sendEmail,
});

/** Whether a channel's `on` list takes this event type. */
export function listens(on: readonly string[], type: string): boolean {
  return on.includes('*') || on.includes(type as NotificationEvent);
}
