/**
 * The switch apply, remediate and rollback change files with, through the
 * run's System: stage every new file beside its target (written, fsynced) →
 * journal "committing" → renames → fsync of the folders → state → journal
 * removed. A crash before the journal says "committing" leaves every file
 * old; after, the next command completes the renames: never half old, half
 * new. Also the recovery of an interrupted switch, and rollback to a
 * restore point (the same switch, the other way).
 *
 * Claude Code's lock on `.claude.json` is held for every write of that file:
 * the callers that read it before they write it (apply, remediate,
 * rollback) take it before the read; the recovery of an interrupted switch
 * takes it itself unless its caller holds it.
 */
import { basename, dirname, join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { sha256 } from '../provenance/hash.js';
import { SHARED_KINDS, UnparsableFileError, takeBackClaudeMd, takeBackMcpServers, takeBackSettingsJson, type TakenBack } from '../render/shared-files.js';
import { takeBackAgentMcp } from '../render/agent-files.js';
import { withLastWrites } from '../state/last-writes.js';
import type { JournalEntry, RestoreFile, RestorePoint, StateStore } from '../state/store.js';
import type { MachineState } from '../state/types.js';
import { CLAUDE_LOCK, lockClaudeJson } from '../system/claude-lock.js';
import { LinkGuard } from '../system/links.js';
import { isLink, tempPathFor, type FileOnDisk, type System } from '../system/system.js';
import { outputLocation, outputPlace, outputRoots, type ClaudeLocations } from './paths.js';

export interface FileChange {
  readonly path: string;
  readonly abs: string;
  /** New content; undefined removes the file. */
  readonly bytes?: Uint8Array;
  readonly mode?: number;
}

/** Rejects when a change may not be written (see `writeGuard`). */
export type WriteGuard = (change: { readonly path: string; readonly abs: string }) => Promise<void>;

/**
 * The write port's check of one change: its path stays under its root
 * (paths.ts `insideRoot`, through `outputPlace`) and no symbolic link is on
 * the way below the root, nor is the file one (system/links.ts). `links`
 * remembers the folders it has looked at, for one run.
 */
export function writeGuard(loc: ClaudeLocations, links: LinkGuard): WriteGuard {
  return async (c) => {
    const problem = await linkProblem(loc, links, c.path, c.abs);
    if (problem !== undefined) throw new ClaudeEnvError('unsafe-path', `${c.abs} ${problem}; nothing was changed`, { file: c.abs });
  };
}

/** Why an output may not be written at `abs` (a link on the way, or the file a link), or undefined; an `unsafe-path` error when its path leaves its root. */
function linkProblem(loc: ClaudeLocations, links: LinkGuard, path: string, abs: string): Promise<string | undefined> {
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

/** The link guard of one run over `loc`'s roots, looking through `sys`. */
export const linkGuardOf = (loc: ClaudeLocations, sys: System): LinkGuard => new LinkGuard(outputRoots(loc), sys);

/** A file as it is now, or undefined; a link is nothing claude-env reads. */
export async function fileAt(sys: System, abs: string): Promise<FileOnDisk | undefined> {
  const f = await sys.read(abs);
  return f === undefined || isLink(f) ? undefined : f;
}

/** Each file as it is now, to save in a restore point before it changes. */
export function filesNow(sys: System, files: ReadonlyArray<{ readonly path: string; readonly abs: string }>): Promise<Array<{ path: string; abs: string; bytes?: Buffer; mode?: number }>> {
  return Promise.all(
    files.map(async (f) => {
      const now = await fileAt(sys, f.abs);
      return { path: f.path, abs: f.abs, ...(now ? { bytes: now.bytes, mode: now.mode } : {}) };
    }),
  );
}

/** The change that makes Claude Code's state file, if any (an older journal names files by absolute path only). */
const claudeStateFile = (entries: ReadonlyArray<{ readonly path?: string | undefined; readonly abs: string }>): string | undefined =>
  entries.find((e) => e.path === '.claude.json' || (e.path === undefined && basename(e.abs) === '.claude.json'))?.abs;

/** How a switch treats Claude Code's lock on `.claude.json`. */
export interface ClaudeLockUse {
  /** The caller holds it already (it read the file under it). */
  readonly held?: boolean;
  /** How long to wait for it (default CLAUDE_LOCK.waitMs). */
  readonly waitMs?: number;
}

/** Run `fn` under Claude Code's lock on `abs` (when given, and not held already). */
export async function underClaudeLock<T>(abs: string | undefined, use: ClaudeLockUse, fn: () => Promise<T>): Promise<T> {
  if (abs === undefined || use.held) return fn();
  const release = await lockClaudeJson(abs, use.waitMs ?? CLAUDE_LOCK.waitMs);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Switch a set of files in one step (see the top of this file), through the
 * store's System. `restorePoint` names the restore point that holds the old
 * files. `guard`, the write port's check, sees every change before anything
 * is staged: a refusal leaves every file as it was.
 */
export async function commitFiles(store: StateStore, changes: readonly FileChange[], newState: MachineState, restorePoint: string, guard?: WriteGuard): Promise<void> {
  const sys = store.sys;
  // Every check at once (they only look); the first refusal in the order of `changes` is the one reported.
  if (guard) await settleAll(changes.map((c) => guard(c)));
  const entries: JournalEntry[] = changes.map((c) => (c.bytes === undefined ? { abs: c.abs, path: c.path, remove: true } : { abs: c.abs, path: c.path, temp: tempPathFor(c.abs) }));
  const id = restorePoint;
  await store.writeJournal({ id, phase: 'staging', restorePoint, entries, newState });
  // Every file staged at once (their fsyncs overlap); each folder made once first.
  const staged = changes.flatMap((c, i) => (entries[i]!.temp === undefined ? [] : [{ c, temp: entries[i]!.temp! }]));
  await settleAll([...new Set(staged.map(({ c }) => dirname(c.abs)))].map((d) => sys.mkdirp(d)));
  await settleAll(staged.map(({ c, temp }) => sys.stage(temp, c.bytes!, c.mode ?? 0o644)));
  await store.writeJournal({ id, phase: 'committing', restorePoint, entries, newState });
  await finishCommit(store, entries, newState);
}

/** Wait for every promise, then fail with the first failure in their order (none is left running behind the error, and the error is the same every run). */
async function settleAll(all: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(all)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function finishCommit(store: StateStore, entries: readonly JournalEntry[], newState: MachineState): Promise<void> {
  const sys = store.sys;
  await settleAll(
    entries.map(async (e) => {
      if (e.remove) await sys.remove(e.abs);
      else if (e.temp) {
        // A temp file that is gone was renamed already (a recovery finishing what a crash cut short).
        await sys.rename(e.temp, e.abs).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        });
      }
    }),
  );
  // A folder that no longer exists has nothing to sync.
  await Promise.all([...new Set(entries.map((e) => dirname(e.abs)))].map((d) => sys.syncDir(d).catch(() => {})));
  await store.writeState(newState);
  await store.removeJournal();
}

/** Take the lock and finish or undo an interrupted switch: what every command that looks at the machine does first. */
export async function recoverUnderLock(store: StateStore, command: string, waitMs = 0, claude: ClaudeLockUse = {}): Promise<'completed' | 'undone' | undefined> {
  if (!(await store.readJournal())) return undefined;
  const unlock = await store.lock(command, waitMs);
  try {
    return await recover(store, claude);
  } finally {
    await unlock();
  }
}

/** Finish (journal committing) or undo (journal staging) a switch that was interrupted. The caller holds claude-env's lock. */
export async function recover(store: StateStore, claude: ClaudeLockUse = {}): Promise<'completed' | 'undone' | undefined> {
  const j = await store.readJournal();
  if (!j) return undefined;
  if (j.phase === 'committing') {
    await underClaudeLock(claudeStateFile(j.entries), claude, () => finishCommit(store, j.entries, j.newState));
    await store.audit({ event: 'recovered', outcome: 'completed', restorePoint: j.restorePoint });
    return 'completed';
  }
  for (const e of j.entries) if (e.temp) await store.sys.remove(e.temp).catch(() => {});
  await store.removeJournal();
  await store.audit({ event: 'recovered', outcome: 'undone', restorePoint: j.restorePoint });
  return 'undone';
}

const TEMP = /^\.(.+)\.claude-env-[0-9a-z]+-[0-9a-f]+\.tmp$/;

/** The target a temp file of the switch stands for (a fault names the temp file; the user knows the target). */
export function targetOfTemp(path: string): string {
  const m = TEMP.exec(basename(path));
  return m ? join(dirname(path), m[1]!) : path;
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
async function rollBackFile(store: StateStore, point: RestorePoint, state: MachineState, f: RestoreFile, exact: boolean): Promise<{ file: RolledBackFile; change?: FileChange }> {
  const now = await fileAt(store.sys, f.abs);
  const saved = f.existed && f.blob ? await store.restoreBytes(point.id, f.blob) : undefined;
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
          : kind === 'agent-mcp'
            ? takeBackAgentMcp(f.path, text, old, rec?.owned ?? [], then?.owned ?? [])
            : takeBackMcpServers(f.path, text, old, rec?.owned ?? [], then?.owned ?? []);
  } catch (err) {
    if (!(err instanceof UnparsableFileError)) throw err;
    // Not JSON now: claude-env's part cannot be told from the rest. A file it created stays; an older one comes back whole.
    const why = `${CHANGED_SINCE} and is not valid ${f.path.endsWith('.toml') ? 'TOML' : 'JSON'}`;
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
export async function rollbackTo(store: StateStore, point: RestorePoint, reason: string, opts: RollbackOptions = {}): Promise<RolledBackFile[]> {
  const state = await store.readState();
  const done: Array<{ file: RolledBackFile; change?: FileChange }> = [];
  for (const f of point.files) done.push(await rollBackFile(store, point, state, f, !!opts.exact));
  const changes = done.flatMap((d) => (d.change ? [d.change] : []));
  // Each file of the restore point as this rollback leaves it (a rollback of the rollback tells later changes by it).
  const left = await Promise.all(
    point.files.map(async (f) => {
      const change = changes.find((c) => c.path === f.path);
      return { path: f.path, bytes: change ? change.bytes : (await fileAt(store.sys, f.abs))?.bytes };
    }),
  );
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
  await commitFiles(store, changes, newState, point.id, opts.guard);
  // Files where changes made since claude-env wrote them were kept (whole, or all but claude-env's part).
  const kept = done.filter((d) => d.file.action === 'keep-changed' || d.file.action === 'take-out').map((d) => d.file.path);
  await store.audit({ event: 'rollback', to: point.id, reason, files: changes.map((c) => c.path), ...(kept.length ? { kept } : {}) });
  return done.map((d) => d.file);
}
