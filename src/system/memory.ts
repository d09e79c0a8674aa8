/**
 * A `System` in memory: folders, files with modes, symbolic links (followed
 * on the way, never at the end, as the disk does). For tests, and for
 * anything that must plan without a disk. Errors are shaped as Node's
 * (`ENOENT`, `ENOTDIR`, `EEXIST`, `EISDIR`), so callers handle both alike.
 */
import { dirname, posix } from 'node:path';
import { fileError, linkRefused, type EntryInfo, type Found, type System } from './system.js';

type Node =
  | { readonly type: 'file'; readonly bytes: Buffer; readonly mode: number; readonly mtimeMs: number; readonly ino: number }
  | { readonly type: 'dir'; readonly mode: number; readonly mtimeMs: number; readonly ino: number }
  | { readonly type: 'link'; readonly target: string; readonly mtimeMs: number; readonly ino: number };

/** A file of the initial tree: text, bytes, bytes with a mode, or a link to a path. */
export type MemoryEntry = string | Uint8Array | { readonly bytes: string | Uint8Array; readonly mode?: number } | { readonly link: string };

const MAX_HOPS = 40;

class MemoryTree {
  readonly nodes = new Map<string, Node>([['/', { type: 'dir', mode: 0o755, mtimeMs: 0, ino: 1 }]]);
  private inos = 1;
  private clock = 0;

  /** A node's stamps: a new inode number, a later mtime. */
  stamp(): { mtimeMs: number; ino: number } {
    return { mtimeMs: ++this.clock, ino: ++this.inos };
  }

  /**
   * The path with every link on the way resolved (the last one too when
   * `followLast`), or an error: ENOENT when a folder on the way is missing,
   * ENOTDIR when a file is.
   */
  canonical(path: string, followLast: boolean, syscall: string): string {
    let parts = posix.resolve(path).split('/').filter(Boolean);
    let cur = '/';
    let hops = 0;
    for (let i = 0; i < parts.length; i++) {
      const next = cur === '/' ? `/${parts[i]}` : `${cur}/${parts[i]}`;
      const node = this.nodes.get(next);
      const last = i === parts.length - 1;
      if (node?.type === 'link' && (!last || followLast)) {
        if (++hops > MAX_HOPS) throw fileError('ELOOP', syscall, path);
        parts = [...posix.resolve(cur, node.target).split('/').filter(Boolean), ...parts.slice(i + 1)];
        i = -1;
        cur = '/';
        continue;
      }
      if (!last) {
        if (!node) throw fileError('ENOENT', syscall, path);
        if (node.type !== 'dir') throw fileError('ENOTDIR', syscall, path);
      }
      cur = next;
    }
    return cur;
  }

  /** The canonical path, or undefined where the disk says ENOENT or ENOTDIR. */
  find(path: string, followLast: boolean): string | undefined {
    try {
      return this.canonical(path, followLast, 'lstat');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  /** Where a new entry at `path` goes: its parent must be a folder. */
  placeFor(path: string, syscall: string): string {
    const at = this.canonical(path, false, syscall);
    const parent = this.nodes.get(dirname(at));
    if (!parent) throw fileError('ENOENT', syscall, path);
    if (parent.type !== 'dir') throw fileError('ENOTDIR', syscall, path);
    return at;
  }

  put(path: string, bytes: Uint8Array, mode: number): void {
    this.nodes.set(path, { type: 'file', bytes: Buffer.from(bytes), mode: mode & 0o777, ...this.stamp() });
  }

  children(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const out: string[] = [];
    for (const p of this.nodes.keys()) if (p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.push(p.slice(prefix.length));
    return out.sort();
  }
}

function info(node: Node, size: number): EntryInfo {
  return { type: node.type, mode: node.type === 'link' ? 0o777 : node.mode, size, mtimeMs: node.mtimeMs, ino: node.ino, dev: 1 };
}

export interface MemorySystem extends System {
  /** Put a symbolic link at `path` (a test plants what a user would: claude-env never makes one). */
  plantLink(target: string, path: string): void;
}

/** A System over a tree in memory, optionally seeded: absolute path → content (folders are made). */
export function memorySystem(files: Readonly<Record<string, MemoryEntry>> = {}): MemorySystem {
  const t = new MemoryTree();
  const mkdirp = (dir: string, mode = 0o755): void => {
    const parts = posix.resolve(dir).split('/').filter(Boolean);
    let cur = '/';
    for (const part of parts) {
      const next = t.canonical(cur === '/' ? `/${part}` : `${cur}/${part}`, true, 'mkdir');
      const node = t.nodes.get(next);
      if (!node) t.nodes.set(next, { type: 'dir', mode, ...t.stamp() });
      else if (node.type !== 'dir') throw fileError(next === posix.resolve(dir) ? 'EEXIST' : 'ENOTDIR', 'mkdir', dir);
      cur = next;
    }
  };
  for (const [path, entry] of Object.entries(files)) {
    mkdirp(dirname(path));
    if (typeof entry === 'object' && 'link' in entry) t.nodes.set(posix.resolve(path), { type: 'link', target: entry.link, ...t.stamp() });
    else if (typeof entry === 'string' || entry instanceof Uint8Array) t.put(posix.resolve(path), Buffer.from(entry), 0o644);
    else t.put(posix.resolve(path), Buffer.from(entry.bytes), entry.mode ?? 0o644);
  }
  const refuseLink = (at: string, path: string): void => {
    if (t.nodes.get(at)?.type === 'link') throw linkRefused(path);
  };
  const writeAt = (path: string, bytes: Uint8Array, mode: number, exclusive: boolean, syscall: string): void => {
    const at = t.placeFor(path, syscall);
    const node = t.nodes.get(at);
    if (node?.type === 'dir') throw fileError('EISDIR', syscall, path);
    if (exclusive && node) throw fileError('EEXIST', syscall, path);
    refuseLink(at, path);
    t.put(at, bytes, mode);
  };
  return {
    plantLink(target, path) {
      const at = t.placeFor(path, 'symlink');
      if (t.nodes.has(at)) throw fileError('EEXIST', 'symlink', path);
      t.nodes.set(at, { type: 'link', target, ...t.stamp() });
    },
    async read(path): Promise<Found> {
      const at = t.find(path, false);
      const node = at === undefined ? undefined : t.nodes.get(at);
      if (!node) return undefined;
      if (node.type === 'link') return { link: true };
      if (node.type === 'dir') throw fileError('EISDIR', 'read', path);
      return { bytes: Buffer.from(node.bytes), mode: node.mode };
    },
    async lstat(path) {
      const at = t.find(path, false);
      const node = at === undefined ? undefined : t.nodes.get(at);
      return node && info(node, node.type === 'file' ? node.bytes.length : node.type === 'link' ? node.target.length : 0);
    },
    async realpath(path) {
      const at = t.find(path, true);
      return at !== undefined && t.nodes.has(at) ? at : undefined;
    },
    async list(dir) {
      const at = t.find(dir, true);
      return at !== undefined && t.nodes.get(at)?.type === 'dir' ? t.children(at) : [];
    },
    async mkdirp(dir, mode) {
      mkdirp(dir, mode);
    },
    async writeFile(path, bytes, mode) {
      writeAt(path, bytes, mode, false, 'open');
    },
    async stage(temp, bytes, mode) {
      writeAt(temp, bytes, mode, true, 'open');
    },
    async rename(from, to) {
      const src = t.canonical(from, false, 'rename');
      const node = t.nodes.get(src);
      if (!node) throw fileError('ENOENT', 'rename', from);
      const dst = t.placeFor(to, 'rename');
      refuseLink(dst, to);
      if (t.nodes.get(dst)?.type === 'dir') throw fileError('EISDIR', 'rename', to);
      t.nodes.delete(src);
      t.nodes.set(dst, node);
    },
    async remove(path) {
      const at = t.find(path, false);
      if (at === undefined || !t.nodes.has(at)) return;
      refuseLink(at, path);
      if (t.nodes.get(at)!.type === 'dir') throw fileError('EISDIR', 'unlink', path);
      t.nodes.delete(at);
    },
    async removeTree(path) {
      const at = t.find(path, false);
      if (at === undefined) return;
      for (const p of [...t.nodes.keys()]) if (p === at || p.startsWith(`${at}/`)) t.nodes.delete(p);
    },
    async append(path, text, mode) {
      const at = t.placeFor(path, 'open');
      const node = t.nodes.get(at);
      if (node?.type === 'dir') throw fileError('EISDIR', 'open', path);
      refuseLink(at, path);
      const before = node?.type === 'file' ? node.bytes : Buffer.alloc(0);
      t.put(at, Buffer.concat([before, Buffer.from(text)]), node?.type === 'file' ? node.mode : mode);
    },
    async syncDir(dir) {
      const at = t.canonical(dir, true, 'open');
      if (!t.nodes.has(at)) throw fileError('ENOENT', 'open', dir);
    },
  };
}
