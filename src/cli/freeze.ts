/**
 * `claude-env freeze [--reason TEXT]` and `claude-env unfreeze` (admin): the
 * fleet's read-only mode. While frozen no machine gets a new assignment: a
 * new revision of the repo waits, no rollout moves and no verb is taken, no
 * drift sweep starts (each a 503 `frozen`); agents keep the revision they
 * hold and go on checking in and reporting. `unfreeze` lets a revision that
 * waited go out at once.
 */
import { EXIT_OK, type ExitCode } from '../errors.js';
import type { FreezeView } from '../controller/api.js';
import { apiClient, type ApiCallOptions } from './fleet.js';
import { printJson, type CliIO } from './io.js';

export async function run(io: CliIO, opts: ApiCallOptions & { reason?: string }): Promise<ExitCode> {
  const res = await apiClient(io, opts).call<FreezeView>('/freeze', { method: 'POST', body: opts.reason ? { reason: String(opts.reason) } : {} });
  return show(io, opts, res.body!);
}

export async function unfreeze(io: CliIO, opts: ApiCallOptions): Promise<ExitCode> {
  const res = await apiClient(io, opts).call<FreezeView>('/unfreeze', { method: 'POST', body: {} });
  return show(io, opts, res.body!);
}

function show(io: CliIO, opts: ApiCallOptions, v: FreezeView): ExitCode {
  if (opts.json) printJson(io, v);
  else io.stdout.write(`${freezeText(v)}\n`);
  return EXIT_OK;
}

export function freezeText(v: FreezeView): string {
  if (!v.frozen) return 'the fleet is not frozen: revisions go out as the rollouts say';
  return `the fleet is frozen by ${v.by ?? 'unknown'} since ${v.at ?? '?'}${v.reason ? ` (${v.reason})` : ''}: no new assignment, no rollout moves, no sweep starts${v.waiting ? `; revision ${v.waiting.slice(0, 12)} waits` : ''}`;
}
