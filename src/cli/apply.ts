/**
 * `claude-env apply`: write the target's outputs into the home, as one
 * switch, with a restore point first. `--dry-run` shows the plan and writes
 * nothing. Exit 1 when a file is in the way (a conflict), else 0.
 */
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { runApply, type ApplyResult } from '../apply/run.js';
import { ensureIdentity, stateDir } from '../state/identity.js';
import { describeTarget, localLayer, openRepo, repoRevision, resolveTarget, homeDir, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import type { Target } from '../vocabulary.js';
import { commandLayers } from '../validate/trust.js';
import { admitted, locations, refused, stateStore, waitMs, writableOutputs } from './machine.js';

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
  const { target, result } = await applyTarget(io, opts);
  if (opts.json) printJson(io, applyReport(describeTarget(target), result));
  else io.stdout.write(applyText(describeTarget(target), result));
  return result.plan.conflicts.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

/** Render the target and apply it (the one apply path: `apply`, and `onboard` after its commit). */
export async function applyTarget(io: CliIO, opts: ApplyOptions): Promise<{ target: Target; result: ApplyResult }> {
  const repo = openRepo(io, opts);
  const target = resolveTarget(io, repo, opts);
  const loc = locations(io, opts, stateStore(io, opts).readState());
  const { outputs: rendered, findings } = await admitted(repo, target, { extra: localLayer(io, opts), projectMcp: loc.projectDir !== undefined, managed: loc.managedDir !== undefined });
  // The org's policy holds whatever the flags: a target that fails it is not written, not even planned (nothing runs).
  if (findings.length > 0) throw refused(describeTarget(target), findings);
  const outputs = await writableOutputs(io, opts, rendered, stateDir(homeDir(io, opts), io.env), commandLayers(repo.settings.raw).layers, !!opts.dryRun);
  const revision = await repoRevision(io, opts);
  const result = runApply({
    locations: loc,
    stateDir: stateDir(homeDir(io, opts), io.env),
    target,
    ...(revision ? { revision } : {}),
    outputs,
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.force ? { force: true } : {}),
    waitMs: waitMs(opts),
    command: opts.command ?? `apply ${describeTarget(target)}`,
  });
  // The first apply on a machine makes its target the machine's identity (drift and apply then need no flags).
  if (!result.dryRun) ensureIdentity(homeDir(io, opts), io.env, target);
  return { target, result };
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
