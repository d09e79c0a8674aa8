/**
 * The fleet's wire contract (SPEC.md "The fleet: controller and agent"):
 * the bodies the controller's HTTP API takes and gives, shared by the
 * server (controller/server), the agent (agent/) and the fleet commands.
 * JSON under `/api/v1/`; every error is `{"error": {"code", "message"}}`.
 *
 * Routes (who may call them):
 * - `POST /api/v1/enroll` (enroll token) EnrollRequest → EnrollResponse
 * - `GET  /api/v1/machines/:id/assignment[?wait=SECONDS]` (that machine's agent token),
 *   `If-None-Match: "<etag>"` → 200 Assignment (with `ETag`) | 304 (unchanged; after the
 *   long poll's wait when `wait` is given). Every call is a check-in.
 * - `POST /api/v1/machines/:id/reports` (that machine's agent token) Report → ReportAck
 * - `GET  /api/v1/fleet/status[?env=E]` (user token, read) → FleetStatus
 * - `GET  /api/v1/machines/:id` (user, read) → MachineView
 * - `GET  /api/v1/syncs` (user, read) → {syncs: SyncView[]}
 * - `POST /api/v1/tokens` (admin) TokenRequest → TokenCreated; `GET /api/v1/tokens` (admin) →
 *   {tokens: TokenView[]}; `DELETE /api/v1/tokens/:id` (admin) → {revoked: id}
 * - `GET  /api/v1/audit` (admin) → {entries: AuditView[]}
 * - `POST /api/v1/hooks/git` (GitHub's `X-Hub-Signature-256` over the raw body) → {queued: true}
 * - `GET  /api/v1/rollouts` (user, read) → {rollouts: RolloutView[]}; `GET /api/v1/rollouts/:env` → RolloutView
 * - `POST /api/v1/rollouts/:env/{approve,pause,resume,promote,abort,rollback}` (user: approve needs a
 *   role of the gate, the others an admin role or one of the gate's) {} → RolloutView; 409 when the
 *   rollout refuses the verb (the message says why)
 * - `GET  /api/v1/sweeps[?env=E]` (user, read) → {sweeps: SweepView[]}
 * - `GET /health`, `GET /ready`, `GET /metrics`
 *
 * A check-in's answer (200 or 304) carries `X-Claude-Env-Sweep: <id>` and
 * `X-Claude-Env-Max-Fixes: <n>` when a drift sweep of the machine's
 * environment is due that the agent has not done: the agent says the last
 * one it did with `?sweep=<id>`; a long poll ends when a sweep starts.
 */
import type { Target } from '../vocabulary.js';

export const API_PREFIX = '/api/v1';

/** Tokens: `cet_<kind letter>_<43 chars of base64url>` (256 random bits); only a SHA-256 hash is stored. */
export type TokenKind = 'user' | 'agent' | 'enroll';

export type ErrorCode = 'bad-request' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'too-large' | 'unavailable' | 'internal';

export interface ApiError {
  readonly error: { readonly code: ErrorCode | string; readonly message: string };
}

export interface EnrollRequest {
  /** Must be the enroll token's environment when given. */
  readonly env?: string;
  readonly team?: string;
  readonly project?: string;
  readonly user: string;
  readonly hostname?: string;
  /** The machine's Claude Code version, when known (`claude --version`). */
  readonly claude_version?: string;
}

export interface EnrollResponse {
  readonly machine_id: string;
  /** Shown once: the agent keeps it 0600 in $CLAUDE_ENV_HOME. */
  readonly token: string;
  readonly target: Target;
}

/** One file of a bundle: text (UTF-8) or bytes (base64), with its mode. */
export type BundleFile = { readonly mode: number; readonly text: string } | { readonly mode: number; readonly base64: string };

/**
 * What a machine is to have: the config repo files its target's render
 * reads at the assigned revision (claude-env.yml, its layers' documents,
 * members.yml, referenced overlay files), secrets still as their
 * references. The agent renders it with its own local-overrides.yml on top.
 */
export interface Assignment {
  readonly revision: string;
  readonly environment: string;
  readonly target: Target;
  /** Content address of `revision` + `files` (+ the staged bundle's etag when there is one): the ETag, without quotes. */
  readonly etag: string;
  readonly files: Readonly<Record<string, BundleFile>>;
  /**
   * blue-green: the revision to stage beside the active one (prepared on the
   * machine, not applied), until the controller switches every machine to it.
   */
  readonly stage?: StagedBundle | null;
}

/** A revision's bundle for the same target, to be staged (blue-green). */
export interface StagedBundle {
  readonly revision: string;
  readonly etag: string;
  readonly files: Readonly<Record<string, BundleFile>>;
}

export type ReportResult = 'ok' | 'failed' | 'rolled-back';

export interface DriftSummary {
  readonly drift_percentage: number;
  readonly risk_level: 'none' | 'low' | 'medium' | 'high' | 'critical';
  /** Never values: path, category, severity only. */
  readonly items: ReadonlyArray<{ readonly path: string; readonly category: string; readonly severity: string }>;
}

export interface Report {
  /** The machine's own sequence number, from 1, one per report: a retry carries the same one and is stored once. */
  readonly seq: number;
  /** The revision now on the machine (the applied one; the old one after a rollback). */
  readonly revision: string | null;
  /** The revision the agent tried to apply. */
  readonly assigned_revision?: string | null;
  readonly result: ReportResult;
  /** A ClaudeEnvError code when the apply failed (never a message with values). */
  readonly error_code?: string | null;
  /** When the report was made on the machine (ms since the epoch). */
  readonly at: number;
  readonly timings?: Readonly<Record<string, number>>;
  readonly drift?: DriftSummary | null;
  readonly claude_version?: string | null;
  /** blue-green: the revision the machine staged beside its active one (result: whether staging worked). */
  readonly staged_revision?: string | null;
  /** The drift sweep this report answers. */
  readonly sweep?: SweepReport | null;
}

/** What a machine did in a drift sweep: drift (online) before, critical items fixed, the rest left to a person. */
export interface SweepReport {
  readonly id: number;
  /** Items fixed (critical ones, worst first, within the sweep's max fixes). */
  readonly fixed: number;
  /** Items left for a person (paths, categories, severities; never values). */
  readonly manual: ReadonlyArray<{ readonly path: string; readonly category: string; readonly severity: string }>;
  /** MCP servers down (names). */
  readonly mcp_down: readonly string[];
}

export interface ReportAck {
  readonly seq: number;
  /** false: this sequence number was stored before (a retry). */
  readonly stored: boolean;
}

export type MachineState = 'in_sync' | 'applying' | 'failed' | 'drifted' | 'stale';

/** Who a machine is: its id, its target, its host name. */
export interface MachineIdentity {
  readonly id: string;
  readonly env: string;
  readonly team: string | null;
  readonly project: string | null;
  readonly user: string | null;
  readonly hostname: string | null;
}

export interface MachineView extends MachineIdentity {
  /** The machine's Claude Code version, as its agent last said. */
  readonly claude_version: string | null;
  readonly revision: string | null;
  readonly assigned_revision: string | null;
  readonly state: MachineState;
  readonly drift_percentage: number | null;
  readonly risk_level: string | null;
  readonly last_seen: string | null;
  readonly last_report: string | null;
}

/** The fleet's read-only mode (`freeze`): who froze it, when and why; null when it is not frozen. */
export interface FreezeView {
  readonly frozen: boolean;
  readonly by: string | null;
  readonly at: string | null;
  readonly reason: string | null;
  /** A valid revision of the repo that waits for the unfreeze, if the tracked branch moved while frozen. */
  readonly waiting: string | null;
}

export interface FleetStatus {
  readonly environments: ReadonlyArray<{
    readonly name: string;
    readonly revision: string | null;
    readonly machines: number;
    readonly states: Readonly<Record<MachineState, number>>;
    readonly drift_percentage: number;
    readonly risk_level: string;
  }>;
  readonly machines: readonly MachineView[];
  /** Set while the fleet is frozen. */
  readonly frozen?: FreezeView;
}

export interface TokenRequest {
  readonly kind: 'user' | 'enroll';
  readonly user?: string;
  readonly env?: string;
  /** A duration such as `24h`, `30m`, `7d`. */
  readonly expires?: string;
}

export interface TokenCreated {
  readonly id: string;
  readonly kind: TokenKind;
  readonly token: string;
}

export interface TokenView {
  readonly id: string;
  readonly kind: TokenKind;
  readonly user: string | null;
  readonly env: string | null;
  readonly machine_id: string | null;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
}

export interface SyncView {
  readonly id: number;
  readonly revision: string;
  readonly status: 'succeeded' | 'failed';
  readonly at: string;
  readonly duration_ms: number;
  readonly errors: number;
  /** The first findings (file:line:col rule message), secrets redacted. */
  readonly findings: readonly string[];
}

export type RolloutPhase = 'progressing' | 'paused' | 'awaiting-approval' | 'completed' | 'failed' | 'aborted' | 'rolled-back';
export type RolloutVerb = 'approve' | 'pause' | 'resume' | 'promote' | 'abort' | 'rollback';

/** `rollout status ENV --json` (SPEC.md), and what the controller adds after the SPEC's keys. */
export interface RolloutView {
  readonly environment: string;
  readonly revision: string;
  readonly previous_revision: string | null;
  readonly strategy: 'immediate' | 'staged' | 'canary' | 'blue-green';
  readonly phase: RolloutPhase;
  readonly step: { readonly index: number; readonly percent: number };
  /** total: machines of the environment; updated: holding the revision; failed: whose last apply of it failed or rolled back. */
  readonly machines: { readonly total: number; readonly updated: number; readonly failed: number };
  readonly approvals: { readonly needed: number; readonly have: number; readonly missing: number };
  readonly steps: readonly number[];
  readonly author: string | null;
  readonly approved_by: readonly string[];
  /** Why it ended other than completed (gate-failed, step-timeout, aborted, superseded, rolled-back). */
  readonly reason: string | null;
  readonly started_at: string;
  readonly ended_at: string | null;
  /** blue-green: the machines that staged the revision, and whether the switch happened. */
  readonly staged?: number;
  readonly switched?: boolean;
}

/** One drift sweep of one environment, and what its machines reported. */
export interface SweepView {
  readonly id: number;
  readonly environment: string;
  readonly at: string;
  readonly max_fixes: number;
  readonly machines: number;
  /** Machines that answered the sweep. */
  readonly reported: number;
  readonly drifted: number;
  readonly fixed: number;
  readonly manual: number;
  readonly mcp_down: number;
  readonly risk_level: string;
}

export interface AuditView {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly address: string | null;
  readonly detail: unknown;
}
