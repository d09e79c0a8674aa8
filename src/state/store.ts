/**
 * Machine state in $CLAUDE_ENV_HOME: state.json (what is applied), the lock,
 * restore points (a copy of every file before a change, with retention),
 * the journal of an apply in flight, and the append-only audit log.
 * Everything is written atomically, through the command's System (so a dry
 * run keeps it to itself, and the crash test's faults reach it); state,
 * restore points and the log are private to the user (0600 files, 0700
 * folders): they can hold secrets. The lock is not a file of the System:
 * it is taken on the disk (lock.ts).
 */
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { isLink, realSystem, type Found, type System } from '../system/system.js';
import { EMPTY_STATE, type MachineState } from './types.js';
import { takeLock, type LockOptions } from './lock.js';

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
  /** The output's home-relative path (journals written since claude-env took Claude Code's lock for them). */
  readonly path?: string;
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

const json = (v: unknown, pretty = true): Buffer => Buffer.from(pretty ? `${JSON.stringify(v, null, 2)}\n` : JSON.stringify(v));

export class StateStore {
  /** The state folder, made once per store (a store lives for one run). */
  private made: Promise<void> | undefined;

  /** `sys`: where the files are read and written; `lock`: how claude-env's lock is taken (the crash test's faults). */
  constructor(
    readonly dir: string,
    readonly sys: System = realSystem(),
    private readonly lockOptions: LockOptions = {},
  ) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  ensure(): Promise<void> {
    this.made ??= this.sys.mkdirp(this.dir, 0o700).catch((err: unknown) => {
      this.made = undefined;
      throw err;
    });
    return this.made;
  }

  private async readJson<T>(file: string, what: string): Promise<T | undefined> {
    let found;
    try {
      found = await this.sys.read(file);
    } catch (err) {
      throw new ClaudeEnvError('state-unreadable', `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code}`, { file, cause: err });
    }
    if (found === undefined) return undefined;
    if ('link' in found) throw new ClaudeEnvError('state-unreadable', `cannot read ${what} ${file}: it is a symbolic link`, { file });
    try {
      return JSON.parse(found.bytes.toString('utf8')) as T;
    } catch (err) {
      throw new ClaudeEnvError('state-corrupt', `${what} ${file} is damaged (not valid JSON: ${(err as Error).message})`, {
        file,
        cause: err,
        hint: `nothing was changed; move it aside to start over (claude-env then treats every file as unmanaged)`,
      });
    }
  }

  async readState(): Promise<MachineState> {
    const s = await this.readJson<MachineState>(this.path('state.json'), 'the machine state');
    if (s === undefined) return EMPTY_STATE;
    if (s.version !== 1 || typeof s.outputs !== 'object' || s.outputs === null) {
      throw new ClaudeEnvError('state-corrupt', `the machine state ${this.path('state.json')} has an unknown shape`, { file: this.path('state.json') });
    }
    return s;
  }

  async writeState(s: MachineState): Promise<void> {
    await this.ensure();
    await this.sys.writeFile(this.path('state.json'), json(s), 0o600);
  }

  /** Take the lock, or wait up to `waitMs` for it; a stale lock is taken over (state/lock.ts). */
  async lock(command: string, waitMs = 0): Promise<() => Promise<void>> {
    await this.ensure();
    return takeLock(this.path('lock'), command, waitMs, this.lockOptions);
  }

  private restoreDir(id?: string): string {
    return id ? join(this.dir, 'restore', id) : join(this.dir, 'restore');
  }

  /** Save every file before a change. The manifest is written last: a restore point without one is incomplete and ignored. */
  async createRestorePoint(reason: string, files: ReadonlyArray<{ path: string; abs: string; bytes?: Uint8Array; mode?: number }>, state: MachineState): Promise<string> {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    const id = `${stamp}-${process.pid}`;
    const dir = this.restoreDir(id);
    await this.sys.mkdirp(dir, 0o700);
    const saved = await Promise.all(
      files.map(async (f, i): Promise<RestoreFile> => {
        if (f.bytes === undefined) return { path: f.path, abs: f.abs, existed: false };
        const blob = `f${String(i).padStart(4, '0')}`;
        await this.sys.writeFile(join(dir, blob), f.bytes, 0o600);
        return { path: f.path, abs: f.abs, existed: true, mode: f.mode ?? 0o644, blob };
      }),
    );
    const point: RestorePoint = { id, createdAt: new Date().toISOString(), reason, files: saved, state };
    await this.sys.writeFile(join(dir, 'manifest.json'), json(point), 0o600);
    await this.prune();
    return id;
  }

  async listRestorePoints(): Promise<RestorePoint[]> {
    const ids = await this.sys.list(this.restoreDir());
    const points = await Promise.all(
      ids.map(async (id) => {
        try {
          const found = await this.sys.read(join(this.restoreDir(id), 'manifest.json'));
          return found && !('link' in found) ? (JSON.parse(found.bytes.toString('utf8')) as RestorePoint) : undefined;
        } catch {
          return undefined; // incomplete or damaged: not offered
        }
      }),
    );
    return points.filter((p): p is RestorePoint => p !== undefined);
  }

  async readRestorePoint(id: string): Promise<RestorePoint> {
    const file = join(this.restoreDir(id), 'manifest.json');
    if ((await this.sys.lstat(this.restoreDir(id)))?.type !== 'dir') {
      const known = (await this.listRestorePoints()).map((p) => p.id);
      throw new ClaudeEnvError('unknown-restore-point', `no restore point "${id}"`, { hint: known.length ? `restore points: ${known.slice(-5).join(', ')}` : 'there are none yet' });
    }
    const point = await this.readJson<RestorePoint>(file, 'the restore point');
    if (!point || !Array.isArray(point.files)) throw new ClaudeEnvError('restore-point-corrupt', `restore point ${id} is damaged: no usable manifest`, { file });
    return point;
  }

  /** The saved bytes of one file of a restore point (a missing copy means the restore point is damaged). */
  async restoreBytes(id: string, blob: string): Promise<Buffer> {
    const file = join(this.restoreDir(id), blob);
    const damaged = (cause?: unknown): ClaudeEnvError =>
      new ClaudeEnvError('restore-point-corrupt', `restore point ${id} is damaged: ${blob} is missing`, { file, ...(cause ? { cause } : {}) });
    let found: Found;
    try {
      found = await this.sys.read(file);
    } catch (err) {
      throw damaged(err);
    }
    if (!found || isLink(found)) throw damaged();
    return found.bytes;
  }

  async prune(keep = RESTORE_POINTS_KEPT): Promise<void> {
    const all = await this.listRestorePoints();
    for (const p of all.slice(0, Math.max(0, all.length - keep))) await this.sys.removeTree(this.restoreDir(p.id));
  }

  readJournal(): Promise<Journal | undefined> {
    return this.readJson<Journal>(this.path('journal.json'), 'the apply journal');
  }

  async writeJournal(j: Journal): Promise<void> {
    await this.ensure();
    await this.sys.writeFile(this.path('journal.json'), json(j, false), 0o600);
  }

  async removeJournal(): Promise<void> {
    await this.sys.remove(this.path('journal.json'));
  }

  /** One JSON line per event, appended. */
  async audit(entry: Record<string, unknown>): Promise<void> {
    await this.ensure();
    await this.sys.append(this.path('audit.log'), `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`, 0o600);
  }

  async readAudit(): Promise<Array<Record<string, unknown>>> {
    try {
      const found = await this.sys.read(this.path('audit.log'));
      if (!found || 'link' in found) return [];
      return found.bytes
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  }
}
