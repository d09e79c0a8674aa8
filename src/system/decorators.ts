/**
 * Systems over a System (chezmoi's `DryRunSystem` and `ErrorOnWriteSystem`):
 * - `dryRunSystem(inner)`: reads through `inner`, keeps every write and
 *   removal to itself and shows it to later reads (so a run over it goes as
 *   it would for real); `record()` is what the run would have changed.
 *   Nothing reaches `inner`.
 * - `readOnlySystem(inner)`: reads through; the first write or removal is a
 *   `read-only-write` error, and nothing is changed.
 * - `memoReads(inner)`: each read asked of `inner` once, for a run that reads
 *   the same files several times (diff: apply's dry run, then both sides of
 *   each file); any change made through it forgets what it kept.
 */
import { basename, dirname, posix } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { fileError, linkRefused, type EntryInfo, type Found, type System, type WriteOptions } from './system.js';

/** One change a dry run kept from the machine: the file as it would be, or its removal. */
export type Recorded =
  | { readonly op: 'write'; readonly path: string; readonly bytes: Buffer; readonly mode: number }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'mkdir'; readonly path: string };

export interface DryRunSystem extends System {
  /** Every path the run changed, as it would be at the end, in the order first changed (temp files renamed away are gone). */
  record(): Recorded[];
}

type Kept = { readonly type: 'file'; readonly bytes: Buffer; readonly mode: number } | { readonly type: 'dir' } | { readonly type: 'gone' };

export function dryRunSystem(inner: System): DryRunSystem {
  const kept = new Map<string, Kept>();
  /** Folders removed whole: what was below them in `inner` is gone. */
  const goneTrees: string[] = [];
  const underGoneTree = (p: string): boolean => goneTrees.some((d) => p === d || p.startsWith(`${d}/`));
  /** A path as the overlay keeps it: its folder where it really is (a link on the way resolved), then its name. */
  const key = async (path: string): Promise<string> => {
    const p = posix.resolve(path);
    if (p === '/') return p;
    const dir = dirname(p);
    const real = kept.has(dir) || underGoneTree(dir) ? dir : await inner.realpath(dir);
    return posix.join(real ?? (dir === '/' ? dir : await key(dir)), basename(p));
  };
  const keep = (p: string, k: Kept): void => {
    kept.delete(p);
    kept.set(p, k);
  };
  /** Gone: a removal when `inner` has it, else as if never written. */
  const forget = async (p: string): Promise<void> => {
    kept.delete(p);
    if (!underGoneTree(p) && (await inner.lstat(p))) keep(p, { type: 'gone' });
  };
  const readAt = async (p: string): Promise<Found> => {
    const k = kept.get(p);
    if (k?.type === 'file') return { bytes: Buffer.from(k.bytes), mode: k.mode };
    if (k?.type === 'gone' || underGoneTree(p)) return undefined;
    if (k?.type === 'dir') throw fileError('EISDIR', 'read', p);
    return inner.read(p);
  };
  const lstatAt = async (p: string): Promise<EntryInfo | undefined> => {
    const k = kept.get(p);
    if (k?.type === 'file') return { type: 'file', mode: k.mode, size: k.bytes.length, mtimeMs: 0, ino: 0, dev: 0 };
    if (k?.type === 'dir') return { type: 'dir', mode: 0o755, size: 0, mtimeMs: 0, ino: 0, dev: 0 };
    if (k?.type === 'gone' || underGoneTree(p)) return undefined;
    return inner.lstat(p);
  };
  /** Where a write to `path` lands: its folder must be there (here or in `inner`), and it must not be a link or a folder. */
  const writable = async (path: string, syscall: string, exclusive = false): Promise<string> => {
    const p = await key(path);
    const parent = await lstatAt(dirname(p));
    if (!parent) throw fileError('ENOENT', syscall, path);
    if (parent.type !== 'dir') throw fileError('ENOTDIR', syscall, path);
    const now = await lstatAt(p);
    if (now?.type === 'link') throw linkRefused(path);
    if (now?.type === 'dir') throw fileError('EISDIR', syscall, path);
    if (exclusive && now) throw fileError('EEXIST', syscall, path);
    return p;
  };
  return {
    read: async (path) => readAt(await key(path)),
    lstat: async (path) => lstatAt(await key(path)),
    async realpath(path) {
      const p = await key(path);
      const k = kept.get(p);
      if (k && k.type !== 'gone') return p;
      if (k?.type === 'gone' || underGoneTree(p)) return undefined;
      return inner.realpath(p);
    },
    async list(dir) {
      const d = await key(dir);
      const names = new Set(underGoneTree(d) ? [] : await inner.list(d));
      for (const [p, k] of kept) {
        if (dirname(p) !== d || p === d) continue;
        if (k.type === 'gone') names.delete(basename(p));
        else names.add(basename(p));
      }
      for (const name of [...names]) if (underGoneTree(posix.join(d, name)) && !kept.has(posix.join(d, name))) names.delete(name);
      return [...names].sort();
    },
    async mkdirp(dir) {
      const target = await key(dir);
      const parts = target.split('/').filter(Boolean);
      let cur = '';
      for (const part of parts) {
        cur = `${cur}/${part}`;
        const now = await lstatAt(cur);
        if (!now) keep(cur, { type: 'dir' });
        else if (now.type === 'link') cur = (await inner.realpath(cur)) ?? cur;
        else if (now.type !== 'dir') throw fileError(cur === target ? 'EEXIST' : 'ENOTDIR', 'mkdir', dir);
      }
    },
    async writeFile(path, bytes, mode) {
      keep(await writable(path, 'open'), { type: 'file', bytes: Buffer.from(bytes), mode: mode & 0o777 });
    },
    async stage(temp, bytes, mode) {
      keep(await writable(temp, 'open', true), { type: 'file', bytes: Buffer.from(bytes), mode: mode & 0o777 });
    },
    async rename(from, to) {
      const src = await key(from);
      const f = await readAt(src);
      if (!f || 'link' in f) throw fileError('ENOENT', 'rename', from);
      const dst = await writable(to, 'rename');
      await forget(src);
      keep(dst, { type: 'file', bytes: f.bytes, mode: f.mode });
    },
    async remove(path) {
      const p = await key(path);
      const now = await lstatAt(p);
      if (!now) return;
      if (now.type === 'link') throw linkRefused(path);
      if (now.type === 'dir') throw fileError('EISDIR', 'unlink', path);
      await forget(p);
    },
    async removeTree(path) {
      const p = await key(path);
      for (const k of [...kept.keys()]) if (k === p || k.startsWith(`${p}/`)) kept.delete(k);
      if (await inner.lstat(p)) {
        goneTrees.push(p);
        keep(p, { type: 'gone' });
      }
    },
    async append(path, text, mode) {
      const p = await writable(path, 'open');
      const now = await readAt(p);
      const before = now && !('link' in now) ? now : undefined;
      keep(p, { type: 'file', bytes: Buffer.concat([before?.bytes ?? Buffer.alloc(0), Buffer.from(text)]), mode: before?.mode ?? mode & 0o777 });
    },
    async syncDir(dir) {
      if (!(await lstatAt(await key(dir)))) throw fileError('ENOENT', 'open', dir);
    },
    record() {
      const out: Recorded[] = [];
      for (const [path, k] of kept) {
        if (k.type === 'file') out.push({ op: 'write', path, bytes: k.bytes, mode: k.mode });
        else if (k.type === 'dir') out.push({ op: 'mkdir', path });
        else out.push({ op: 'remove', path });
      }
      return out;
    },
  };
}

/** What a dry run would leave at each path it wrote or removed: bytes, or undefined for a removal. */
export function recordedFiles(record: readonly Recorded[]): Map<string, { bytes: Buffer; mode: number } | undefined> {
  const out = new Map<string, { bytes: Buffer; mode: number } | undefined>();
  for (const r of record) {
    if (r.op === 'write') out.set(r.path, { bytes: r.bytes, mode: r.mode });
    else if (r.op === 'remove') out.set(r.path, undefined);
  }
  return out;
}

export function readOnlySystem(inner: System): System {
  const refuse = (what: string, path: string): Promise<never> =>
    Promise.reject(new ClaudeEnvError('read-only-write', `${path}: ${what} refused, this run may only read`, { file: path }));
  return {
    read: (p) => inner.read(p),
    lstat: (p) => inner.lstat(p),
    realpath: (p) => inner.realpath(p),
    list: (p) => inner.list(p),
    mkdirp: (p) => refuse('mkdir', p),
    writeFile: (p) => refuse('write', p),
    stage: (p) => refuse('write', p),
    rename: (_from, to) => refuse('rename', to),
    remove: (p) => refuse('remove', p),
    removeTree: (p) => refuse('remove', p),
    append: (p) => refuse('append', p),
    syncDir: (p) => refuse('fsync', p),
  };
}

export function memoReads(inner: System): System {
  const kept = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let got = kept.get(key) as Promise<T> | undefined;
    if (got === undefined) {
      got = read();
      kept.set(key, got);
      // A failed read is asked again next time.
      got.catch(() => kept.delete(key));
    }
    return got;
  };
  const changes =
    <A extends unknown[]>(change: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      kept.clear();
      try {
        await change(...args);
      } finally {
        kept.clear();
      }
    };
  return {
    read: (p) => once(`r:${p}`, () => inner.read(p)),
    lstat: (p) => once(`l:${p}`, () => inner.lstat(p)),
    realpath: (p) => once(`p:${p}`, () => inner.realpath(p)),
    list: (d) => once(`d:${d}`, () => inner.list(d)),
    mkdirp: changes((d: string, mode?: number) => inner.mkdirp(d, mode)),
    writeFile: changes((p: string, bytes: Uint8Array, mode: number, opts?: WriteOptions) => inner.writeFile(p, bytes, mode, opts)),
    stage: changes((t: string, bytes: Uint8Array, mode: number) => inner.stage(t, bytes, mode)),
    rename: changes((from: string, to: string) => inner.rename(from, to)),
    remove: changes((p: string) => inner.remove(p)),
    removeTree: changes((p: string) => inner.removeTree(p)),
    append: changes((p: string, text: string, mode: number) => inner.append(p, text, mode)),
    syncDir: (d) => inner.syncDir(d),
  };
}
