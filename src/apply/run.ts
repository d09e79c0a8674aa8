/**
 * apply, as one switch of the whole set of files: lock → finish or undo an
 * interrupted apply → plan → restore point → stage every new file beside its
 * target (written, fsynced) → journal "committing" → renames → fsync of the
 * folders → post-apply check → state → journal removed. A crash before the
 * journal says "committing" leaves every file old; after, the next command
 * completes the renames: never half old, half new. Rollback uses the same
 * switch.
 */
import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_USAGE } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { StateStore, type JournalEntry, type RestorePoint } from '../state/store.js';
import type { MachineState } from '../state/types.js';
import { mkdirp, readIfExists, readNoFollow, removeFile, removeIfExists, renameInto, stageFile, syncDir, tempPathFor } from '../system/fs.js';
import type { Target } from '../vocabulary.js';
import { LinkGuard } from '../system/links.js';
import { outputLocation, outputPlace, outputRoots, type ClaudeLocations } from './paths.js';
import { planApply, type Plan } from './plan.js';

export interface FileChange {
  readonly path: string;
  readonly abs: string;
  /** New content; undefined removes the file. */
  readonly bytes?: Uint8Array;
  readonly mode?: number;
}

/** Throws when a change may not be written (see `writeGuard`). */
export type WriteGuard = (change: { readonly path: string; readonly abs: string }) => void;

/**
 * The write port's check of one change: its path stays under its root
 * (paths.ts `insideRoot`, through `outputPlace`) and no symbolic link is on
 * the way below the root, nor is the file one (system/links.ts). `links`
 * remembers the folders it has looked at, for one run.
 */
export function writeGuard(loc: ClaudeLocations, links = new LinkGuard(outputRoots(loc))): WriteGuard {
  return (c) => {
    const problem = linkProblem(loc, links, c.path, c.abs);
    if (problem !== undefined) throw new ClaudeEnvError('unsafe-path', `${c.abs} ${problem}; nothing was changed`, { file: c.abs, exitCode: EXIT_FINDINGS });
  };
}

/** Why an output may not be written at `abs` (a link on the way, or the file a link), or undefined; an `unsafe-path` error when its path leaves its root. */
function linkProblem(loc: ClaudeLocations, links: LinkGuard, path: string, abs: string): string | undefined {
  const at = outputLocation(loc, path);
  // A restore point made under other locations (another CLAUDE_CONFIG_DIR) names its own files: checked against the roots they are under.
  return at === abs ? links.problem(abs, outputPlace(loc, path).root) : links.problem(abs);
}

/**
 * Switch a set of files in one step (see the top of this file). `restorePoint`
 * names the restore point that holds the old files.
 */
export function commitFiles(store: StateStore, changes: readonly FileChange[], newState: MachineState, restorePoint: string, guard?: WriteGuard): void {
  // The one write port: every path is checked before anything is staged, so a refusal leaves every file as it was.
  if (guard) for (const c of changes) guard(c);
  const entries: JournalEntry[] = changes.map((c) => (c.bytes === undefined ? { abs: c.abs, remove: true } : { abs: c.abs, temp: tempPathFor(c.abs) }));
  const id = restorePoint;
  store.writeJournal({ id, phase: 'staging', restorePoint, entries, newState });
  changes.forEach((c, i) => {
    const temp = entries[i]!.temp;
    if (temp === undefined) return;
    mkdirp(dirname(c.abs));
    stageFile(temp, c.bytes!, c.mode ?? 0o644);
  });
  store.writeJournal({ id, phase: 'committing', restorePoint, entries, newState });
  finishCommit(store, entries, newState);
}

function finishCommit(store: StateStore, entries: readonly JournalEntry[], newState: MachineState): void {
  const dirs = new Set<string>();
  for (const e of entries) {
    if (e.remove) removeFile(e.abs);
    else if (e.temp && readIfExists(e.temp)) renameInto(e.temp, e.abs);
    dirs.add(dirname(e.abs));
  }
  for (const d of dirs) {
    try {
      syncDir(d);
    } catch {
      /* a folder that no longer exists has nothing to sync */
    }
  }
  store.writeState(newState);
  store.removeJournal();
}

/** Take the lock and finish or undo an interrupted apply: what every command that looks at the machine does first. */
export function recoverUnderLock(store: StateStore, command: string, waitMs = 0): 'completed' | 'undone' | undefined {
  if (!store.readJournal()) return undefined;
  const unlock = store.lock(command, waitMs);
  try {
    return recover(store);
  } finally {
    unlock();
  }
}

/** Finish (journal committing) or undo (journal staging) an apply that was interrupted. */
export function recover(store: StateStore): 'completed' | 'undone' | undefined {
  const j = store.readJournal();
  if (!j) return undefined;
  if (j.phase === 'committing') {
    finishCommit(store, j.entries, j.newState);
    store.audit({ event: 'recovered', outcome: 'completed', restorePoint: j.restorePoint });
    return 'completed';
  }
  for (const e of j.entries) if (e.temp) removeIfExists(e.temp);
  store.removeJournal();
  store.audit({ event: 'recovered', outcome: 'undone', restorePoint: j.restorePoint });
  return 'undone';
}

/** Claude Code's own lock on its state file (a folder made with mkdir, proper-lockfile style): held while claude-env rewrites `.claude.json`. */
function lockClaudeJson(abs: string, waitMs = 5000): () => void {
  const dir = `${abs}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(dir);
      return () => {
        try {
          rmdirSync(dir);
        } catch {
          /* gone */
        }
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return () => {}; // its folder does not exist yet: nobody can hold it
      if (code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(dir).mtimeMs > 10_000) {
        rmdirSync(dir); // stale, as proper-lockfile judges it
        continue;
      }
    } catch {
      continue;
    }
    if (Date.now() >= deadline) throw new ClaudeEnvError('lock-held', `Claude Code holds ${dir}; try again in a moment`, { file: dir, exitCode: EXIT_USAGE });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

export interface ApplyOptions {
  readonly locations: ClaudeLocations;
  readonly stateDir: string;
  readonly target: Target;
  readonly revision?: string;
  readonly outputs: readonly Output[];
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly waitMs?: number;
  readonly command?: string;
}

export interface ApplyResult {
  readonly plan: Plan;
  readonly dryRun: boolean;
  readonly restorePoint?: string;
  readonly recovered?: 'completed' | 'undone';
  readonly bytesWritten: number;
}

export function runApply(opts: ApplyOptions): ApplyResult {
  const store = new StateStore(opts.stateDir);
  const unlock = opts.dryRun ? () => {} : store.lock(opts.command ?? 'apply', opts.waitMs);
  const locate = (p: string): string => outputLocation(opts.locations, p);
  const links = new LinkGuard(outputRoots(opts.locations));
  const guard = writeGuard(opts.locations, links);
  const releaseClaude = opts.dryRun ? () => {} : lockClaudeJson(locate('.claude.json'));
  try {
    const recovered = opts.dryRun ? undefined : recover(store);
    const state = store.readState();
    const plan = planApply({
      target: opts.target,
      ...(opts.revision ? { revision: opts.revision } : {}),
      outputs: opts.outputs,
      state,
      locate,
      // The file itself is opened without following a link (a link is a conflict): the guard looks at the folders only.
      actual: readNoFollow,
      refuse: (p, abs) => links.problem(abs, outputPlace(opts.locations, p).root, { file: false }),
      ...(opts.force ? { force: true } : {}),
    });
    const base = { plan, dryRun: !!opts.dryRun, bytesWritten: 0, ...(recovered ? { recovered } : {}) };
    if (opts.dryRun) return base;
    const changes: FileChange[] = [...plan.writes.map((w) => ({ path: w.path, abs: w.abs, bytes: w.bytes, mode: w.mode })), ...plan.removes.map((r) => ({ path: r.path, abs: r.abs }))];
    const newState: MachineState = { ...plan.newState, appliedAt: new Date().toISOString(), ...(opts.locations.projectDir ? { projectDir: opts.locations.projectDir } : {}), ...(opts.locations.managedDir ? { managedDir: opts.locations.managedDir } : {}) };
    if (changes.length === 0) {
      if (JSON.stringify(state.outputs) !== JSON.stringify(plan.newState.outputs) || JSON.stringify(state.target) !== JSON.stringify(plan.newState.target)) store.writeState(newState);
      store.audit({ event: 'apply', target: opts.target, revision: opts.revision, written: [], removed: [], conflicts: plan.conflicts.map((c) => c.path) });
      return base;
    }
    const saved = changes.map((c) => {
      const now = readIfExists(c.abs);
      return { path: c.path, abs: c.abs, ...(now ? { bytes: now.bytes, mode: now.mode } : {}) };
    });
    const restorePoint = store.createRestorePoint('apply', saved, state);
    try {
      commitFiles(store, changes, newState, restorePoint, guard);
    } catch (err) {
      if (err instanceof ClaudeEnvError) {
        recover(store);
        throw err;
      }
      // Failed while staging (disk full, unwritable folder): nothing was renamed yet, so undoing leaves every file as it was.
      recover(store);
      const e = err as NodeJS.ErrnoException;
      const file = (e.path as string | undefined) ?? changes.find((c) => e.message?.includes(c.abs))?.abs;
      const reason = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'a file is in the way of a folder' : (e.code ?? e.message);
      throw new ClaudeEnvError('write-failed', `cannot write ${file ?? 'an output'}: ${reason}; nothing was changed`, { ...(file ? { file } : {}), exitCode: EXIT_USAGE, cause: err });
    }
    const problem = postApplyCheck(changes);
    if (problem) {
      rollbackTo(store, store.readRestorePoint(restorePoint), 'post-apply check failed', guard);
      throw new ClaudeEnvError('apply-check-failed', `${problem}; every file was put back as it was`, { exitCode: EXIT_USAGE });
    }
    store.audit({
      event: 'apply',
      target: opts.target,
      revision: opts.revision,
      restorePoint,
      written: plan.writes.map((w) => w.path),
      removed: plan.removes.map((r) => r.path),
      conflicts: plan.conflicts.map((c) => c.path),
    });
    return { ...base, restorePoint, bytesWritten: plan.writes.reduce((n, w) => n + w.bytes.length, 0) };
  } finally {
    releaseClaude();
    unlock();
  }
}

/** Re-read every file written: the bytes are the planned ones, and JSON files parse. */
function postApplyCheck(changes: readonly FileChange[]): string | undefined {
  for (const c of changes) {
    const now = readIfExists(c.abs);
    if (c.bytes === undefined) {
      if (now) return `${c.path} should have been removed`;
      continue;
    }
    if (!now || Buffer.compare(now.bytes, Buffer.from(c.bytes)) !== 0) return `${c.path} does not hold what was written`;
    if (c.abs.endsWith('.json')) {
      try {
        JSON.parse(readFileSync(c.abs, 'utf8'));
      } catch {
        return `${c.path} does not parse after writing`;
      }
    }
  }
  return undefined;
}

/** Put every file of a restore point back, and its state, in one switch. */
export function rollbackTo(store: StateStore, point: RestorePoint, reason: string, guard?: WriteGuard): FileChange[] {
  const changes: FileChange[] = point.files.map((f) =>
    f.existed && f.blob ? { path: f.path, abs: f.abs, bytes: store.restoreBytes(point.id, f.blob), mode: f.mode ?? 0o644 } : { path: f.path, abs: f.abs },
  );
  commitFiles(store, changes, point.state, point.id, guard);
  store.audit({ event: 'rollback', to: point.id, reason, files: changes.map((c) => c.path) });
  return changes;
}
