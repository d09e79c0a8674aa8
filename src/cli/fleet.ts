/**
 * `claude-env fleet status [--env E] [--json]`: machines per environment and
 * state, from the controller; `fleet sweep [--env E] [--max-fixes N]`: a
 * drift sweep now (admin); `fleet sweeps [--env E]`: the last sweeps and
 * what their machines found, fixed and left to a person.
 */
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import type { FleetStatus, SweepView } from '../controller/api.js';
import { ApiClient } from '../agent/client.js';
import { printJson, type CliIO } from './io.js';
import { freezeText } from './freeze.js';

export interface ApiCallOptions {
  controller?: string;
  token?: string;
  json?: boolean;
}

/** The API client of a fleet command: --controller and --token, else $CLAUDE_ENV_CONTROLLER and $CLAUDE_ENV_TOKEN. */
export function apiClient(io: CliIO, opts: ApiCallOptions): ApiClient {
  const url = opts.controller ?? io.env['CLAUDE_ENV_CONTROLLER'];
  if (!url) throw new ClaudeEnvError('usage', 'no controller: pass --controller URL or set CLAUDE_ENV_CONTROLLER');
  const token = opts.token ?? io.env['CLAUDE_ENV_TOKEN'];
  if (!token) throw new ClaudeEnvError('usage', 'no token: pass --token T or set CLAUDE_ENV_TOKEN');
  return new ApiClient(url, token);
}

export async function run(io: CliIO, opts: ApiCallOptions & { env?: string; maxFixes?: string }, args: string[]): Promise<ExitCode> {
  if (args[0] === 'sweep' || args[0] === 'sweeps') return sweeps(io, opts, args[0]);
  if (args[0] !== 'status') throw new ClaudeEnvError('usage', `fleet ${args[0] ?? ''}: the action is status, sweep or sweeps`);
  const res = await apiClient(io, opts).call<FleetStatus>(`/fleet/status${opts.env ? `?env=${encodeURIComponent(opts.env)}` : ''}`);
  const status = res.body!;
  if (opts.json) printJson(io, status);
  else io.stdout.write(fleetText(status));
  return EXIT_OK;
}

async function sweeps(io: CliIO, opts: ApiCallOptions & { env?: string; maxFixes?: string }, action: 'sweep' | 'sweeps'): Promise<ExitCode> {
  const client = apiClient(io, opts);
  let maxFixes: number | undefined;
  if (opts.maxFixes !== undefined) {
    maxFixes = Number(opts.maxFixes);
    if (!Number.isInteger(maxFixes) || maxFixes < 0) throw new ClaudeEnvError('usage', `--max-fixes ${opts.maxFixes}: expected a whole number ≥ 0`);
  }
  const res =
    action === 'sweep'
      ? await client.call<{ sweeps: SweepView[] }>('/sweeps', { method: 'POST', body: { ...(opts.env ? { env: opts.env } : {}), ...(maxFixes !== undefined ? { max_fixes: maxFixes } : {}) } })
      : await client.call<{ sweeps: SweepView[] }>(`/sweeps${opts.env ? `?env=${encodeURIComponent(opts.env)}` : ''}`);
  const list = res.body!.sweeps;
  if (opts.json) printJson(io, { sweeps: list });
  else io.stdout.write(sweepsText(list));
  return EXIT_OK;
}

export function sweepsText(list: readonly SweepView[]): string {
  if (list.length === 0) return 'no drift sweep yet\n';
  const lines = [`${'sweep'.padStart(6)} ${'environment'.padEnd(14)} ${'at'.padEnd(20)} ${'answered'.padStart(9)} ${'drifted'.padStart(8)} ${'fixed'.padStart(6)} ${'manual'.padStart(7)} ${'mcp down'.padStart(9)}  risk`];
  for (const s of list) lines.push(`${String(s.id).padStart(6)} ${s.environment.padEnd(14)} ${s.at.slice(0, 19).padEnd(20)} ${`${s.reported}/${s.machines}`.padStart(9)} ${String(s.drifted).padStart(8)} ${String(s.fixed).padStart(6)} ${String(s.manual).padStart(7)} ${String(s.mcp_down).padStart(9)}  ${s.risk_level}`);
  return `${lines.join('\n')}\n`;
}

export function fleetText(s: FleetStatus): string {
  const lines: string[] = [];
  if (s.frozen?.frozen) lines.push(freezeText(s.frozen), '');
  lines.push(`${'environment'.padEnd(14)} ${'revision'.padEnd(9)} ${'machines'.padStart(8)} ${'in sync'.padStart(8)} ${'applying'.padStart(8)} ${'failed'.padStart(7)} ${'drifted'.padStart(8)} ${'stale'.padStart(6)} ${'drift %'.padStart(8)}  risk`);
  for (const e of s.environments) {
    lines.push(`${e.name.padEnd(14)} ${(e.revision ?? '-').slice(0, 7).padEnd(9)} ${String(e.machines).padStart(8)} ${String(e.states.in_sync).padStart(8)} ${String(e.states.applying).padStart(8)} ${String(e.states.failed).padStart(7)} ${String(e.states.drifted).padStart(8)} ${String(e.states.stale).padStart(6)} ${e.drift_percentage.toFixed(1).padStart(8)}  ${e.risk_level}`);
  }
  const off = s.machines.filter((m) => m.state !== 'in_sync');
  if (off.length > 0) {
    lines.push('', 'machines not in sync:');
    for (const m of off.slice(0, 50)) lines.push(`  ${m.id}  ${[m.env, m.team, m.user, m.project].filter(Boolean).join('/')}  ${m.state}  ${(m.revision ?? '-').slice(0, 7)}${m.drift_percentage ? `  drift ${m.drift_percentage}%` : ''}`);
    if (off.length > 50) lines.push(`  … and ${off.length - 50} more (--json lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}
