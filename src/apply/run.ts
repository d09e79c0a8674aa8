/**
 * apply, as one switch of the whole set of files: lock → finish or undo an
 * interrupted apply → plan → restore point → stage every new file beside its
 * target (written, fsynced) → journal "committing" → renames → fsync of the
 * folders → post-apply check → state → journal removed. A crash before the
 * journal says "committing" leaves every file old; after, the next command
 * completes the renames: never half old, half new. Rollback uses the same
 * switch.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_USAGE } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { sha256 } from '../provenance/hash.js';
import { SHARED_KINDS, UnparsableFileError, takeBackClaudeMd, takeBackMcpServers, takeBackSettingsJson, type TakenBack } from '../render/shared-files.js';
import { StateStore, type JournalEntry, type RestoreFile, type RestorePoint } from '../state/store.js';
import { withLastWrites } from '../state/last-writes.js';
import type { MachineState } from '../state/types.js';
import { lockClaudeJson } from '../system/claude-lock.js';
import { mkdirp, readIfExists, readNoFollow, removeFile, removeIfExists, renameInto, stageFile, syncDir, tempPathFor } from '../system/fs.js';
import { LinkGuard } from '../system/links.js';
import type { Target } from '../vocabulary.js';
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
  let root: string | undefined;
  try {
    const place = outputPlace(loc, path);
    if (outputLocation(loc, path) === abs) root = place.root;
  } catch (err) {
    // A project or managed file of a restore point made with --project-dir/--managed that these locations do not name.
    if (!(err instanceof ClaudeEnvError) || err.code !== 'usage') throw err;
  }
  // A restore point made under other locations (another CLAUDE_CONFIG_DIR) names its own files: checked against the roots they are under.
  return root !== undefined ? links.problem(abs, root) : links.problem(abs);
}

/**
 * Switch a set of files in one step (see the top of this file). `restorePoint`
 * names the restore point that holds the old files. `guard`, the write
 * port's check, sees every change before anything is staged: a refusal
 * leaves every file as it was.
 */
export function commitFiles(store: StateStore, changes: readonly FileChange[], newState: MachineState, restorePoint: string, guard?: WriteGuard): void {
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
    const newState: MachineState = {
      ...plan.newState,
      appliedAt: new Date().toISOString(),
      ...(opts.locations.projectDir ? { projectDir: opts.locations.projectDir } : {}),
      ...(opts.locations.managedDir ? { managedDir: opts.locations.managedDir } : {}),
      ...(state.lastWrites ? { lastWrites: state.lastWrites } : {}),
    };
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
      commitFiles(store, changes, withLastWrites(newState, changes, restorePoint), restorePoint, guard);
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
      rollbackTo(store, store.readRestorePoint(restorePoint), 'post-apply check failed', { exact: true, guard });
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

/** What a rollback did to one file of the restore point. */
export interface RolledBackFile {
  readonly path: string;
  /**
   * `restore`: the file as the restore point has it; `remove`: a file the
   * undone change created, unchanged since, is gone; `take-out`: a shared
   * file someone changed since keeps their changes, claude-env's part goes
   * (and its part at the restore point comes back); `keep-changed`: a file
   * the undone change created and someone changed since stays as it is;
   * `unchanged`: the file already is as the restore point has it.
   */
  readonly action: 'restore' | 'remove' | 'take-out' | 'keep-changed' | 'unchanged';
  /** Why, when the file was changed since claude-env wrote it. */
  readonly reason?: string;
  /** take-out: what of claude-env's went (settings key paths, server names, `managed block`) and what came back. */
  readonly takenOut?: readonly string[];
  readonly putBack?: readonly string[];
}

export interface RollbackOptions {
  /**
   * The automatic rollback of apply and remediate, moments after their
   * writes, under the locks: every byte goes back as the restore point has
   * it (a file that does not hold what was written is the fault itself).
   */
  readonly exact?: boolean;
  /** The restore point the caller made of the files before this rollback (so it can be rolled back in turn). */
  readonly savedAs?: string;
  /** The write port's check of every file written or removed (see `writeGuard`). */
  readonly guard?: WriteGuard;
}

const CHANGED_SINCE = 'changed since claude-env wrote it';

/** One file of a restore point: what the rollback does to it, and the write that does it. */
function rollBackFile(store: StateStore, point: RestorePoint, state: MachineState, f: RestoreFile, exact: boolean): { file: RolledBackFile; change?: FileChange } {
  const now = readIfExists(f.abs);
  const saved = f.existed && f.blob ? store.restoreBytes(point.id, f.blob) : undefined;
  const mode = f.mode ?? 0o644;
  const restore = (reason?: string) => (saved ? { file: { path: f.path, action: 'restore' as const, ...(reason ? { reason } : {}) }, change: { path: f.path, abs: f.abs, bytes: saved, mode } } : { file: { path: f.path, action: 'remove' as const }, change: { path: f.path, abs: f.abs } });
  if (!now) return saved ? restore() : { file: { path: f.path, action: 'unchanged' } };
  if (saved && now.mode === mode && Buffer.compare(now.bytes, saved) === 0) return { file: { path: f.path, action: 'unchanged' } };
  const rec = state.outputs[f.path];
  const then = point.state.outputs[f.path];
  const kind = rec?.kind ?? then?.kind;
  const shared = kind !== undefined && SHARED_KINDS.has(kind);
  // Untouched since the change this restore point undoes left it; a whole file also when it holds just what claude-env renders.
  const hash = sha256(now.bytes);
  const last = state.lastWrites?.[f.path];
  const untouched = (last?.point === point.id && last.sha256 === hash) || (rec !== undefined && !shared && !rec.secrets && rec.hash === hash);
  if (exact || untouched) return restore();
  if (!shared) return saved ? restore(CHANGED_SINCE) : { file: { path: f.path, action: 'keep-changed', reason: CHANGED_SINCE } };
  const text = now.bytes.toString('utf8');
  const old = saved?.toString('utf8');
  let r: TakenBack;
  try {
    r =
      kind === 'settings-json'
        ? takeBackSettingsJson(text, old, rec?.owned ?? [], then?.owned ?? [])
        : kind === 'claude-md'
          ? takeBackClaudeMd(text, old)
          : takeBackMcpServers(f.path, text, old, rec?.owned ?? [], then?.owned ?? []);
  } catch (err) {
    if (!(err instanceof UnparsableFileError)) throw err;
    // Not JSON now: claude-env's part cannot be told from the rest. A file it created stays; an older one comes back whole.
    const why = `${CHANGED_SINCE} and is not valid JSON`;
    return saved ? restore(why) : { file: { path: f.path, action: 'keep-changed', reason: why } };
  }
  if (!saved && r.empty) return { file: { path: f.path, action: 'remove' }, change: { path: f.path, abs: f.abs } };
  const part = { reason: CHANGED_SINCE, takenOut: r.takenOut, putBack: r.putBack };
  if (r.content === text) return { file: { path: f.path, action: 'unchanged', ...part } };
  return { file: { path: f.path, action: 'take-out', ...part }, change: { path: f.path, abs: f.abs, bytes: Buffer.from(r.content), mode: kind === 'claude-json' ? 0o600 : now.mode } };
}

/**
 * Put the files of a restore point back, and its state, in one switch. A
 * file nobody changed since claude-env last wrote it comes back whole (or
 * goes, if the undone change created it). A shared file someone changed
 * since (`.claude.json`, settings.json, CLAUDE.md, `.mcp.json`) keeps every
 * change of theirs: only claude-env's part goes, and its part at the
 * restore point comes back. A whole file someone changed since stays if the
 * undone change created it. The caller holds claude-env's lock, and Claude
 * Code's lock on `.claude.json` when the restore point has it.
 */
export function rollbackTo(store: StateStore, point: RestorePoint, reason: string, opts: RollbackOptions = {}): RolledBackFile[] {
  const state = store.readState();
  const done = point.files.map((f) => rollBackFile(store, point, state, f, !!opts.exact));
  const changes = done.flatMap((d) => (d.change ? [d.change] : []));
  // Each file of the restore point as this rollback leaves it (a rollback of the rollback tells later changes by it).
  const left = point.files.map((f) => {
    const change = changes.find((c) => c.path === f.path);
    return { path: f.path, bytes: change ? change.bytes : readIfExists(f.abs)?.bytes };
  });
  let newState: MachineState = { ...point.state, ...(state.lastWrites ? { lastWrites: state.lastWrites } : {}) };
  if (opts.savedAs) newState = withLastWrites(newState, left, opts.savedAs);
  else {
    // Put back byte for byte: what the restore point's state knew of these files holds again.
    const lastWrites = { ...newState.lastWrites };
    for (const f of point.files) {
      const before = point.state.lastWrites?.[f.path];
      if (before) lastWrites[f.path] = before;
      else delete lastWrites[f.path];
    }
    newState = { ...newState, lastWrites };
  }
  commitFiles(store, changes, newState, point.id, opts.guard);
  // Files where changes made since claude-env wrote them were kept (whole, or all but claude-env's part).
  const kept = done.filter((d) => d.file.action === 'keep-changed' || d.file.action === 'take-out').map((d) => d.file.path);
  store.audit({ event: 'rollback', to: point.id, reason, files: changes.map((c) => c.path), ...(kept.length ? { kept } : {}) });
  return done.map((d) => d.file);
}
