/**
 * Two things an agent does besides applying its assignment:
 *
 * - a drift sweep (`sweepAssignment`): the machine read against the
 *   assignment as `claude-env drift --online` reads it (each enabled MCP
 *   server of the target connected to; one item per server down), then the
 *   critical items only, worst first and at most `maxFixes`, fixed through
 *   remediate's own transaction (restore point, each fix re-checked, all
 *   rolled back if one does not hold). Everything else is left to a person.
 * - blue-green staging (`stageAssignment`): the staged revision rendered and
 *   its secrets resolved beside the active one, as apply would, so that a
 *   revision that could not be applied fails now; nothing is written.
 *
 * What either returns is codes, paths, categories, severities and server
 * names: never a value. Neither throws.
 */
import type { Assignment, DriftSummary, StagedBundle } from '../controller/api.js';
import { ClaudeEnvError } from '../errors.js';
import { claudeLocations, driftReport, readMachine, rereadMachine, type MachineView } from '../apply/machine.js';
import { admittedOrRefused, writableOutputs } from '../apply/outputs.js';
import { DRIFT_SEVERITY_RANK, type DriftSeverity, type McpHealth } from '../drift/types.js';
import { selectFixes } from '../remediate/fix.js';
import { runRemediate } from '../remediate/run.js';
import { describeTarget } from '../repo/target-name.js';
import { StateStore } from '../state/store.js';
import { commandLayers } from '../validate/trust.js';
import type { Target } from '../vocabulary.js';
import { localLayer } from '../workspace/open.js';
import { agentClaudeWaitMs, machineSystem, placesOf, repoFromAssignment, summaryOf, type ApplyAssignmentInput, type MachineInput } from './bundle.js';
import { dryRunSystem } from '../system/decorators.js';

export interface SweepInput extends ApplyAssignmentInput {
  /** The sweep's limit: at most this many critical items are fixed. */
  readonly maxFixes: number;
  /** Check the target's enabled MCP servers (as `drift --online`). */
  readonly online: boolean;
  /** The time limit of each MCP check, in ms (else each server's own `timeout`, else 10 s). */
  readonly timeoutMs?: number;
}

/** One item left for a person: where, what kind, how bad; never a value. */
export interface ManualItem {
  readonly path: string;
  readonly category: string;
  readonly severity: string;
}

export interface SweepOutcome {
  /** The drift before the sweep, the online items included. */
  readonly drift: DriftSummary;
  /** The drift after it (a server that was down is still counted: writing files does not bring it up). */
  readonly after: DriftSummary;
  /** Critical items fixed. */
  readonly fixed: number;
  /** Everything still drifting after the sweep, worst first: items below critical, critical items past maxFixes or in a file claude-env did not write, servers down. */
  readonly manual: readonly ManualItem[];
  /** The enabled MCP servers that are down (names), with `online`. */
  readonly mcp_down: readonly string[];
  /** A ClaudeEnvError's code (`internal` for anything else), never its message. */
  readonly error_code: string | null;
}

export interface StageAssignmentInput extends Omit<MachineInput, 'assignment'> {
  /** The revision to stage (the assignment's `stage`). */
  readonly stage: StagedBundle;
  /** The assignment's target: the staged bundle is for the same one. */
  readonly target: Target;
  /** The assignment's environment (default: the target's). */
  readonly environment?: string;
  /** An age identity file for `!encrypted` values (else $CLAUDE_ENV_AGE_IDENTITY). */
  readonly identity?: string;
  /** Told each secret value once resolved, to keep it out of what the caller prints. */
  readonly onResolved?: (value: string, description: string) => void;
}

export interface StageResult {
  /** Whether the staged revision renders, passes apply's checks and has every secret it needs here. */
  readonly ok: boolean;
  readonly error_code: string | null;
  readonly timings: Record<string, number>;
}

const codeOf = (err: unknown): string => (err instanceof ClaudeEnvError ? err.code : 'internal');
const since = (t: number): number => Math.round(performance.now() - t);

const NO_DRIFT: DriftSummary = Object.freeze({ drift_percentage: 0, risk_level: 'none', items: Object.freeze([]) });

const rank = (s: string): number => DRIFT_SEVERITY_RANK[s as DriftSeverity] ?? -1;

/** What is left for a person: every item of the report, worst first. */
function manualOf(r: DriftSummary): ManualItem[] {
  return r.items.map((i) => ({ path: i.path, category: i.category, severity: i.severity })).sort((a, b) => rank(b.severity) - rank(a.severity) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `drift --online`: each enabled server of the target's merged tree checked (the MCP SDK loads only here). */
async function mcpHealth(view: MachineView, input: SweepInput): Promise<McpHealth[]> {
  const { serverHealth } = await import('../mcp/online.js');
  return serverHealth(view.mergedTree()['mcpServers'], {
    env: input.env,
    cwd: input.cwd,
    ...(input.timeoutMs !== undefined && input.timeoutMs > 0 ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.identity ? { identityFile: input.identity } : {}),
    onResolved: input.onResolved,
    commandLayers: commandLayers(view.repo.settings.raw).layers,
  });
}

/**
 * How many of remediate's fixes are critical items: its plan is worst first,
 * so with this as the limit it fixes those and nothing else.
 */
function criticalFixes(view: MachineView): number {
  const eligible = selectFixes(driftReport(view).plan, Number.MAX_SAFE_INTEGER, false).fix;
  let n = 0;
  while (n < eligible.length && eligible[n]!.severity === 'critical') n++;
  return n;
}

/**
 * A drift sweep of the home against the assignment: drift (online when
 * asked), then the critical items fixed (worst first, at most maxFixes)
 * through remediate's transaction; the rest is returned as manual items.
 * Never throws: a failure is its code, with what was read before it.
 */
export async function sweepAssignment(input: SweepInput): Promise<SweepOutcome> {
  const maxFixes = Number.isFinite(input.maxFixes) && input.maxFixes > 0 ? Math.floor(input.maxFixes) : 0;
  let drift: DriftSummary = NO_DRIFT;
  let after: DriftSummary | undefined;
  let fixed = 0;
  let mcpDown: string[] = [];
  let code: string | null = null;
  try {
    const a = input.assignment;
    const repo = repoFromAssignment(a);
    const extra = await localLayer(input.home, { env: input.env, cwd: input.cwd });
    const places = placesOf(input);
    const { sys, lockOptions } = machineSystem(input.env);
    const name = describeTarget(a.target);
    const waitMs = input.waitMs ?? 0;
    const claudeWaitMs = agentClaudeWaitMs(waitMs);
    // As `claude-env drift --online` reads it.
    const view = await readMachine({ repo, target: a.target, extra, places, sys, lockOptions, claudeWaitMs, command: `agent sweep ${name}` });
    const health = input.online ? await mcpHealth(view, input) : undefined;
    mcpDown = (health ?? []).filter((s) => !s.up).map((s) => s.name);
    const before = driftReport(view, health);
    drift = summaryOf(before);
    if (maxFixes > 0 && before.plan.some((s) => s.severity === 'critical' && s.kind !== 'down' && !s.force)) {
      // As `claude-env remediate` reads it: the outputs must pass apply's checks.
      const admitted = await readMachine({
        repo,
        target: a.target,
        extra,
        places,
        sys,
        lockOptions,
        claudeWaitMs,
        command: `agent sweep ${name}`,
        admit: (r, t, render) => admittedOrRefused(r, t, name, { ...render, extra: [...render.extra] }),
      });
      const limit = Math.min(maxFixes, criticalFixes(admitted));
      if (limit > 0) {
        const secrets = { env: input.env, cwd: input.cwd, ...(input.identity ? { identity: input.identity } : {}), sys, stateDir: admitted.store.dir, commandLayers: commandLayers(repo.settings.raw).layers, onResolved: input.onResolved };
        try {
          const r = await runRemediate({ view: admitted, maxFixes: limit, includeMedium: false, writable: () => writableOutputs(admitted.outputs, secrets), waitMs, claudeWaitMs });
          fixed = r.fixed.length;
          after = summaryOf(driftReport(r.view, health));
        } catch (err) {
          code = codeOf(err);
          // Rolled back, or never begun: the home as it is now.
          after = summaryOf(driftReport(await rereadMachine(admitted).catch(() => admitted), health));
        }
      }
    }
  } catch (err) {
    code ??= codeOf(err);
  }
  const left = after ?? drift;
  return { drift, after: left, fixed, manual: manualOf(left), mcp_down: mcpDown, error_code: code };
}

/**
 * Stage a revision beside the active one (blue-green): its bundle as a
 * config repo, the target's outputs rendered and admitted with the
 * machine's own layer on top, and their secrets resolved here, as apply
 * would; then dropped. Writes nothing (not the home, not claude-env's
 * state). Never throws: a revision that could not be applied is its code.
 */
export async function stageAssignment(input: StageAssignmentInput): Promise<StageResult> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  let code: string | null = null;
  try {
    const s = input.stage;
    const shaped: Assignment = { revision: s.revision, environment: input.environment ?? input.target.env, target: input.target, etag: s.etag, files: s.files };
    const repo = repoFromAssignment(shaped);
    // Whatever resolving would write (the machine's secret key, when it has none yet) is kept from the disk.
    const sys = dryRunSystem(machineSystem(input.env).sys);
    const places = placesOf(input);
    const extra = await localLayer(input.home, { env: input.env, cwd: input.cwd }, sys);
    const loc = await claudeLocations(sys, places, await new StateStore(places.stateDir, sys).readState());
    timings['prepare_ms'] = since(started);
    const at = performance.now();
    const rendered = await admittedOrRefused(repo, input.target, describeTarget(input.target), { extra: [...extra], projectMcp: loc.projectDir !== undefined, managed: loc.managedDir !== undefined, managedFragment: loc.managedFragment === true });
    await writableOutputs(rendered, {
      env: input.env,
      cwd: input.cwd,
      ...(input.identity ? { identity: input.identity } : {}),
      sys,
      stateDir: places.stateDir,
      commandLayers: commandLayers(repo.settings.raw).layers,
      onResolved: input.onResolved,
    });
    timings['render_ms'] = since(at);
  } catch (err) {
    code = codeOf(err);
  }
  timings['total_ms'] = since(started);
  return { ok: code === null, error_code: code, timings };
}
