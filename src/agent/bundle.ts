/**
 * An assignment on the machine: its bundle as an in-memory config repo,
 * applied through the one apply path (`applyTargetTo`, as `claude-env apply`
 * runs it) with the machine's own `local-overrides.yml` on top and secrets
 * resolved here, and the drift of the home against it, as `claude-env drift`
 * computes it. What goes back to the controller is codes, paths and counts:
 * never a value.
 */
import { resolve } from 'node:path';
import type { Assignment, DriftSummary } from '../controller/api.js';
import { ClaudeEnvError } from '../errors.js';
import { repoEntryProblem } from '../paths.js';
import { driftReport, readMachine, type MachinePlaces } from '../apply/machine.js';
import type { ApplyResult } from '../apply/run.js';
import { applyTargetTo } from '../apply/target.js';
import { Repo } from '../repo/repo.js';
import { memorySource } from '../repo/source.js';
import { describeTarget } from '../repo/target-name.js';
import { PACKAGE_YAML, type Yaml } from '../repo/yaml.js';
import type { LockOptions } from '../state/lock.js';
import type { DriftReport } from '../drift/types.js';
import { StateStore } from '../state/store.js';
import { CLAUDE_LOCK } from '../system/claude-lock.js';
import { faultsFrom, systemFor } from '../system/crash.js';
import type { System } from '../system/system.js';
import { localLayer } from '../workspace/open.js';

/** The config repo an assignment carries: its files in memory, modes kept. */
export function repoFromAssignment(a: Assignment, yaml: Yaml = PACKAGE_YAML): Repo {
  // Null prototypes: a file named `__proto__` is a file like any other.
  const files: Record<string, string | Uint8Array> = Object.create(null) as Record<string, string | Uint8Array>;
  const modes: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [path, f] of Object.entries(a.files)) {
    // What came over the network is checked as a git tree's entries are: a name that is no plain repo path is never read.
    const problem = repoEntryProblem(path);
    if (problem !== undefined) throw new ClaudeEnvError('repo-path', `the assignment's file ${JSON.stringify(path)} ${problem}: nothing of this assignment is applied`);
    const file = f as { mode?: unknown; text?: unknown; base64?: unknown };
    if (typeof file.mode !== 'number') throw new ClaudeEnvError('bad-request', `the assignment's file ${JSON.stringify(path)} has no mode`);
    if (typeof file.text === 'string') files[path] = file.text;
    else if (typeof file.base64 === 'string') files[path] = Buffer.from(file.base64, 'base64');
    else throw new ClaudeEnvError('bad-request', `the assignment's file ${JSON.stringify(path)} is neither text nor base64`);
    // The modes git records, and only those: an executable bit or not (never setuid, setgid or sticky).
    modes[path] = (file.mode & 0o111) !== 0 ? 0o755 : 0o644;
  }
  return new Repo(memorySource(files, modes), { yaml });
}

export interface MachineInput {
  readonly assignment: Assignment;
  readonly home: string;
  /** $CLAUDE_ENV_HOME. */
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface ApplyAssignmentInput extends MachineInput {
  /** An age identity file for `!encrypted` values (else $CLAUDE_ENV_AGE_IDENTITY). */
  readonly identity?: string;
  /** How long to wait for another claude-env's lock (default 0). */
  readonly waitMs?: number;
  /** Told each secret value once resolved, to keep it out of what the caller prints. */
  readonly onResolved?: (value: string, description: string) => void;
}

/** What apply did, without the bytes it wrote (they may hold secrets). */
export interface ApplySummary {
  readonly restore_point: string | null;
  readonly recovered: 'completed' | 'undone' | null;
  readonly written: ReadonlyArray<{ readonly path: string; readonly action: string; readonly bytes: number; readonly mode: number }>;
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
  /** Files in the way (unmanaged, or links): not written. */
  readonly conflicts: readonly string[];
}

export interface ApplyAssignmentResult {
  readonly result: 'ok' | 'failed' | 'rolled-back';
  /** A ClaudeEnvError's code (`conflict` when files were in the way), never its message. */
  readonly error_code: string | null;
  /** The revision the machine holds after (its state), null when it holds none. */
  readonly revision_now: string | null;
  readonly timings: Record<string, number>;
  readonly apply?: ApplySummary;
}

/** Where things are on this machine, as `machinePlaces` of the CLI makes them. */
export function placesOf(input: Pick<MachineInput, 'home' | 'stateDir' | 'env' | 'cwd'>): MachinePlaces {
  const configDir = input.env['CLAUDE_CONFIG_DIR'] || undefined;
  return { home: resolve(input.cwd, input.home), stateDir: resolve(input.cwd, input.stateDir), ...(configDir ? { configDir } : {}), env: input.env };
}

/** The run's System and lock options, as the CLI's `machineSystem` makes them (the crash test's faults when the environment arms them). */
export function machineSystem(env: NodeJS.ProcessEnv): { sys: System; lockOptions: LockOptions } {
  return { sys: systemFor(env), lockOptions: faultsFrom(env)?.failLockWrite ? { failWrite: true } : {} };
}

function summary(r: ApplyResult): ApplySummary {
  const p = r.plan;
  return {
    restore_point: r.restorePoint ?? null,
    recovered: r.recovered ?? null,
    written: p.writes.map((w) => ({ path: w.path, action: w.action, bytes: w.bytes.length, mode: w.mode })),
    removed: p.removes.map((x) => x.path),
    unchanged: [...p.unchanged],
    conflicts: p.conflicts.map((c) => c.path),
  };
}

const since = (t: number): number => Math.round(performance.now() - t);

/**
 * Apply the assignment to the home, as `claude-env apply` would (lock,
 * restore point, switch, post-apply check, automatic rollback), recording
 * its revision. Never throws: a failure is its code; `rolled-back` when the
 * post-apply check failed and every file was put back.
 */
export async function applyAssignment(input: ApplyAssignmentInput): Promise<ApplyAssignmentResult> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const places = placesOf(input);
  const { sys, lockOptions } = machineSystem(input.env);
  let result: ApplyAssignmentResult['result'] = 'ok';
  let code: string | null = null;
  let applied: ApplySummary | undefined;
  try {
    const a = input.assignment;
    const repo = repoFromAssignment(a);
    const extra = await localLayer(input.home, { env: input.env, cwd: input.cwd });
    timings['prepare_ms'] = since(started);
    const name = describeTarget(a.target);
    const at = performance.now();
    const r = await applyTargetTo({
      repo,
      target: a.target,
      name,
      extra,
      places,
      sys,
      lockOptions,
      revision: a.revision,
      waitMs: input.waitMs ?? 0,
      claudeWaitMs: agentClaudeWaitMs(input.waitMs ?? 0),
      command: `agent apply ${name}`,
      secrets: { env: input.env, cwd: input.cwd, ...(input.identity ? { identity: input.identity } : {}), onResolved: input.onResolved },
    });
    timings['apply_ms'] = since(at);
    applied = summary(r);
    if (r.plan.conflicts.length > 0) {
      result = 'failed';
      code = 'conflict';
    }
  } catch (err) {
    code = err instanceof ClaudeEnvError ? err.code : 'internal';
    result = code === 'apply-check-failed' ? 'rolled-back' : 'failed';
  }
  const state = await new StateStore(places.stateDir, sys).readState().catch(() => undefined);
  timings['total_ms'] = since(started);
  return { result, error_code: code, revision_now: state?.revision ?? null, timings, ...(applied ? { apply: applied } : {}) };
}

/** The drift of the home against the assignment (offline, as `claude-env drift`): paths, categories and severities only. */
export async function driftSummary(input: MachineInput): Promise<DriftSummary> {
  const a = input.assignment;
  const { sys, lockOptions } = machineSystem(input.env);
  const view = await readMachine({
    repo: repoFromAssignment(a),
    target: a.target,
    extra: await localLayer(input.home, { env: input.env, cwd: input.cwd }),
    places: placesOf(input),
    sys,
    lockOptions,
    command: `agent drift ${describeTarget(a.target)}`,
  });
  return summaryOf(driftReport(view));
}

/** A drift report as the controller gets it: paths, categories, severities; never values. */
export function summaryOf(r: DriftReport): DriftSummary {
  return { drift_percentage: r.drift_percentage, risk_level: r.risk_level, items: r.items.map((i) => ({ path: i.path, category: i.category, severity: i.severity })) };
}

/** An agent is not in a hurry: it outwaits Claude Code's lock until a dead holder's is stale (10 s). */
export const agentClaudeWaitMs = (waitMs: number): number => Math.max(waitMs, CLAUDE_LOCK.staleMs + 2000);
