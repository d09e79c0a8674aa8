/**
 * The drift model of SPEC.md as data: items, percentage, risk, plan.
 * Severities are ranked so the worst is one call (gitops-engine health).
 */
import type { OutputKind } from '../render/outputs.js';
import type { HomePath, Target } from '../vocabulary.js';

/**
 * What claude-env remembers on a machine (state.json under
 * $CLAUDE_ENV_HOME, kept by state/): the target and revision last applied,
 * and for every output it manages, what it wrote. Only paths recorded here
 * are ever replaced or removed. Drift and the apply plan read it as data.
 */
export interface ManagedOutput {
  readonly kind: OutputKind;
  /** sha256 (hex) of the managed content last written: the whole file, or for merged files (settings.json, .claude.json, CLAUDE.md) the managed part as rendered. */
  readonly hash: string;
  /** settings.json: the leaf key paths claude-env wrote (dotted, e.g. `permissions.allow`); .claude.json: the MCP server names it wrote. */
  readonly owned?: readonly string[];
  readonly mode?: number;
  /** For outputs holding secrets: each `«secret:…»` description → keyed hash of the value written. */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface MachineState {
  readonly version: 1;
  readonly target?: Target;
  readonly revision?: string;
  readonly appliedAt?: string;
  /** The `--project-dir` of the last apply: where its `@project/…` outputs are. */
  readonly projectDir?: string;
  /** The `--managed` dir of the last apply: where its managed settings are. */
  readonly managedDir?: string;
  readonly outputs: Readonly<Record<string, ManagedOutput>>;
  /** The last write claude-env made to each file, managed or not (see LastWrite). */
  readonly lastWrites?: Readonly<Record<string, LastWrite>>;
}

/**
 * One file as a change of claude-env left it: the restore point taken
 * before that change, and the sha256 (hex) of the whole file it left. A
 * rollback to that restore point puts a file still holding those bytes
 * back whole; a file someone changed since gets only claude-env's part
 * rolled back.
 */
export interface LastWrite {
  readonly point: string;
  readonly sha256: string;
}

/** A machine claude-env never wrote to. */
export const EMPTY_STATE: MachineState = Object.freeze({ version: 1, outputs: Object.freeze({}) });

/** One file as it is on the machine now (content undefined: it does not exist). */
export interface ActualFile {
  readonly path: HomePath;
  readonly content: string | undefined;
  readonly mode?: number;
}

/** The files claude-env looks at on a machine: every desired output and every managed one. */
export type ActualSnapshot = ReadonlyMap<string, ActualFile>;

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

export type DriftKind = 'modified' | 'missing' | 'extra' | 'corrupt' | 'down';

export interface DriftItem {
  /**
   * Dotted key of the merged tree, odd keys quoted as joinKeyPath does:
   * `settings.permissions.deny`, `mcpServers.memory.command`, `personas.reviewer`,
   * `workflows.review`, `files."hooks/fmt.sh"`, `instructions`; `settings` or
   * `mcpServers` for a file that no longer parses.
   */
  readonly path: string;
  /** The output file the item is in, relative to the home. */
  readonly file: string;
  /**
   * What the config repo wants; `null` when it wants nothing there (an extra,
   * or something apply will remove). Whole files and the CLAUDE.md block show
   * as `{sha256, bytes}`; rendered secrets stay `«secret:…»`.
   */
  readonly expected: unknown;
  /** What is on the machine; `null` when absent. Values the user may keep secrets in (`env`, `headers`) show as `«hidden»`, and so do the credentials in `args` and URLs (drift/tokens.ts). */
  readonly actual: unknown;
  readonly category: DriftCategory;
  readonly severity: DriftSeverity;
  /** `modified` (differs, or apply will remove it), `missing` (managed but gone), `extra` (unmanaged key the user added), `corrupt` (file no longer parses), `down` (MCP server). */
  readonly kind: DriftKind;
  /** A file claude-env did not write is in the way: apply leaves it unless `--force`. */
  readonly unmanaged?: true;
}

export type RemediationAction = 'restore-now' | 'correct-and-revalidate' | 'correct-on-schedule' | 'report-only';

export interface PlanStep {
  readonly path: string;
  readonly file: string;
  readonly kind: DriftKind;
  readonly severity: DriftSeverity;
  readonly action: RemediationAction;
  /** Only `apply --force` fixes it (an unmanaged file in the way). */
  readonly force?: true;
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

/** One server of `mcp check` (SPEC `mcp check --json`), for `drift --online`. */
export interface McpHealth {
  readonly name: string;
  readonly up: boolean;
  readonly error?: string;
}

/** A difference found in one file, before severity rules give it a severity and category. */
export interface Finding {
  /** Key path segments (`['settings', 'permissions', 'deny']`). */
  readonly segments: readonly string[];
  readonly file: string;
  readonly kind: DriftKind;
  /** As shown in the report (see DriftItem). */
  readonly expected: unknown;
  readonly actual: unknown;
  /** The raw value the default rules look at (booleans are feature flags, numbers thresholds). */
  readonly value: unknown;
  readonly unmanaged?: true;
}

/** What one file adds to the report: its findings and its share of the percentage. */
export interface FileResult {
  readonly findings: readonly Finding[];
  readonly managed: number;
  readonly drifted: number;
}
