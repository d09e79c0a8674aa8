/**
 * The write port's guard against symbolic links on a developer machine.
 * Below its root (the Claude config dir, the home for `.claude.json`, the
 * project dir, the managed dir, `render --out`), claude-env writes nothing
 * through a link:
 * - an output that is itself a link (a dotfiles farm's
 *   `~/.claude/settings.json -> ~/dotfiles/settings.json`) is the user's: a
 *   conflict, never replaced nor written through, not even with --force;
 * - a folder on the way that is a link is followed only when it leads back
 *   inside the root (`~/.claude/agents -> ~/.claude/team-agents`); one that
 *   leads out is refused.
 * The root itself may be a link (`~/.claude -> ~/dotfiles/claude`): the user
 * chose it, no layer can (claude-env never makes a link), and everything
 * below it is checked against where it really is.
 *
 * One lstat per folder on the way (remembered for the run) and one per file.
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export class LinkGuard {
  /** Folder → why nothing may be written below it ('' when it is fine, or does not exist yet). */
  private readonly folders = new Map<string, string>();
  private readonly realRoots = new Map<string, string | undefined>();

  /** The roots outputs go under, most specific first when one holds another (`~/.claude` before `~`). */
  constructor(private readonly roots: readonly string[] = []) {
    this.roots = [...new Set(roots.map((r) => resolve(r)))].sort((a, b) => b.length - a.length);
  }

  /** The root `abs` lies under (the most specific one), or undefined. */
  rootOf(abs: string): string | undefined {
    const full = resolve(abs);
    return this.roots.find((r) => full.startsWith(r.endsWith(sep) ? r : `${r}${sep}`));
  }

  /**
   * Why claude-env may not write or remove `abs` (a file under `root`, or
   * under the most specific of the guard's roots), or undefined when it may.
   * Outside every root only the file itself is checked. `file: false` checks
   * the folders only (the caller opens the file without following a link).
   */
  problem(abs: string, root = this.rootOf(abs), opts: { file?: boolean } = {}): string | undefined {
    const full = resolve(abs);
    if (root !== undefined) {
      const base = resolve(root);
      const rel = relative(base, full);
      if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `is not under ${root}`;
      const parts = rel.split(sep);
      let cur = base;
      for (let i = 0; i < parts.length - 1; i++) {
        cur = `${cur}${sep}${parts[i]}`;
        const why = this.folder(cur, base);
        if (why === undefined) break; // does not exist yet: mkdir makes a real folder
        if (why !== '') return why;
      }
    }
    if (opts.file === false) return undefined;
    const st = lstatOf(full);
    if (st?.isSymbolicLink()) return 'is a symbolic link: claude-env never writes through one, nor replaces it (it is yours)';
    return undefined;
  }

  /** '' when the folder is real (or a link back inside the root), a reason when it is a link out, undefined when it does not exist. */
  private folder(dir: string, root: string): string | undefined {
    if (this.folders.has(dir)) return this.folders.get(dir);
    const st = lstatOf(dir);
    let why: string | undefined;
    if (!st) why = undefined;
    else if (!st.isSymbolicLink()) why = '';
    else {
      const real = realOf(dir);
      const realRoot = this.realRoot(root);
      why = real !== undefined && realRoot !== undefined && (real === realRoot || real.startsWith(`${realRoot}${sep}`)) ? '' : `is in ${dir}, a symbolic link to a folder outside ${root}: claude-env never writes through one`;
    }
    if (why !== undefined) this.folders.set(dir, why);
    return why;
  }

  private realRoot(root: string): string | undefined {
    if (!this.realRoots.has(root)) this.realRoots.set(root, realOf(root));
    return this.realRoots.get(root);
  }
}

/** lstat, or undefined when nothing is there (a file in the way of a folder is the writer's to report). */
function lstatOf(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function realOf(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
