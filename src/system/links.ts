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
 * One lstat per folder on the way (remembered for the run) and one per file,
 * through the run's System.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LINK_REFUSED, realSystem, type System } from './system.js';

export class LinkGuard {
  /** Folder → why nothing may be written below it ('' when it is fine, undefined when it does not exist yet). */
  private readonly folders = new Map<string, Promise<string | undefined>>();
  private readonly realRoots = new Map<string, Promise<string | undefined>>();
  private readonly roots: readonly string[];

  /** The roots outputs go under, most specific first when one holds another (`~/.claude` before `~`); looked at through `sys`. */
  constructor(roots: readonly string[] = [], private readonly sys: System = realSystem()) {
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
  async problem(abs: string, root = this.rootOf(abs), opts: { file?: boolean } = {}): Promise<string | undefined> {
    const full = resolve(abs);
    if (root !== undefined) {
      const base = resolve(root);
      const rel = relative(base, full);
      if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `is not under ${root}`;
      const parts = rel.split(sep);
      let cur = base;
      for (let i = 0; i < parts.length - 1; i++) {
        cur = `${cur}${sep}${parts[i]}`;
        const why = await this.folder(cur, base);
        if (why === undefined) break; // does not exist yet: mkdir makes a real folder
        if (why !== '') return why;
      }
    }
    if (opts.file === false) return undefined;
    if ((await this.sys.lstat(full))?.type === 'link') return LINK_REFUSED;
    return undefined;
  }

  /** '' when the folder is real (or a link back inside the root), a reason when it is a link out, undefined when it does not exist. Looked at once per run. */
  private folder(dir: string, root: string): Promise<string | undefined> {
    let why = this.folders.get(dir);
    if (why === undefined) {
      why = this.judge(dir, root);
      this.folders.set(dir, why);
    }
    return why;
  }

  private async judge(dir: string, root: string): Promise<string | undefined> {
    const st = await this.sys.lstat(dir);
    if (!st) {
      // Not there yet: asked again next time (this run may make it).
      this.folders.delete(dir);
      return undefined;
    }
    if (st.type !== 'link') return '';
    const [real, realRoot] = await Promise.all([this.sys.realpath(dir), this.realRoot(root)]);
    return real !== undefined && realRoot !== undefined && (real === realRoot || real.startsWith(`${realRoot}${sep}`)) ? '' : `is in ${dir}, a symbolic link to a folder outside ${root}: claude-env never writes through one`;
  }

  private realRoot(root: string): Promise<string | undefined> {
    let real = this.realRoots.get(root);
    if (real === undefined) {
      real = this.sys.realpath(root);
      this.realRoots.set(root, real);
    }
    return real;
  }
}
