/**
 * `claude-env apply`: write the target's outputs into the home, as one
 * switch, with a restore point first. `--dry-run` shows the plan and writes
 * nothing. Exit 1 when a file is in the way (a conflict), else 0.
 */
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import type { ApplyResult } from '../apply/run.js';
import { applyTargetTo } from '../apply/target.js';
import { describeTarget, localLayer, openRepo, repoRevision, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import type { Target } from '../vocabulary.js';
import { claudeWaitMs, machinePlaces, machineSystem, waitMs } from './machine.js';
import { serverManagedNotice } from '../apply/server-managed.js';
import { claudeLocations } from '../apply/machine.js';
import { StateStore } from '../state/store.js';
import { serversLeftOut } from '../render/harnesses.js';
import type { LayerDocument, Repo } from '../repo/repo.js';

export interface ApplyOptions extends TargetOptions {
  /** Recorded in the lock and the audit log (default `apply <target>`). */
  command?: string;
  dryRun?: boolean;
  force?: boolean;
  wait?: string;
  json?: boolean;
  identity?: string;
}

export async function run(io: CliIO, opts: ApplyOptions): Promise<ExitCode> {
  const { target, result, repo, extra } = await applyTarget(io, opts);
  // Managed settings that Anthropic's server-managed ones override are said, with what to set.
  const { sys } = machineSystem(io);
  const places = machinePlaces(io, opts);
  const notice = await serverManagedNotice(sys, await claudeLocations(sys, places, await new StateStore(places.stateDir, sys).readState().catch(() => undefined)));
  // Servers another agent of this environment cannot run as the repo means them: left out of its file, and said.
  const notices = [...(notice === undefined ? [] : [notice]), ...serversLeftOut(repo, target, { extra })];
  if (opts.json) printJson(io, { ...applyReport(describeTarget(target), result), notices });
  else {
    io.stdout.write(applyText(describeTarget(target), result));
    for (const n of notices) io.stderr.write(`claude-env: note: ${n}\n`);
  }
  return result.plan.conflicts.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

/** Render the target and apply it (the one apply path: `apply`, and `onboard` after its commit). */
export async function applyTarget(io: CliIO, opts: ApplyOptions): Promise<{ target: Target; result: ApplyResult; repo: Repo; extra: LayerDocument[] }> {
  const repo = await openRepo(io, opts);
  const target = await resolveTarget(io, repo, opts);
  const revision = await repoRevision(io, opts);
  const extra = await localLayer(io, opts);
  const result = await applyTargetTo({
    repo,
    target,
    name: describeTarget(target),
    extra,
    places: machinePlaces(io, opts),
    ...machineSystem(io),
    ...(revision ? { revision } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.force ? { force: true } : {}),
    waitMs: waitMs(opts),
    ...(io.compiledSchemas ? { compiledSchemas: io.compiledSchemas } : {}),
    claudeWaitMs: claudeWaitMs(opts),
    command: opts.command ?? `apply ${describeTarget(target)}`,
    secrets: { env: io.env, cwd: io.cwd, ...(opts.identity ? { identity: opts.identity } : {}), onResolved: io.secrets?.remember },
  });
  return { target, result, repo, extra };
}

export function applyReport(target: string, r: ApplyResult): Record<string, unknown> {
  return {
    target,
    dry_run: r.dryRun,
    restore_point: r.restorePoint ?? null,
    recovered: r.recovered ?? null,
    written: r.plan.writes.map((w) => ({ path: w.path, action: w.action, bytes: w.bytes.length, mode: `0${w.mode.toString(8)}` })),
    removed: r.plan.removes.map((x) => x.path),
    unchanged: r.plan.unchanged,
    conflicts: r.plan.conflicts.map((c) => ({ path: c.path, message: c.message })),
  };
}

export function applyText(target: string, r: ApplyResult): string {
  const p = r.plan;
  const lines: string[] = [];
  if (r.recovered) lines.push(`an interrupted apply was ${r.recovered === 'completed' ? 'completed' : 'undone'} first`);
  const verb = r.dryRun ? 'would write' : 'wrote';
  lines.push(`${r.dryRun ? 'plan for' : 'applied'} ${target}: ${verb} ${p.writes.length}, ${r.dryRun ? 'would remove' : 'removed'} ${p.removes.length}, unchanged ${p.unchanged.length}, conflicts ${p.conflicts.length}${r.restorePoint ? ` (restore point ${r.restorePoint})` : ''}`);
  for (const w of p.writes) lines.push(`  ${w.action.padEnd(17)} ${w.path}`);
  for (const x of p.removes) lines.push(`  ${'remove'.padEnd(17)} ${x.path}`);
  for (const c of p.conflicts) lines.push(`  ${'conflict'.padEnd(17)} ${c.message}`);
  return `${lines.join('\n')}\n`;
}
