/**
 * Where each output lives on the machine, resolved exactly as Claude Code
 * resolves it (CLAUDE-CODE.md §3, §8): `$CLAUDE_CONFIG_DIR` replaces
 * `<home>/.claude` and then holds `.claude.json` too; a legacy
 * `<config dir>/.config.json` is read instead of `.claude.json`.
 */
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';

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
}

const PROJECT_PREFIX = '@project/';
const MANAGED_PREFIX = '@managed/';

const join = (a: string, b: string): string => (a.endsWith('/') ? a + b : `${a}/${b}`);

export function configDirOf(loc: ClaudeLocations): string {
  return loc.configDir ?? join(loc.home, '.claude');
}

/** Absolute path of an output given by its home-relative path (`.claude/settings.json`, `.claude.json`). */
export function outputLocation(loc: ClaudeLocations, homePath: string): string {
  if (homePath.startsWith(PROJECT_PREFIX)) {
    if (loc.projectDir === undefined) throw new ClaudeEnvError('usage', `${homePath} is a project file: give --project-dir DIR`, { exitCode: EXIT_USAGE });
    return join(loc.projectDir, homePath.slice(PROJECT_PREFIX.length));
  }
  if (homePath.startsWith(MANAGED_PREFIX)) {
    if (loc.managedDir === undefined) throw new ClaudeEnvError('usage', `${homePath} is a managed settings file: give --managed DIR`, { exitCode: EXIT_USAGE });
    return join(loc.managedDir, homePath.slice(MANAGED_PREFIX.length));
  }
  if (homePath === '.claude.json') {
    const cfg = configDirOf(loc);
    if (loc.legacyStateFile) return join(cfg, '.config.json');
    return loc.configDir ? join(loc.configDir, '.claude.json') : join(loc.home, '.claude.json');
  }
  if (homePath.startsWith('.claude/')) return join(configDirOf(loc), homePath.slice('.claude/'.length));
  return join(loc.home, homePath);
}
