/**
 * Machine state in $CLAUDE_ENV_HOME: state.json (what is applied), the lock,
 * restore points (a copy of every file before a change, with retention),
 * the journal of an apply in flight, and the append-only audit log.
 * Everything is written atomically; state, restore points and the log are
 * private to the user (0600 files, 0700 folders): they can hold secrets.
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import { writeFileAtomic } from '../system/atomic.js';
import { crashPoint } from '../system/crash.js';
import { EMPTY_STATE, type MachineState } from './types.js';
import { takeLock } from './lock.js';

export type { LockHolder } from './lock.js';

export const RESTORE_POINTS_KEPT = 20;

export interface RestoreFile {
  /** Home-relative output path. */
  readonly path: string;
  readonly abs: string;
  readonly existed: boolean;
  readonly mode?: number;
  /** Name of the saved copy inside the restore point. */
  readonly blob?: string;
}

export interface RestorePoint {
  readonly id: string;
  readonly createdAt: string;
  readonly reason: string;
  readonly files: readonly RestoreFile[];
  readonly state: MachineState;
}

export interface JournalEntry {
  readonly abs: string;
  readonly temp?: string;
  readonly remove?: boolean;
}

export interface Journal {
  readonly id: string;
  readonly phase: 'staging' | 'committing';
  readonly restorePoint: string;
  readonly entries: readonly JournalEntry[];
  readonly newState: MachineState;
}

export class StateStore {
  constructor(readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private readJson<T>(file: string, what: string): T | undefined {
    // Absent is the common case (no journal): ask cheaply rather than build an error.
    if (!statSync(file, { throwIfNoEntry: false })) return undefined;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ClaudeEnvError('state-unreadable', `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code}`, { file, exitCode: EXIT_USAGE, cause: err });
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new ClaudeEnvError('state-corrupt', `${what} ${file} is damaged (not valid JSON: ${(err as Error).message})`, {
        file,
        exitCode: EXIT_USAGE,
        cause: err,
        hint: `nothing was changed; move it aside to start over (claude-env then treats every file as unmanaged)`,
      });
    }
  }

  readState(): MachineState {
    const s = this.readJson<MachineState>(this.path('state.json'), 'the machine state');
    if (s === undefined) return EMPTY_STATE;
    if (s.version !== 1 || typeof s.outputs !== 'object' || s.outputs === null) {
      throw new ClaudeEnvError('state-corrupt', `the machine state ${this.path('state.json')} has an unknown shape`, { file: this.path('state.json'), exitCode: EXIT_USAGE });
    }
    return s;
  }

  writeState(s: MachineState): void {
    this.ensure();
    crashPoint();
    writeFileAtomic(this.path('state.json'), `${JSON.stringify(s, null, 2)}\n`, 0o600);
    crashPoint();
  }

  /** Take the lock, or wait up to `waitMs` for it; a stale lock is taken over (state/lock.ts). */
  lock(command: string, waitMs = 0): () => void {
    this.ensure();
    return takeLock(this.path('lock'), command, waitMs);
  }

  private restoreDir(id?: string): string {
    return id ? join(this.dir, 'restore', id) : join(this.dir, 'restore');
  }

  /** Save every file before a change. The manifest is written last: a restore point without one is incomplete and ignored. */
  createRestorePoint(reason: string, files: ReadonlyArray<{ path: string; abs: string; bytes?: Buffer; mode?: number }>, state: MachineState): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    const id = `${stamp}-${process.pid}`;
    const dir = this.restoreDir(id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const saved: RestoreFile[] = files.map((f, i) => {
      if (f.bytes === undefined) return { path: f.path, abs: f.abs, existed: false };
      const blob = `f${String(i).padStart(4, '0')}`;
      crashPoint();
      writeFileAtomic(join(dir, blob), f.bytes, 0o600);
      return { path: f.path, abs: f.abs, existed: true, mode: f.mode ?? 0o644, blob };
    });
    const point: RestorePoint = { id, createdAt: new Date().toISOString(), reason, files: saved, state };
    crashPoint();
    writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(point, null, 2)}\n`, 0o600);
    crashPoint();
    this.prune();
    return id;
  }

  listRestorePoints(): RestorePoint[] {
    let ids: string[];
    try {
      ids = readdirSync(this.restoreDir()).sort();
    } catch {
      return [];
    }
    const out: RestorePoint[] = [];
    for (const id of ids) {
      try {
        out.push(JSON.parse(readFileSync(join(this.restoreDir(id), 'manifest.json'), 'utf8')) as RestorePoint);
      } catch {
        /* incomplete or damaged: not offered */
      }
    }
    return out;
  }

  readRestorePoint(id: string): RestorePoint {
    const file = join(this.restoreDir(id), 'manifest.json');
    try {
      statSync(this.restoreDir(id));
    } catch {
      const known = this.listRestorePoints().map((p) => p.id);
      throw new ClaudeEnvError('unknown-restore-point', `no restore point "${id}"`, { exitCode: EXIT_USAGE, hint: known.length ? `restore points: ${known.slice(-5).join(', ')}` : 'there are none yet' });
    }
    const point = this.readJson<RestorePoint>(file, 'the restore point');
    if (!point || !Array.isArray(point.files)) throw new ClaudeEnvError('restore-point-corrupt', `restore point ${id} is damaged: no usable manifest`, { file, exitCode: EXIT_USAGE });
    return point;
  }

  /** The saved bytes of one file of a restore point (a missing copy means the restore point is damaged). */
  restoreBytes(id: string, blob: string): Buffer {
    const file = join(this.restoreDir(id), blob);
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ClaudeEnvError('restore-point-corrupt', `restore point ${id} is damaged: ${blob} is missing`, { file, exitCode: EXIT_USAGE, cause: err });
    }
  }

  prune(keep = RESTORE_POINTS_KEPT): void {
    const all = this.listRestorePoints();
    for (const p of all.slice(0, Math.max(0, all.length - keep))) rmSync(this.restoreDir(p.id), { recursive: true, force: true });
  }

  readJournal(): Journal | undefined {
    return this.readJson<Journal>(this.path('journal.json'), 'the apply journal');
  }

  writeJournal(j: Journal): void {
    this.ensure();
    crashPoint();
    writeFileAtomic(this.path('journal.json'), JSON.stringify(j), 0o600);
    crashPoint();
  }

  removeJournal(): void {
    crashPoint();
    try {
      unlinkSync(this.path('journal.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    crashPoint();
  }

  /** One JSON line per event, appended. */
  audit(entry: Record<string, unknown>): void {
    this.ensure();
    appendFileSync(this.path('audit.log'), `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
  }

  readAudit(): Array<Record<string, unknown>> {
    try {
      return readFileSync(this.path('audit.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  }
}
