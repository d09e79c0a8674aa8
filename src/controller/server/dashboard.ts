/**
 * The controller's web dashboard as HTML text (pure: data in, text out),
 * served by `serve` at /dashboard: the environments with their machines'
 * states and rollouts, the machines, the latest drift sweeps, syncs and
 * events. No script: the page is HTML and inline style only (the server
 * sends a Content-Security-Policy that allows nothing else), refreshed by
 * the browser every 30 s. Every value is escaped; machine names, hostnames
 * and event details come from people with fewer rights than the reader.
 * What the API never shows (secrets, tokens) is never given to it.
 */
import type { FleetStatus, FreezeView, MachineState, MachineView, RolloutView, SweepView } from '../api.js';

/** What the page shows: the API's own views (src/controller/api.ts), as `GET /dashboard` gathers them. */
export interface DashboardData {
  readonly user: string;
  readonly now: string;
  readonly leader: boolean;
  /** Set while the fleet is frozen (read-only mode). */
  readonly frozen?: FreezeView;
  readonly env?: string;
  readonly environments: FleetStatus['environments'];
  readonly machines: readonly MachineView[];
  /** How many machines there are in all (the page lists the first ones). */
  readonly machineTotal: number;
  readonly rollouts: readonly RolloutView[];
  readonly sweeps: readonly SweepView[];
  readonly syncs: ReadonlyArray<{ readonly revision: string; readonly status: string; readonly at: string; readonly errors: number }>;
  readonly events: ReadonlyArray<{ readonly at: string; readonly type: string; readonly environment: string | null; readonly detail: string | null }>;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML: element content and quoted attribute values alike. */
export const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const short = (sha: string | null): string => (sha === null ? '—' : sha.slice(0, 12));
const pct = (n: number | null): string => (n === null ? '—' : `${n.toFixed(n < 10 ? 2 : 1)} %`);
const when = (iso: string | null): string => (iso === null ? '—' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const cell = (v: unknown, cls?: string): string => `<td${cls ? ` class="${esc(cls)}"` : ''}>${esc(v)}</td>`;
const head = (names: readonly string[]): string => `<thead><tr>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr></thead>`;
const table = (names: readonly string[], rows: readonly string[], empty: string): string =>
  rows.length === 0 ? `<p class="empty">${esc(empty)}</p>` : `<table>${head(names)}<tbody>${rows.join('')}</tbody></table>`;

const STATES: readonly MachineState[] = ['in_sync', 'applying', 'failed', 'drifted', 'stale'];

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap;padding:.8rem 1.5rem;background:#1d2330;color:#fff}
header h1{font-size:1.1rem;margin:0}header p{margin:0;color:#c5cad6}header form{margin-left:auto}
main{padding:1rem 1.5rem}section{margin-bottom:1.6rem}h2{font-size:1rem;margin:.2rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .55rem;border-bottom:1px solid #e3e6eb;text-align:left;white-space:nowrap}
th{background:#eef0f4;font-weight:600}td.num{text-align:right}
.in_sync{color:#17703a}.applying{color:#8a5a00}.failed,.critical{color:#b3261e;font-weight:600}.drifted,.high{color:#c2410c}.stale{color:#6b7280}
.medium{color:#8a5a00}.low,.none{color:#17703a}.empty{color:#6b7280}code{font-size:.92em}
button{font:inherit}.frozen{background:#dbeafe;border:1px solid #93c5fd;padding:.5rem .8rem}`;

function page(title: string, body: string, user?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${user ? '<meta http-equiv="refresh" content="30">' : ''}
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>claude-env</h1>${user ? `<p>signed in as ${esc(user)}</p><form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form>` : ''}</header>
<main>${body}</main></body></html>
`;
}

/** The sign-in page: a user's API token, kept by the browser in an HttpOnly cookie for /dashboard only. */
export function loginPage(message?: string): string {
  return page(
    'claude-env: sign in',
    `<section><h2>Sign in</h2>${message ? `<p class="failed">${esc(message)}</p>` : ''}
<form method="post" action="/dashboard/login"><p><label>API token (<code>claude-env token create --kind user</code>)<br>
<input name="token" type="password" autocomplete="off" required size="60"></label></p><p><button type="submit">Sign in</button></p></form></section>`,
  );
}

/** A page that says why it cannot show the fleet (a token that is not a user's, a user with no role). */
export function refusedPage(message: string): string {
  return page('claude-env: not allowed', `<section><h2>Not allowed</h2><p class="failed">${esc(message)}</p><form method="post" action="/dashboard/logout"><button type="submit">Sign in as someone else</button></form></section>`);
}

export function dashboardPage(d: DashboardData): string {
  const rollout = new Map(d.rollouts.map((r) => [r.environment, r]));
  const envRows = d.environments.map((e) => {
    const r = rollout.get(e.name);
    const ro = r ? `${r.strategy} · ${r.phase}${r.phase === 'completed' ? '' : ` · ${r.step.percent} %`}${r.approvals.missing > 0 ? ` · ${r.approvals.missing} approval(s) missing` : ''}` : '—';
    return `<tr><td><a href="/dashboard?env=${encodeURIComponent(e.name)}">${esc(e.name)}</a></td>${cell(short(e.revision))}${cell(e.machines, 'num')}${STATES.map((s) => cell(e.states[s] ?? 0, (e.states[s] ?? 0) > 0 ? `num ${s}` : 'num')).join('')}${cell(pct(e.drift_percentage), 'num')}${cell(e.risk_level, e.risk_level)}${cell(ro, r?.phase === 'failed' ? 'failed' : undefined)}</tr>`;
  });
  const rolloutRows = d.rollouts.map(
    (r) =>
      `<tr>${cell(r.environment)}${cell(short(r.revision))}${cell(r.strategy)}${cell(r.phase, r.phase === 'failed' ? 'failed' : r.phase === 'completed' ? 'in_sync' : 'applying')}${cell(`${r.step.percent} %`, 'num')}${cell(`${r.machines.updated} / ${r.machines.total}`, 'num')}${cell(r.machines.failed, r.machines.failed > 0 ? 'num failed' : 'num')}${cell(`${r.approvals.have} / ${r.approvals.needed}`, 'num')}${cell(r.approved_by.join(', ') || '—')}${cell(r.reason ?? '—')}${cell(when(r.started_at))}</tr>`,
  );
  const machineRows = d.machines.map(
    (m) =>
      `<tr>${cell(m.id)}${cell(m.env)}${cell(m.team ?? '—')}${cell(m.project ?? '—')}${cell(m.user ?? '—')}${cell(m.hostname ?? '—')}${cell(short(m.revision))}${cell(m.state.replace('_', ' '), m.state)}${cell(pct(m.drift_percentage), 'num')}${cell(m.risk_level ?? '—', m.risk_level ?? undefined)}${cell(m.claude_version ?? '—')}${cell(when(m.last_seen))}</tr>`,
  );
  const sweepRows = d.sweeps.map((s) => `<tr>${cell(when(s.at))}${cell(s.environment)}${cell(`${s.reported} / ${s.machines}`, 'num')}${cell(s.drifted, 'num')}${cell(s.fixed, 'num')}${cell(s.manual, 'num')}${cell(s.mcp_down, s.mcp_down > 0 ? 'num failed' : 'num')}${cell(s.risk_level, s.risk_level)}</tr>`);
  const syncRows = d.syncs.map((s) => `<tr>${cell(when(s.at))}${cell(short(s.revision))}${cell(s.status, s.status === 'failed' ? 'failed' : 'in_sync')}${cell(s.errors, 'num')}</tr>`);
  const eventRows = d.events.map((e) => `<tr>${cell(when(e.at))}${cell(e.type, /failed|critical|down/.test(e.type) ? 'failed' : undefined)}${cell(e.environment ?? '—')}<td><code>${esc((e.detail ?? '').slice(0, 200))}</code></td></tr>`);
  const shown = d.machines.length < d.machineTotal ? ` (the first ${d.machines.length} of ${d.machineTotal})` : '';
  return page(
    'claude-env fleet',
    `${d.frozen ? `<p class="frozen"><strong>Frozen</strong> by ${esc(d.frozen.by ?? '—')} at ${esc(when(d.frozen.at))}${d.frozen.reason ? `: ${esc(d.frozen.reason)}` : ''}. No machine gets a new revision, no rollout moves and no sweep starts until it is unfrozen${d.frozen.waiting ? `; revision ${esc(short(d.frozen.waiting))} waits` : ''}.</p>` : ''}
<p>As of ${esc(when(d.now))}; this controller ${d.leader ? 'leads' : 'follows the leader'}. The page refreshes every 30 s.${d.env ? ` Environment ${esc(d.env)} only: <a href="/dashboard">all</a>.` : ''}</p>
<section id="environments"><h2>Environments</h2>${table(['environment', 'revision', 'machines', 'in sync', 'applying', 'failed', 'drifted', 'stale', 'drift', 'risk', 'rollout'], envRows, 'No environment has a machine yet.')}</section>
<section id="rollouts"><h2>Rollouts</h2>${table(['environment', 'revision', 'strategy', 'phase', 'step', 'updated', 'failed', 'approvals', 'approved by', 'reason', 'started'], rolloutRows, 'No rollout yet.')}</section>
<section id="machines"><h2>Machines${esc(shown)}</h2>${table(['machine', 'environment', 'team', 'project', 'user', 'host', 'revision', 'state', 'drift', 'risk', 'Claude Code', 'last seen'], machineRows, 'No machine has enrolled.')}</section>
<section id="sweeps"><h2>Drift sweeps</h2>${table(['at', 'environment', 'answered', 'drifted', 'fixed', 'manual', 'MCP down', 'risk'], sweepRows, 'No sweep has run.')}</section>
<section id="syncs"><h2>Repo syncs</h2>${table(['at', 'revision', 'status', 'errors'], syncRows, 'No sync yet.')}</section>
<section id="events"><h2>Events</h2>${table(['at', 'event', 'environment', 'detail'], eventRows, 'No event yet.')}</section>`,
    d.user,
  );
}
