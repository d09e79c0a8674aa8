/**
 * compareDrift: desired outputs + what is on the machine + what claude-env
 * wrote before → the drift report of SPEC "Drift model" (pure). Each output
 * is paired with its file by path (gitops-engine reconcile), compared the
 * way apply would merge it, and every difference becomes an item; the repo's
 * severity rules (else the seed's defaults) rank them.
 */
import type { Output } from '../render/outputs.js';
import type { Target } from '../vocabulary.js';
import { recommendations, remediationPlan } from './advice.js';
import { compareAgentMcp, compareClaudeJson, compareSettings } from './json-files.js';
import { classifier, riskLevel, worstSeverity, type Classifier, type DriftPolicy } from './severity.js';
import type { ActualSnapshot, DriftItem, DriftReport, FileResult, Finding, MachineState, McpHealth, SeverityRule } from './types.js';
import { compareInstructions, compareRemoved, compareWholeFile, itemPath, noLongerRendered } from './whole-files.js';
import type { SecretCheck } from './values.js';

export interface DriftInput {
  readonly target: Target;
  /** The rendered outputs, secrets unresolved (`«secret:…»` matches whatever is on disk). */
  readonly desired: readonly Output[];
  readonly actual: ActualSnapshot;
  readonly state: MachineState;
  /** claude-env.yml `drift.severity`. */
  readonly rules: readonly SeverityRule[];
  /** With `drift --online`: each configured server's health; a server that is not up is an item of kind `down`. */
  readonly mcpHealth?: readonly McpHealth[];
  /** Whether the text at a secret's place on disk is the value apply wrote (keyed hashes); without it any text matches. */
  readonly secretCheck?: SecretCheck;
  /** The target's security policy: MCP servers off its allowlist are critical. */
  readonly policy?: DriftPolicy;
}

function compareOutput(o: Output, input: DriftInput): FileResult {
  const actual = input.actual.get(o.path);
  const managed = input.state.outputs[o.path];
  const check = input.secretCheck;
  switch (o.kind) {
    case 'settings-json':
      return compareSettings(o, actual, managed?.owned ?? [], check);
    case 'claude-json':
    case 'mcp-json':
      return compareClaudeJson(o, actual, managed?.owned ?? [], check);
    case 'claude-md':
      return compareInstructions(o, actual, check);
    case 'agent-mcp':
      return compareAgentMcp(o, actual, managed?.owned ?? [], check);
    default:
      return compareWholeFile(o, actual, managed, check);
  }
}

function removedOutputs(input: DriftInput): FileResult[] {
  return noLongerRendered(input.desired, input.state).map(([path, record]) => compareRemoved(path, record, input.actual.get(path)));
}

/** Servers that are down are items, but not managed leaves: they do not count in the percentage. */
function downServers(input: DriftInput): FileResult {
  const file = input.desired.find((o) => o.kind === 'claude-json')?.path ?? '.claude.json';
  const findings = (input.mcpHealth ?? [])
    .filter((s) => !s.up)
    .map((s): Finding => ({ segments: ['mcpServers', s.name], file, kind: 'down', expected: 'up', actual: s.error ?? 'down', value: undefined }));
  return { findings, managed: 0, drifted: 0 };
}

function toItem(f: Finding, classify: Classifier): DriftItem {
  const { severity, category } = classify(f);
  return { path: itemPath(f.segments), file: f.file, expected: f.expected, actual: f.actual, category, severity, kind: f.kind, ...(f.unmanaged ? { unmanaged: true as const } : {}) };
}

const byFileThenPath = (a: DriftItem, b: DriftItem): number => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** 100 × drifted / managed, to 2 decimals; 0 when nothing is managed. */
export function driftPercentage(drifted: number, managed: number): number {
  return managed === 0 ? 0 : Math.round((10000 * drifted) / managed) / 100;
}

export function compareDrift(input: DriftInput): DriftReport {
  const results = [...input.desired.map((o) => compareOutput(o, input)), ...removedOutputs(input), downServers(input)];
  const classify = classifier(input.rules, input.policy);
  const items = results.flatMap((r) => r.findings.map((f) => toItem(f, classify))).sort(byFileThenPath);
  const managed = results.reduce((n, r) => n + r.managed, 0);
  const drifted = results.reduce((n, r) => n + r.drifted, 0);
  const percentage = driftPercentage(drifted, managed);
  const worst = worstSeverity(items.map((i) => i.severity));
  const risk = riskLevel(worst, percentage);
  return {
    target: input.target,
    items,
    drift_percentage: percentage,
    risk_level: risk,
    recommendations: recommendations(items, percentage, worst, risk),
    plan: remediationPlan(items),
    managed_leaves: managed,
    drifted_leaves: drifted,
  };
}

/** Whether anything claude-env manages drifted (keys the user added alone are not managed drift). */
export const hasManagedDrift = (r: DriftReport): boolean => r.items.some((i) => i.kind !== 'extra');

/** The severity rules of claude-env.yml (`drift.severity`, its raw settings): the well-formed ones, in order. */
export function severityRulesOf(settings: Readonly<Record<string, unknown>>): SeverityRule[] {
  const drift = settings['drift'];
  const rules = drift && typeof drift === 'object' ? (drift as Record<string, unknown>)['severity'] : undefined;
  return Array.isArray(rules) ? (rules.filter((r) => r && typeof r === 'object' && typeof (r as SeverityRule).path === 'string') as SeverityRule[]) : [];
}
