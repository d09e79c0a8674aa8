/**
 * What to do about a drift report: short sentences a developer can act on,
 * and the remediation plan (one step per item that is not an extra, worst
 * first; SPEC: critical → restore now, high → correct and re-validate,
 * medium → correct on schedule, low → report only).
 */
import { harnessOfFile } from '../render/harnesses.js';
import { DRIFT_SEVERITY_RANK, type DriftItem, type DriftSeverity, type PlanStep, type RiskLevel } from './types.js';
import { ACTION_BY_SEVERITY, RISK_RAISE } from './severity.js';

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function remediationPlan(items: readonly DriftItem[]): PlanStep[] {
  return items
    .filter((i) => i.kind !== 'extra')
    .map((i): PlanStep => ({ path: i.path, file: i.file, kind: i.kind, severity: i.severity, action: ACTION_BY_SEVERITY[i.severity], ...(i.unmanaged ? { force: true as const } : {}) }))
    .sort((a, b) => DRIFT_SEVERITY_RANK[b.severity] - DRIFT_SEVERITY_RANK[a.severity] || compare(a.path, b.path) || compare(a.file, b.file));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `a, b, c and 2 more`. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => `\`${n}\``);
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

const CATEGORY_PHRASES: Readonly<Record<string, string>> = {
  'security-policy': 'the security policy',
  'team-permissions': 'team permissions',
  'environment-inconsistency': 'the environment',
  version: 'versions',
  'feature-flag': 'feature flags',
  threshold: 'thresholds',
  'user-preference': 'preferences',
  configuration: 'the configuration',
  'mcp-server': 'MCP servers',
};
const phrases = (items: readonly DriftItem[]): string => [...new Set(items.map((i) => CATEGORY_PHRASES[i.category] ?? i.category))].join(', ');

const BY_SEVERITY: ReadonlyArray<readonly [DriftSeverity, (items: readonly DriftItem[]) => string]> = [
  ['critical', (its) => `${plural(its.length, 'critical item')}: run \`claude-env remediate\` now (restores ${phrases(its)})`],
  ['high', (its) => `${plural(its.length, 'high item')} (${phrases(its)}): run \`claude-env remediate\` to correct and re-validate ${its.length === 1 ? 'it' : 'them'}`],
  ['medium', (its) => `${plural(its.length, 'medium item')}: corrected on schedule, or now with \`claude-env remediate --include medium\``],
  ['low', (its) => `${plural(its.length, 'low item')}: reported only; \`claude-env apply\` restores ${its.length === 1 ? 'it' : 'them'} if you want`],
];

function corruptAdvice(item: DriftItem): string {
  if (item.path === 'settings') return `${item.file} no longer parses: \`claude-env apply\` saves it in a restore point, then rewrites it`;
  const agent = harnessOfFile(item.file);
  if (agent) return `${item.file} no longer parses and claude-env will not write it (${agent} cannot read it either): fix it by hand, or \`claude-env rollback\` to the copy of the last apply`;
  return `${item.file} no longer parses and claude-env will not write it (Claude Code would reset it and log you out): fix it by hand or copy it back from a backup in ~/.claude/backups/`;
}

function inTheWayAdvice(files: readonly string[]): string {
  const [it, is] = files.length === 1 ? ['it', 'is'] : ['them', 'are'];
  return `${plural(files.length, 'file')} claude-env did not write ${is} in the way (${listed(files)}): \`claude-env apply\` will not overwrite ${it} without --force, which saves ${it} in a restore point first`;
}

function extrasAdvice(extras: readonly DriftItem[]): string[] {
  // A server in another agent's file is named with it (its name alone may be in several files).
  const servers = [...new Set(extras.filter((i) => i.path.startsWith('mcpServers.')).map((i) => `${i.path.slice('mcpServers.'.length)}${harnessOfFile(i.file) ? ` in ${i.file}` : ''}`))];
  const keys = extras.filter((i) => !i.path.startsWith('mcpServers.')).map((i) => i.path);
  const out: string[] = [];
  if (keys.length > 0) {
    const [stays, it] = keys.length === 1 ? ['stays as it is', 'it'] : ['stay as they are', 'them'];
    out.push(`${plural(keys.length, 'setting')} you added (${listed(keys)}) ${stays}; to keep ${it} on every machine, put ${it} in ~/.claude/local-overrides.yml or your user layer`);
  }
  if (servers.length > 0) {
    const [stays, it] = servers.length === 1 ? ['stays as it is', 'it'] : ['stay as they are', 'them'];
    out.push(`${plural(servers.length, 'MCP server')} added outside claude-env (${listed(servers)}) ${stays}; add ${it} to the config repo to manage ${it}`);
  }
  return out;
}

function raisedAdvice(percentage: number, worst: RiskLevel, risk: RiskLevel): string[] {
  if (risk === worst) return [];
  const over = RISK_RAISE.find(([limit]) => percentage > limit)![0];
  return [`${percentage} % of managed values drifted (over ${over} %): risk raised to ${risk}; re-apply with \`claude-env apply\``];
}

export function recommendations(items: readonly DriftItem[], percentage: number, worst: RiskLevel, risk: RiskLevel): string[] {
  if (items.length === 0) return ['No drift: the machine matches the config repo'];
  const out = items.filter((i) => i.kind === 'corrupt').map(corruptAdvice);
  const inTheWay = items.filter((i) => i.unmanaged).map((i) => i.file);
  if (inTheWay.length > 0) out.push(inTheWayAdvice(inTheWay));
  const down = items.filter((i) => i.kind === 'down').map((i) => i.path.slice('mcpServers.'.length));
  if (down.length > 0) out.push(`${plural(down.length, 'MCP server')} down (${listed(down)}): run \`claude-env mcp check\` to see why`);
  const fixable = items.filter((i) => (i.kind === 'modified' || i.kind === 'missing') && !i.unmanaged);
  for (const [severity, sentence] of BY_SEVERITY) {
    const these = fixable.filter((i) => i.severity === severity);
    if (these.length > 0) out.push(sentence(these));
  }
  out.push(...extrasAdvice(items.filter((i) => i.kind === 'extra')), ...raisedAdvice(percentage, worst, risk));
  return out;
}
