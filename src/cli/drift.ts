/**
 * `claude-env drift`: what differs between the repo's desired state for this
 * machine and what is on it, per SPEC.md's drift model. Exit 1 when any
 * managed value drifted (keys the user added alone are reported, exit 0).
 */
import { commandLayers } from '../validate/trust.js';
import { recoverUnderLock } from '../apply/run.js';
import { outputLocation, type ClaudeLocations } from '../apply/paths.js';
import { compareDrift } from '../drift/compare.js';
import type { SecretCheck } from '../drift/values.js';
import type { DriftReport, McpHealth, SeverityRule } from '../drift/types.js';
import type { TreeMap } from '../provenance/tree.js';
import type { OnlineFlags } from './mcp.js';
import type { DriftPolicy } from '../drift/severity.js';
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { targetOutputs } from '../render/index.js';
import { mergeTarget } from '../merge/target.js';
import type { Repo } from '../repo/repo.js';
import type { StateStore } from '../state/store.js';
import type { ActualFile, ActualSnapshot, MachineState } from '../state/types.js';
import { readIfExists } from '../system/fs.js';
import type { HomePath, Target } from '../vocabulary.js';
import { describeTarget, localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { admitted, locations, refused, stateStore } from './machine.js';

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
  /** The merged tree the outputs are rendered from, merged on first use (the outputs may come from the cache). */
  mergedTree(): TreeMap;
  outputs: readonly Output[];
  store: StateStore;
  state: MachineState;
  loc: ClaudeLocations;
  actual: ActualSnapshot;
  /** Tells a changed secret on disk, by the keyed hashes of the values apply wrote. */
  secretCheck?: SecretCheck | undefined;
  /** The target's security policy, as drift ranks by it. */
  policy: DriftPolicy | undefined;
}

/** Render the target and read the machine (finishing an interrupted apply first). */
export async function machineView(io: CliIO, opts: TargetOptions, command: string): Promise<MachineView> {
  const repo = openRepo(io, opts);
  const target = resolveTarget(io, repo, opts);
  const store = stateStore(io, opts);
  recoverUnderLock(store, command);
  const state = store.readState();
  const loc = locations(io, opts, state);
  const extra = localLayer(io, opts);
  const renderOpts = { extra, projectMcp: loc.projectDir !== undefined, managed: loc.managedDir !== undefined };
  let outputs: readonly Output[];
  if (command === 'remediate') {
    // remediate writes: the same checks as apply.
    const got = await admitted(repo, target, renderOpts);
    if (got.findings.length > 0) throw refused(describeTarget(target), got.findings);
    outputs = got.outputs;
  } else outputs = targetOutputs(repo, target, renderOpts);
  let tree: TreeMap | undefined;
  const mergedTree = (): TreeMap => (tree ??= mergeTarget(repo, target, { extra }).tree);
  const actual = actualSnapshot(loc, outputs, state);
  // What only some machines need loads only there: the secret check where state holds secret hashes, the
  // security policy (it needs the merged tree) where an MCP server claude-env does not manage is to be ranked.
  const secretCheck = Object.values(state.outputs).some((o) => o.secrets) ? (await import('../secrets/outputs.js')).secretCheckOf(store.dir, state) : undefined;
  let policy: DriftPolicy | undefined;
  if (hasUnmanagedServers(outputs, actual)) {
    const { driftPolicy } = await import('../validate/policy.js');
    policy = driftPolicy(mergedTree());
  }
  return { repo, target, mergedTree, outputs, store, state, loc, actual, secretCheck, policy };
}

/** Whether a file claude-env writes MCP servers into holds servers it did not render. */
function hasUnmanagedServers(outputs: readonly Output[], actual: ActualSnapshot): boolean {
  const names = (text: string | undefined): string[] => {
    try {
      const servers = (JSON.parse(text ?? '{}') as { mcpServers?: unknown }).mcpServers;
      return servers && typeof servers === 'object' ? Object.keys(servers) : [];
    } catch {
      return [];
    }
  };
  return outputs.some((o) => {
    if (o.kind !== 'claude-json' && o.kind !== 'mcp-json') return false;
    const want = new Set(names(o.content));
    return names(actual.get(o.path)?.content).some((n) => !want.has(n));
  });
}

export function driftReport(view: MachineView, mcpHealth?: readonly McpHealth[]): DriftReport {
  return compareDrift({
    target: view.target,
    desired: view.outputs,
    actual: view.actual,
    state: view.state,
    rules: severityRules(view.repo),
    ...(view.secretCheck ? { secretCheck: view.secretCheck } : {}),
    ...(mcpHealth ? { mcpHealth } : {}),
    ...(view.policy ? { policy: view.policy } : {}),
  });
}

export const hasManagedDrift = (r: DriftReport): boolean => r.items.some((i) => i.kind !== 'extra');

/** `--online`: each enabled server's health, from a real MCP check (the SDK loads only here). */
async function mcpHealth(io: CliIO, view: MachineView, opts: OnlineFlags): Promise<McpHealth[]> {
  const [{ checkTree }, { onlineOptions }] = await Promise.all([import('../mcp/online.js'), import('./mcp.js')]);
  const report = await checkTree(view.mergedTree()['mcpServers'], { ...onlineOptions(io, opts), commandLayers: commandLayers(view.repo.settings.raw).layers });
  return report.servers.map((s) => ({ name: s.name, up: s.up, ...(s.error !== null ? { error: s.error } : {}) }));
}

export async function run(io: CliIO, opts: TargetOptions & OnlineFlags & { json?: boolean; online?: boolean }): Promise<ExitCode> {
  const view = await machineView(io, opts, 'drift');
  const report = driftReport(view, opts.online ? await mcpHealth(io, view, opts) : undefined);
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
