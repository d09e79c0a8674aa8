/** Shared by the commands that touch a machine: where Claude Code reads, and where claude-env keeps its state. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MachineState } from '../state/types.js';
import { configDirOf, type ClaudeLocations } from '../apply/paths.js';
import { stateDir } from '../state/identity.js';
import { StateStore } from '../state/store.js';
import type { CliIO } from './io.js';
import { homeDir, type TargetOptions } from './context.js';

/** Where Claude Code reads on this machine; the project dir is `--project-dir`, else the one the last apply used. */
export function locations(io: CliIO, opts: TargetOptions, state?: MachineState): ClaudeLocations {
  const home = homeDir(io, opts);
  const configDir = io.env['CLAUDE_CONFIG_DIR'] || undefined;
  const projectDir = opts.projectDir ? resolve(io.cwd, opts.projectDir) : state?.projectDir;
  const loc: ClaudeLocations = { home, ...(configDir ? { configDir } : {}), ...(projectDir ? { projectDir } : {}) };
  return { ...loc, legacyStateFile: existsSync(join(configDirOf(loc), '.config.json')) };
}

export function stateStore(io: CliIO, opts: TargetOptions): StateStore {
  return new StateStore(stateDir(homeDir(io, opts), io.env));
}

/** `--wait SECONDS` in milliseconds (0: do not wait for another claude-env). */
export function waitMs(opts: { wait?: string }): number {
  return opts.wait ? Number(opts.wait) * 1000 : 0;
}
