/**
 * apply, as one switch of the whole set of files (switch.ts): lock → finish
 * or undo an interrupted apply → plan → restore point → switch → post-apply
 * check → audit. Everything goes through one System:
 * - for real, the disk (with the crash test's faults when armed);
 * - `--dry-run` runs the very same steps over `dryRunSystem(disk)`: what
 *   it would write is recorded, nothing changes, no lock is taken;
 * - the post-apply check puts the planned files in place once more over
 *   `readOnlySystem(disk)`: a file that does not hold what was written is
 *   the first write, and fails.
 * `diff` is the dry run's record beside the machine (apply/diff.ts): one
 * piece of code decides the bytes of every output file.
 */
import { agentMcpView } from '../render/agent-files.js';
import type { UnparsableFileError } from '../render/shared-files.js';
import { harnessOfFile, isAgentMcpFile } from '../render/harnesses.js';
import { ClaudeEnvError } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { withLastWrites } from '../state/last-writes.js';
import type { LockOptions } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import type { MachineState } from '../state/types.js';
import { CLAUDE_LOCK } from '../system/claude-lock.js';
import { dryRunSystem, readOnlySystem, type DryRunSystem } from '../system/decorators.js';
import type { LinkGuard } from '../system/links.js';
import { isLink, realSystem, type Found, type System } from '../system/system.js';
import type { Target } from '../vocabulary.js';
import { outputLocation, outputPlace, type ClaudeLocations } from './paths.js';
import { UnmergeableFileError, planApply, type Plan } from './plan.js';
import { commitFiles, filesNow, linkGuardOf, recover, rollbackTo, targetOfTemp, underClaudeLock, writeGuard, type FileChange } from './switch.js';

export { commitFiles, recover, recoverUnderLock, rollbackTo, writeGuard, type FileChange, type RolledBackFile, type RollbackOptions, type WriteGuard } from './switch.js';

export interface ApplyOptions {
  readonly locations: ClaudeLocations;
  readonly stateDir: string;
  readonly target: Target;
  readonly revision?: string;
  readonly outputs: readonly Output[];
  readonly dryRun?: boolean;
  readonly force?: boolean;
  /** How long to wait for another claude-env. */
  readonly waitMs?: number;
  /** How long to wait for Claude Code's lock on `.claude.json` (default 5 s). */
  readonly claudeWaitMs?: number;
  readonly command?: string;
  /** The machine (default: the disk). */
  readonly sys?: System;
  /** How claude-env's lock is taken (the crash test's faults). */
  readonly lockOptions?: LockOptions;
}

export interface ApplyResult {
  readonly plan: Plan;
  readonly dryRun: boolean;
  readonly restorePoint?: string;
  readonly recovered?: 'completed' | 'undone';
  readonly bytesWritten: number;
  /** A dry run: the machine as apply would leave it (reads show what it would write) and the record of every change. */
  readonly dryRunSystem?: DryRunSystem;
}

/** What is at each output's place, read once, never through a link, for the plan (which is pure). */
async function readPlaces(sys: System, abs: readonly string[]): Promise<Map<string, Found>> {
  const found = await Promise.all(abs.map((a) => sys.read(a)));
  return new Map(abs.map((a, i) => [a, found[i]]));
}

/**
 * The apply plan of `outputs` over what `sys` holds: each output read (never
 * through a link) and the folders on the way looked at for links, then
 * plan.ts. A shared file that cannot be merged (`.claude.json` that does not
 * parse) is an `unparsable-file` error.
 */
export async function planOnMachine(
  sys: System,
  input: { readonly target: Target; readonly revision?: string; readonly outputs: readonly Output[]; readonly state: MachineState; readonly locations: ClaudeLocations; readonly force?: boolean },
  links: LinkGuard = linkGuardOf(input.locations, sys),
): Promise<Plan> {
  const loc = input.locations;
  const locate = (p: string): string => outputLocation(loc, p);
  const paths = [...new Set([...input.outputs.map((o) => o.path as string), ...Object.keys(input.state.outputs)])];
  const refusals = new Map<string, string | undefined>();
  await Promise.all(paths.map(async (p) => refusals.set(p, await links.problem(locate(p), outputPlace(loc, p).root, { file: false }))));
  const seen = await readPlaces(
    sys,
    paths.filter((p) => refusals.get(p) === undefined).map(locate),
  );
  try {
    return planApply({
      target: input.target,
      ...(input.revision ? { revision: input.revision } : {}),
      outputs: input.outputs,
      state: input.state,
      locate,
      actual: (abs) => seen.get(abs),
      // The file itself is opened without following a link (a link is a conflict): the guard looks at the folders only.
      refuse: (p) => refusals.get(p),
      ...(input.force ? { force: true } : {}),
    });
  } catch (err) {
    if (!(err instanceof UnmergeableFileError)) throw err;
    const cause = err.cause as UnparsableFileError;
    const agent = harnessOfFile(err.path);
    const why = agent ? `${agent} stops reading a file it cannot parse` : 'Claude Code would reset it';
    throw new ClaudeEnvError('unparsable-file', `${err.message}; claude-env does not write over it (${why}): nothing was changed`, { file: err.abs, ...(cause.at ?? {}), cause: err });
  }
}

/** The writes and removals of a plan, as one switch's changes. */
export const changesOf = (plan: Plan): FileChange[] => [...plan.writes.map((w) => ({ path: w.path, abs: w.abs, bytes: w.bytes, mode: w.mode })), ...plan.removes.map((r) => ({ path: r.path, abs: r.abs }))];

/**
 * Put each change in place unless the file holds it already. Over a
 * read-only system this is the post-apply check: the first file that does
 * not hold what was written is a `read-only-write` error.
 */
async function putInPlace(sys: System, changes: readonly FileChange[]): Promise<void> {
  const found = await Promise.all(changes.map((c) => sys.read(c.abs)));
  for (const [i, c] of changes.entries()) {
    const now = found[i];
    if (c.bytes === undefined) {
      if (now !== undefined) await sys.remove(c.abs);
    } else if (now === undefined || isLink(now) || Buffer.compare(now.bytes, Buffer.from(c.bytes)) !== 0) await sys.writeFile(c.abs, c.bytes, c.mode ?? 0o644);
  }
}

/** The post-apply check: apply's changes once more over a read-only view of `sys`; undefined when every file holds what was written (and JSON files parse). */
async function postApplyCheck(sys: System, changes: readonly FileChange[]): Promise<string | undefined> {
  try {
    await putInPlace(readOnlySystem(sys), changes);
  } catch (err) {
    if (!(err instanceof ClaudeEnvError) || err.code !== 'read-only-write') throw err;
    const c = changes.find((x) => x.abs === err.file);
    if (!c) throw err;
    return c.bytes === undefined ? `${c.path} should have been removed` : `${c.path} does not hold what was written`;
  }
  for (const c of changes) {
    const agentFile = isAgentMcpFile(c.path);
    if (c.bytes === undefined || (!c.abs.endsWith('.json') && !agentFile)) continue;
    try {
      const text = Buffer.from(c.bytes).toString('utf8');
      // Another agent's file is read in its own format (JSON with comments, Codex's TOML).
      if (agentFile) agentMcpView(c.path, text);
      else JSON.parse(text);
    } catch {
      return `${c.path} does not parse after writing`;
    }
  }
  return undefined;
}

/** A file system fault while staging (disk full, unwritable folder), said with the file it was for. */
function writeFailed(err: unknown, changes: readonly FileChange[]): ClaudeEnvError {
  const e = err as NodeJS.ErrnoException;
  const named = typeof e.path === 'string' ? targetOfTemp(e.path) : changes.find((c) => e.message?.includes(c.abs))?.abs;
  const reason = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'a file is in the way of a folder' : (e.code ?? e.message);
  return new ClaudeEnvError('write-failed', `cannot write ${named ?? 'an output'}: ${reason}; nothing was changed`, { ...(named ? { file: named } : {}), cause: err });
}

export async function runApply(opts: ApplyOptions): Promise<ApplyResult> {
  const disk = opts.sys ?? realSystem();
  const dry = opts.dryRun ? dryRunSystem(disk) : undefined;
  const sys = dry ?? disk;
  const store = new StateStore(opts.stateDir, sys, opts.lockOptions);
  // A dry run takes no lock: it changes nothing, and must not wait for anyone.
  const unlock = dry ? async () => {} : await store.lock(opts.command ?? 'apply', opts.waitMs);
  try {
    const claudeJson = outputLocation(opts.locations, '.claude.json');
    // Claude Code's lock, held from the read of .claude.json (the plan merges it) to its write.
    return await underClaudeLock(dry ? undefined : claudeJson, { waitMs: opts.claudeWaitMs ?? CLAUDE_LOCK.waitMs }, async () => {
      const recovered = dry ? undefined : await recover(store, { held: true });
      const state = await store.readState();
      // One look at the folders on the way for the plan and the switch (they are looked at again only where they did not exist).
      const links = linkGuardOf(opts.locations, sys);
      const plan = await planOnMachine(sys, { ...opts, state }, links);
      const base = { plan, dryRun: !!dry, bytesWritten: 0, ...(recovered ? { recovered } : {}), ...(dry ? { dryRunSystem: dry } : {}) };
      const changes = changesOf(plan);
      const newState: MachineState = {
        ...plan.newState,
        appliedAt: new Date().toISOString(),
        ...(opts.locations.projectDir ? { projectDir: opts.locations.projectDir } : {}),
        ...(opts.locations.managedDir ? { managedDir: opts.locations.managedDir } : {}),
        ...(state.lastWrites ? { lastWrites: state.lastWrites } : {}),
      };
      if (changes.length === 0) {
        if (JSON.stringify(state.outputs) !== JSON.stringify(plan.newState.outputs) || JSON.stringify(state.target) !== JSON.stringify(plan.newState.target) || state.revision !== plan.newState.revision) await store.writeState(newState);
        await store.audit({ event: 'apply', target: opts.target, revision: opts.revision, written: [], removed: [], conflicts: plan.conflicts.map((c) => c.path) });
        return base;
      }
      const guard = writeGuard(opts.locations, links);
      const restorePoint = await store.createRestorePoint('apply', await filesNow(sys, changes), state);
      try {
        await commitFiles(store, changes, withLastWrites(newState, changes, restorePoint), restorePoint, guard);
      } catch (err) {
        // Failed before the renames (a refusal, a full disk, an unwritable folder): undoing leaves every file as it was.
        await recover(store, { held: true });
        throw err instanceof ClaudeEnvError ? err : writeFailed(err, changes);
      }
      const problem = await postApplyCheck(sys, changes);
      if (problem) {
        await rollbackTo(store, await store.readRestorePoint(restorePoint), 'post-apply check failed', { exact: true, guard });
        throw new ClaudeEnvError('apply-check-failed', `${problem}; every file was put back as it was`);
      }
      await store.audit({
        event: 'apply',
        target: opts.target,
        revision: opts.revision,
        restorePoint,
        written: plan.writes.map((w) => w.path),
        removed: plan.removes.map((r) => r.path),
        conflicts: plan.conflicts.map((c) => c.path),
      });
      // A dry run's restore point is in its record only: nothing to roll back to.
      return dry ? base : { ...base, restorePoint, bytesWritten: plan.writes.reduce((n, w) => n + w.bytes.length, 0) };
    });
  } finally {
    await unlock();
  }
}
