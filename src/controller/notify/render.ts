/**
 * What a notification says: an event of the store (EventRow) as a short line
 * a person reads in Slack, Teams or a mail subject, plus a few fields. Pure:
 * no I/O, no secrets (the notifier redacts the event before it gets here, and
 * the text again after).
 */
import type { EventRow } from '../db/store.js';

/** One event, as the notifier sends it: the store row with its detail parsed. */
export interface NotifyEvent {
  readonly id: number | string;
  readonly type: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly environment: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export interface RenderedEvent {
  /** One line: `rollout.failed production: canary step 1 (10 %) failed 3/10 > 5 %, rolled back to abc1234`. */
  readonly text: string;
  /** Extra facts, in order, for cards and mail bodies. */
  readonly fields: readonly (readonly [name: string, value: string])[];
}

/** A store row as an event to send; a detail that is not a JSON object becomes `{ value: … }`. */
export function eventFromRow(row: EventRow): NotifyEvent {
  let detail: Record<string, unknown> | null = null;
  if (row.detail !== null) {
    try {
      const parsed: unknown = JSON.parse(row.detail);
      detail = isRecord(parsed) ? parsed : { value: parsed };
    } catch {
      detail = { value: row.detail };
    }
  }
  return { id: row.id, type: row.type, at: row.at, environment: row.environment, detail };
}

const short = (rev: unknown): string | undefined => (typeof rev === 'string' && rev.length > 0 ? rev.slice(0, 7) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined);
const pct = (rate: number): string => `${Math.round(rate * 1000) / 10} %`;

/** `canary step 1 (10 %)` from whatever of strategy, step and percent the detail has. */
function stepPhrase(d: Readonly<Record<string, unknown>>): string | undefined {
  const step = num(d['step']);
  if (step === undefined) return undefined;
  const percent = num(d['percent']);
  const strategy = str(d['strategy']);
  return `${strategy ? `${strategy} ` : ''}step ${step}${percent === undefined ? '' : ` (${percent} %)`}`;
}

function failurePhrase(d: Readonly<Record<string, unknown>>): string | undefined {
  const failed = num(d['failed']);
  const total = num(d['total']) ?? num(d['reported']);
  if (failed === undefined || total === undefined) return undefined;
  const threshold = num(d['max_failure_rate']) ?? num(d['threshold']);
  return `failed ${failed}/${total}${threshold === undefined ? '' : ` > ${pct(threshold)}`}`;
}

function summary(type: string, d: Readonly<Record<string, unknown>>): string {
  const rev = short(d['revision']);
  const step = stepPhrase(d);
  const by = str(d['by']) ?? str(d['actor']);
  const reason = str(d['reason']);
  const parts = (...p: (string | undefined | false)[]): string => p.filter((x): x is string => typeof x === 'string' && x.length > 0).join(' ');
  switch (type) {
    case 'sync.succeeded':
      return parts(`revision ${rev ?? '?'} is valid`, Array.isArray(d['environments']) ? `(${(d['environments'] as unknown[]).map(String).join(', ')})` : undefined);
    case 'sync.failed': {
      const errors = num(d['errors']) ?? (Array.isArray(d['errors']) ? d['errors'].length : undefined);
      return parts(`revision ${rev ?? '?'} failed validation`, errors === undefined ? undefined : `with ${errors} error${errors === 1 ? '' : 's'}`);
    }
    case 'rollout.started':
      return parts(`rollout of ${rev ?? '?'} started`, str(d['strategy']) && `(${str(d['strategy'])})`);
    case 'rollout.step':
      return parts(step ?? 'next step', rev && `of ${rev}`, 'started');
    case 'rollout.awaiting-approval': {
      const need = num(d['approvals_needed']) ?? num(d['needed']);
      return parts(`${rev ?? 'the revision'} awaits approval`, need === undefined ? undefined : `(${need} more needed)`);
    }
    case 'rollout.approved':
      return parts(`${rev ?? 'the revision'} approved`, by && `by ${by}`);
    case 'rollout.paused':
      return parts(`rollout${rev ? ` of ${rev}` : ''} paused`, step && `at ${step}`, by && `by ${by}`, reason && `: ${reason}`);
    case 'rollout.failed': {
      const back = short(d['rolled_back_to']) ?? short(d['previous']);
      const what = [step, failurePhrase(d)].filter(Boolean).join(' ');
      return `${what || `rollout${rev ? ` of ${rev}` : ''} failed its health gate`}${back ? `, rolled back to ${back}` : ', rolled back'}`;
    }
    case 'rollout.rolled-back': {
      const back = short(d['rolled_back_to']) ?? short(d['previous']);
      return parts(`${rev ?? 'the rollout'} rolled back`, back && `to ${back}`, by && `by ${by}`);
    }
    case 'rollout.completed':
      return `${rev ?? 'the revision'} reached every machine`;
    case 'drift.critical':
    case 'drift.high': {
      const machines = num(d['machines']);
      const items = num(d['items']);
      return parts(`${type.slice('drift.'.length)} drift`, machines === undefined ? undefined : `on ${machines} machine${machines === 1 ? '' : 's'}`, items === undefined ? undefined : `(${items} item${items === 1 ? '' : 's'})`, str(d['category']) && `in ${str(d['category'])}`);
    }
    case 'mcp.down':
      return parts(`MCP server ${str(d['server']) ?? '?'} is down`, str(d['error']) && `: ${str(d['error'])}`);
    case 'machine.enrolled':
      return parts(`machine ${str(d['machine']) ?? '?'} enrolled`, str(d['team']) && `(team ${str(d['team'])})`);
    case 'machine.stale':
      return parts(`machine ${str(d['machine']) ?? '?'} has not checked in`, str(d['last_seen']) && `since ${str(d['last_seen'])}`);
    case 'fleet.frozen':
      return parts('the fleet is frozen', by && `by ${by}`, reason && `: ${reason}`, '(no new assignment until unfrozen)');
    case 'fleet.unfrozen':
      return parts('the fleet is unfrozen', by && `by ${by}`);
    case 'sync.held':
      return `revision ${rev ?? '?'} waits: the fleet is frozen`;
    case 'backup.failed':
      return parts('a scheduled backup of the controller failed', str(d['error']) && `(${str(d['error'])})`);
    default:
      return rev ? `revision ${rev}` : '';
  }
}

/** The line and the fields of one event. */
export function renderEvent(event: NotifyEvent): RenderedEvent {
  const d = event.detail ?? {};
  const head = event.environment ? `${event.type} ${event.environment}` : event.type;
  const body = summary(event.type, d);
  const fields: [string, string][] = [['event', event.type]];
  if (event.environment) fields.push(['environment', event.environment]);
  if (typeof d['revision'] === 'string') fields.push(['revision', d['revision']]);
  fields.push(['at', new Date(event.at).toISOString()]);
  return { text: body ? `${head}: ${body}` : head, fields };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
