/**
 * The drift model of SPEC.md as data: items, percentage, risk, plan.
 * Severities are ranked so the worst is one call (gitops-engine health).
 */
import type { Target } from '../vocabulary.js';

export type DriftSeverity = 'low' | 'medium' | 'high' | 'critical';
export const DRIFT_SEVERITY_RANK: Record<DriftSeverity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export type RiskLevel = 'none' | DriftSeverity;

export type DriftCategory =
  | 'security-policy'
  | 'configuration'
  | 'team-permissions'
  | 'environment-inconsistency'
  | 'version'
  | 'feature-flag'
  | 'threshold'
  | 'user-preference'
  | 'mcp-server'
  | (string & {});

export interface DriftItem {
  /** Dotted key of the merged tree (`settings.permissions.deny`, `mcpServers.memory.command`, `personas.reviewer`, `files.hooks/x.sh`, `instructions`). */
  readonly path: string;
  /** The output file the item is in, relative to the home. */
  readonly file: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly category: DriftCategory;
  readonly severity: DriftSeverity;
  /** `modified`, `missing` (managed but gone), `extra` (unmanaged key the user added), `corrupt` (file no longer parses), `down` (MCP server). */
  readonly kind: 'modified' | 'missing' | 'extra' | 'corrupt' | 'down';
}

export type RemediationAction = 'restore-now' | 'correct-and-revalidate' | 'correct-on-schedule' | 'report-only';

export interface PlanStep {
  readonly path: string;
  readonly file: string;
  readonly severity: DriftSeverity;
  readonly action: RemediationAction;
}

export interface DriftReport {
  readonly target: Target;
  readonly items: readonly DriftItem[];
  /** 100 × drifted managed leaves / all managed leaves (extras do not count), rounded to 2 decimals. */
  readonly drift_percentage: number;
  readonly risk_level: RiskLevel;
  readonly recommendations: readonly string[];
  readonly plan: readonly PlanStep[];
  /** Counts behind the percentage. */
  readonly managed_leaves: number;
  readonly drifted_leaves: number;
}

/** A severity rule from claude-env.yml `drift.severity` (first match wins). */
export interface SeverityRule {
  readonly path: string;
  readonly severity: DriftSeverity;
  readonly category?: string;
}
