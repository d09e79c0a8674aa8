/**
 * How bad a drift item is: the first `drift.severity` rule of claude-env.yml
 * whose glob matches the item's path, else the seed's defaults (SPEC "Drift
 * model"). Also the ranking helpers: the worst severity, the risk level with
 * its percentage thresholds, and the remediation action per severity.
 * Exported for `remediate`.
 */
import { DRIFT_SEVERITY_RANK, type DriftCategory, type DriftKind, type DriftSeverity, type RemediationAction, type RiskLevel, type SeverityRule } from './types.js';
import { globSubject, pathGlob } from '../merge/path-glob.js';

export interface Classification {
  readonly severity: DriftSeverity;
  readonly category: DriftCategory;
}

/** What a severity depends on: where the item is, what kind it is, and the type of its value. */
export interface Classifiable {
  readonly segments: readonly string[];
  readonly kind: DriftKind;
  readonly value: unknown;
}

const is = (severity: DriftSeverity, category: DriftCategory): Classification => Object.freeze({ severity, category });

const PREFERENCES: ReadonlySet<string> = new Set(['theme', 'editorMode', 'outputStyle', 'spinnerTipsEnabled', 'verbose']);

const under = (s: readonly string[], ...prefix: string[]): boolean => prefix.length <= s.length && prefix.every((p, i) => s[i] === p);

/** The seed's defaults, in order; the first that applies wins. */
export function defaultClassification({ segments: s, kind, value }: Classifiable): Classification {
  if (kind === 'down') return is('critical', 'mcp-server');
  if (kind === 'corrupt') return is('critical', 'configuration');
  if (kind === 'extra') return is('low', 'user-preference');
  if (under(s, 'settings', 'permissions', 'deny') || under(s, 'security')) return is('critical', 'security-policy');
  // Keys the security policy names: the permission mode and its kill switch.
  if (under(s, 'settings', 'permissions', 'defaultMode') || under(s, 'settings', 'permissions', 'disableBypassPermissionsMode')) return is('critical', 'security-policy');
  if (under(s, 'settings', 'permissions')) return is('high', 'team-permissions');
  if (under(s, 'settings', 'env')) return is('high', 'environment-inconsistency');
  if ((s.length === 2 && s[0] === 'settings' && s[1] === 'model') || s[s.length - 1] === 'version') return is('medium', 'version');
  if (s.length === 3 && s[0] === 'mcpServers' && s[2] === 'args') return is('medium', 'version');
  if (s.length === 2 && s[0] === 'settings' && PREFERENCES.has(s[1]!)) return is('low', 'user-preference');
  if (typeof value === 'boolean') return is('medium', 'feature-flag');
  if (typeof value === 'number') return is('medium', 'threshold');
  return is('high', 'configuration');
}

export type Classifier = (item: Classifiable) => Classification;

/** What drift needs of the target's security policy (built by the caller from the merged `security` section). */
export interface DriftPolicy {
  /** Whether the policy's MCP allowlist admits this server (true when there is no allowlist). */
  mcpServerAllowed(name: string, server: unknown): boolean;
}

/**
 * The security policy first (an MCP server that is not on its allowlist, such
 * as one a developer added, is critical however the paths rank), then the
 * repo's rules (a rule without a category keeps the default one), then the defaults.
 */
export function classifier(rules: readonly SeverityRule[], policy?: DriftPolicy): Classifier {
  const compiled = rules.map((r) => [pathGlob(r.path), r] as const);
  return (item) => {
    const s = item.segments;
    if (policy && s.length === 2 && s[0] === 'mcpServers' && item.kind === 'extra' && !policy.mcpServerAllowed(s[1]!, item.value)) return is('critical', 'security-policy');
    const fallback = defaultClassification(item);
    if (compiled.length === 0) return fallback;
    const subject = globSubject(item.segments);
    const rule = compiled.find(([matches]) => matches(subject))?.[1];
    return rule ? is(rule.severity, rule.category ?? fallback.category) : fallback;
  };
}

export function worstSeverity(severities: Iterable<DriftSeverity>): RiskLevel {
  let worst: RiskLevel = 'none';
  for (const s of severities) if (worst === 'none' || DRIFT_SEVERITY_RANK[s] > DRIFT_SEVERITY_RANK[worst]) worst = s;
  return worst;
}

/** Above these percentages of drifted managed leaves, the risk is at least high, then critical. */
export const RISK_RAISE: ReadonlyArray<readonly [number, DriftSeverity]> = [
  [25, 'critical'],
  [10, 'high'],
];

/** The worst item severity, raised to high when drift is over 10 % and to critical when over 25 %. */
export function riskLevel(worst: RiskLevel, percentage: number): RiskLevel {
  const floor = RISK_RAISE.find(([over]) => percentage > over)?.[1];
  if (!floor) return worst;
  return worst !== 'none' && DRIFT_SEVERITY_RANK[worst] >= DRIFT_SEVERITY_RANK[floor] ? worst : floor;
}

export const ACTION_BY_SEVERITY: Readonly<Record<DriftSeverity, RemediationAction>> = Object.freeze({
  critical: 'restore-now',
  high: 'correct-and-revalidate',
  medium: 'correct-on-schedule',
  low: 'report-only',
});
