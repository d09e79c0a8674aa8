/**
 * `claude-env drift`: what differs between the repo's desired state for this
 * machine and what is on it, per SPEC.md's drift model. Exit 1 when any
 * managed value drifted (keys the user added alone are reported, exit 0).
 */
import { harnessOfFile } from '../render/harnesses.js';
import { commandLayers } from '../validate/trust.js';
import { driftReport, readMachine, type MachineView, type ReadMachineInput } from '../apply/machine.js';
import { hasManagedDrift } from '../drift/compare.js';
import type { DriftReport, McpHealth } from '../drift/types.js';
import type { OnlineFlags } from './mcp.js';
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { describeTarget, localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { machinePlaces, machineSystem } from './machine.js';
import { serverManagedNotice } from '../apply/server-managed.js';

/** Open the repo, resolve the target and read the machine (drift, diff, remediate). */
export async function machineView(io: CliIO, opts: TargetOptions, command: string, admit?: ReadMachineInput['admit']): Promise<MachineView> {
  const repo = await openRepo(io, opts);
  const target = await resolveTarget(io, repo, opts);
  const { sys, lockOptions } = machineSystem(io);
  return readMachine({ repo, target, extra: await localLayer(io, opts), places: machinePlaces(io, opts), sys, lockOptions, command, ...(admit ? { admit } : {}) });
}

/** `--online`: each enabled server's health, from a real MCP check (the SDK loads only here). */
async function mcpHealth(io: CliIO, view: MachineView, opts: OnlineFlags): Promise<McpHealth[]> {
  const [{ serverHealth }, { onlineOptions }] = await Promise.all([import('../mcp/online.js'), import('./mcp.js')]);
  return serverHealth(view.mergedTree()['mcpServers'], { ...onlineOptions(io, opts), commandLayers: commandLayers(view.repo.settings.raw).layers });
}

export async function run(io: CliIO, opts: TargetOptions & OnlineFlags & { json?: boolean; online?: boolean }): Promise<ExitCode> {
  const view = await machineView(io, opts, 'drift');
  const found = driftReport(view, opts.online ? await mcpHealth(io, view, opts) : undefined);
  const notice = await serverManagedNotice(machineSystem(io).sys, view.loc);
  const report = notice === undefined ? found : { ...found, recommendations: [notice, ...found.recommendations] };
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
  // An item of another agent's file says which file: its paths are those of Claude Code's own.
  for (const i of r.items) lines.push(`  ${i.severity.padEnd(8)} ${i.category.padEnd(26)} ${i.path}${harnessOfFile(i.file) ? ` (${i.file})` : ''}  ${i.kind}: expected ${show(i.expected)}, actual ${show(i.actual)}`);
  for (const rec of r.recommendations) lines.push(`  → ${rec}`);
  return `${lines.join('\n')}\n`;
}
