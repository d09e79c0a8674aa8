/**
 * `claude-env rollout status|approve|pause|resume|promote|abort|rollback ENV`
 * (the verbs of Argo Rollouts), over the controller's API. `status` exits 1
 * when the rollout failed (its health gate tripped and it rolled back), so
 * a pipeline can wait on it; a verb the rollout refuses is the controller's
 * error (403 not allowed, 409 not now) with its reason.
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import type { RolloutVerb, RolloutView } from '../controller/api.js';
import { apiClient, type ApiCallOptions } from './fleet.js';
import { printJson, type CliIO } from './io.js';

const VERBS: readonly RolloutVerb[] = ['approve', 'pause', 'resume', 'promote', 'abort', 'rollback'];

export async function run(io: CliIO, opts: ApiCallOptions, args: string[]): Promise<ExitCode> {
  const [action, env] = args;
  if (action !== 'status' && !VERBS.includes(action as RolloutVerb)) throw new ClaudeEnvError('usage', `rollout ${action ?? ''}: the action is status, ${VERBS.join(', ')}`);
  if (!env) throw new ClaudeEnvError('usage', `rollout ${action}: name the environment (rollout ${action} ENV)`);
  const client = apiClient(io, opts);
  const path = `/rollouts/${encodeURIComponent(env)}`;
  const view = action === 'status' ? (await client.call<RolloutView>(path)).body! : (await client.call<RolloutView>(`${path}/${action}`, { method: 'POST', body: {} })).body!;
  if (opts.json) printJson(io, view);
  else io.stdout.write(rolloutText(view, action === 'status' ? undefined : (action as RolloutVerb)));
  return action === 'status' && view.phase === 'failed' ? EXIT_FINDINGS : EXIT_OK;
}

const DONE: Partial<Record<RolloutVerb, string>> = { approve: 'approved', pause: 'paused', resume: 'resumed', promote: 'promoted', abort: 'aborted', rollback: 'rolled back' };

export function rolloutText(v: RolloutView, verb?: RolloutVerb): string {
  const lines: string[] = [];
  if (verb) lines.push(`${DONE[verb]}: ${v.environment}`);
  const step = v.step.index < 0 ? 'not begun' : `step ${v.step.index + 1} of ${v.steps.length} (${v.strategy === 'blue-green' ? (v.switched ? 'switched' : 'staging') : `${v.step.percent}%`})`;
  lines.push(`${v.environment}: ${v.strategy} rollout of ${v.revision.slice(0, 7)} (from ${v.previous_revision?.slice(0, 7) ?? 'nothing'}) — ${v.phase}${v.reason ? ` (${v.reason})` : ''}`);
  lines.push(`  ${step}; steps ${v.steps.map((p) => `${p}%`).join(' → ')}`);
  lines.push(`  machines: ${v.machines.updated} of ${v.machines.total} on ${v.revision.slice(0, 7)}, ${v.machines.failed} failed${v.staged !== undefined && !v.switched ? `, ${v.staged} staged` : ''}`);
  if (v.approvals.needed > 0) lines.push(`  approvals: ${v.approvals.have} of ${v.approvals.needed}${v.approved_by.length ? ` (${v.approved_by.join(', ')})` : ''}${v.approvals.missing > 0 ? `, ${v.approvals.missing} missing` : ''}`);
  if (v.author) lines.push(`  author: ${v.author} (never an approver of this change)`);
  return `${lines.join('\n')}\n`;
}
