/**
 * Where each output lives on the machine, resolved exactly as Claude Code
 * resolves it (CLAUDE-CODE.md §3, §8): `$CLAUDE_CONFIG_DIR` replaces
 * `<home>/.claude` and then holds `.claude.json` too; a legacy
 * `<config dir>/.config.json` is read instead of `.claude.json`.
 */
import { resolve, sep } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { checkedOutputPath, relativePathProblem, shown } from '../paths.js';

export interface ClaudeLocations {
  readonly home: string;
  /** `$CLAUDE_CONFIG_DIR` when set. */
  readonly configDir?: string;
  /** Whether `<config dir>/.config.json` exists (Claude then uses it as its state file). */
  readonly legacyStateFile?: boolean;
  /** `--project-dir` (or the one the last apply used): where `@project/…` outputs such as `.mcp.json` go. */
  readonly projectDir?: string;
  /** `--managed DIR` (or the one the last apply used): where `@managed/managed-settings.json` goes. */
  readonly managedDir?: string;
  /** The machine's Claude Code reads `managed-settings.d/` fragments: claude-env's part goes there, as a fragment of its own. */
  readonly managedFragment?: boolean;
}

const PROJECT_PREFIX = '@project/';
const MANAGED_PREFIX = '@managed/';

const join = (a: string, b: string): string => (a.endsWith('/') ? a + b : `${a}/${b}`);

export function configDirOf(loc: ClaudeLocations): string {
  return loc.configDir ?? join(loc.home, '.claude');
}

/** Where an output goes: the root it must stay under (home, config dir, project dir, managed dir) and its path below that root. */
export interface OutputPlace {
  readonly root: string;
  readonly rel: string;
}

/**
 * The root and relative path of an output given by its home-relative path
 * (`.claude/settings.json`, `.claude.json`, `@project/.mcp.json`), checked:
 * a path with `..`, `.` or empty segments, a control character, a backslash
 * or too long is an `unsafe-path` error (paths.ts), whoever made it.
 */
export function outputPlace(loc: ClaudeLocations, homePath: string): OutputPlace {
  checkedOutputPath(homePath);
  if (homePath.startsWith(PROJECT_PREFIX)) {
    if (loc.projectDir === undefined) throw new ClaudeEnvError('usage', `${homePath} is a project file: give --project-dir DIR`);
    return { root: loc.projectDir, rel: homePath.slice(PROJECT_PREFIX.length) };
  }
  if (homePath.startsWith(MANAGED_PREFIX)) {
    if (loc.managedDir === undefined) throw new ClaudeEnvError('usage', `${homePath} is a managed settings file: give --managed DIR`);
    return { root: loc.managedDir, rel: homePath.slice(MANAGED_PREFIX.length) };
  }
  if (homePath === '.claude.json') {
    if (loc.legacyStateFile) return { root: configDirOf(loc), rel: '.config.json' };
    return loc.configDir ? { root: loc.configDir, rel: '.claude.json' } : { root: loc.home, rel: '.claude.json' };
  }
  if (homePath.startsWith('.claude/')) return { root: configDirOf(loc), rel: homePath.slice('.claude/'.length) };
  return { root: loc.home, rel: homePath };
}

/** Absolute path of an output given by its home-relative path (`.claude/settings.json`, `.claude.json`); always under its root (see `outputPlace`). */
export function outputLocation(loc: ClaudeLocations, homePath: string): string {
  const { root, rel } = outputPlace(loc, homePath);
  return insideRoot(root, rel);
}

/**
 * `root/rel`, for a `rel` that stays under `root` once resolved; else an
 * `unsafe-path` error. `rel` is checked by its maker already: this is the
 * last guard, at the port, for any path whoever made it.
 */
export function insideRoot(root: string, rel: string): string {
  const problem = relativePathProblem(rel);
  const abs = join(root, rel);
  const base = resolve(root);
  const full = resolve(abs);
  if (problem !== undefined || !full.startsWith(base.endsWith(sep) ? base : `${base}${sep}`)) {
    throw new ClaudeEnvError('unsafe-path', `${shown(rel)} ${problem ?? 'leads out of its folder'}: claude-env writes only under ${root}, so nothing is written`);
  }
  return abs;
}

/** Every root outputs may go under with these locations. */
export function outputRoots(loc: ClaudeLocations): string[] {
  return [loc.home, configDirOf(loc), ...(loc.configDir ? [loc.configDir] : []), ...(loc.projectDir ? [loc.projectDir] : []), ...(loc.managedDir ? [loc.managedDir] : [])];
}
