/**
 * `claude-env drift`: what differs between the repo's desired state for this
 * machine and what is on it, per SPEC.md's drift model. Exit 1 when any
 * managed value drifted (keys the user added alone are reported, exit 0).
 */
import { recoverUnderLock } from '../apply/run.js';
import { outputLocation, type ClaudeLocations } from '../apply/paths.js';
import { compareDrift } from '../drift/compare.js';
import type { DriftReport, SeverityRule } from '../drift/types.js';
import type { DriftPolicy } from '../drift/severity.js';
import { driftPolicy } from '../validate/policy.js';
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { renderTarget } from '../render/index.js';
import type { Repo } from '../repo/repo.js';
import type { StateStore } from '../state/store.js';
import type { ActualFile, ActualSnapshot, MachineState } from '../state/types.js';
import { readIfExists } from '../system/fs.js';
import type { HomePath, Target } from '../vocabulary.js';
import { describeTarget, localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { locations, stateStore } from './machine.js';

/** Every file drift and diff look at: each desired output and each output claude-env manages. */
export function actualSnapshot(loc: ClaudeLocations, outputs: readonly Output[], state: MachineState): ActualSnapshot {
  const snap = new Map<string, ActualFile>();
  const binary = new Set(outputs.filter((o) => o.encoding === 'base64').map((o) => o.path as string));
  for (const path of new Set<string>([...outputs.map((o) => o.path), ...Object.keys(state.outputs)])) {
    const file = readIfExists(outputLocation(loc, path));
    const content = file ? file.bytes.toString(binary.has(path) ? 'base64' : 'utf8') : undefined;
    snap.set(path, { path: path as HomePath, content, ...(file ? { mode: file.mode } : {}) });
  }
  return snap;
}

export function severityRules(repo: Repo): SeverityRule[] {
  const drift = repo.settings.raw['drift'];
  const rules = drift && typeof drift === 'object' ? (drift as Record<string, unknown>)['severity'] : undefined;
  return Array.isArray(rules) ? (rules.filter((r) => r && typeof r === 'object' && typeof (r as SeverityRule).path === 'string') as SeverityRule[]) : [];
}

export interface MachineView {
  repo: Repo;
  target: Target;
  outputs: readonly Output[];
  store: StateStore;
  state: MachineState;
  loc: ClaudeLocations;
  actual: ActualSnapshot;
  /** The target's security policy, as drift ranks by it. */
  policy: DriftPolicy | undefined;
}

/** Render the target and read the machine (finishing an interrupted apply first). */
export function machineView(io: CliIO, opts: TargetOptions, command: string): MachineView {
  const repo = openRepo(io, opts);
  const target = resolveTarget(io, repo, opts);
  const rendered = renderTarget(repo, target, { extra: localLayer(io, opts) });
  const outputs = rendered.outputs;
  const store = stateStore(io, opts);
  recoverUnderLock(store, command);
  const state = store.readState();
  const loc = locations(io, opts);
  return { repo, target, outputs, store, state, loc, actual: actualSnapshot(loc, outputs, state), policy: driftPolicy(rendered.tree) };
}

export function driftReport(view: MachineView): DriftReport {
  return compareDrift({ target: view.target, desired: view.outputs, actual: view.actual, state: view.state, rules: severityRules(view.repo), ...(view.policy ? { policy: view.policy } : {}) });
}

export const hasManagedDrift = (r: DriftReport): boolean => r.items.some((i) => i.kind !== 'extra');

export async function run(io: CliIO, opts: TargetOptions & { json?: boolean }): Promise<ExitCode> {
  const view = machineView(io, opts, 'drift');
  const report = driftReport(view);
  if (opts.json) {
    printJson(io, {
      target: report.target,
      items: report.items.map((i) => ({ path: i.path, file: i.file, kind: i.kind, expected: i.expected ?? null, actual: i.actual ?? null, category: i.category, severity: i.severity, ...(i.unmanaged ? { unmanaged: true } : {}) })),
      drift_percentage: report.drift_percentage,
      risk_level: report.risk_level,
      recommendations: report.recommendations,
      plan: report.plan,
    });
  } else io.stdout.write(driftText(describeTarget(view.target), report));
  return hasManagedDrift(report) ? EXIT_FINDINGS : EXIT_OK;
}

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

export function driftText(target: string, r: DriftReport): string {
  const lines = [`drift of ${target}: ${r.drift_percentage}% of ${r.managed_leaves} managed values, risk ${r.risk_level}, ${r.items.length} item(s)`];
  for (const i of r.items) lines.push(`  ${i.severity.padEnd(8)} ${i.category.padEnd(26)} ${i.path}  ${i.kind}: expected ${show(i.expected)}, actual ${show(i.actual)}`);
  for (const rec of r.recommendations) lines.push(`  → ${rec}`);
  return `${lines.join('\n')}\n`;
}
