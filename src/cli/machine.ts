/** Shared by the commands that touch a machine: where Claude Code reads, and where claude-env keeps its state. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MachineState } from '../state/types.js';
import type { Output } from '../render/outputs.js';
import { configDirOf, type ClaudeLocations } from '../apply/paths.js';
import { stateDir } from '../state/identity.js';
import { StateStore } from '../state/store.js';
import type { CliIO } from './io.js';
import { homeDir, type TargetOptions } from './context.js';
import { parseWait } from './wait.js';

/** Where Claude Code reads on this machine; the project dir is `--project-dir`, else the one the last apply used. */
export function locations(io: CliIO, opts: TargetOptions, state?: MachineState): ClaudeLocations {
  const home = homeDir(io, opts);
  const configDir = io.env['CLAUDE_CONFIG_DIR'] || undefined;
  const projectDir = opts.projectDir ? resolve(io.cwd, opts.projectDir) : state?.projectDir;
  const managedDir = opts.managed ? resolve(io.cwd, opts.managed) : state?.managedDir;
  const loc: ClaudeLocations = { home, ...(configDir ? { configDir } : {}), ...(projectDir ? { projectDir } : {}), ...(managedDir ? { managedDir } : {}) };
  return { ...loc, legacyStateFile: existsSync(join(configDirOf(loc), '.config.json')) };
}

export function stateStore(io: CliIO, opts: TargetOptions): StateStore {
  return new StateStore(stateDir(homeDir(io, opts), io.env));
}

/** `--wait SECONDS` in milliseconds (0: do not wait for another claude-env); a bad value is a usage error (cli/wait.ts). */
export function waitMs(opts: { wait?: string }): number {
  return parseWait(opts.wait);
}

/**
 * The outputs as apply writes them: secrets resolved on this machine
 * (`--identity FILE` or $CLAUDE_ENV_AGE_IDENTITY for age values). Loads the
 * resolvers only when the target has secrets. A dry run hashes with a
 * throw-away key, so it writes nothing, not even the machine key.
 */
export async function writableOutputs(io: CliIO, opts: { identity?: string }, outputs: readonly Output[], stateDir: string, dryRun = false): Promise<readonly Output[]> {
  if (!outputs.some((o) => o.secrets && o.secrets.length > 0)) return outputs;
  const [{ createSecretResolver }, { resolveOutputs, machineKey, keyedHasher, ephemeralKey }] = await Promise.all([import('../secrets/resolve.js'), import('../secrets/outputs.js')]);
  const timeout = Number(io.env['CLAUDE_ENV_SECRET_TIMEOUT_MS']);
  const resolver = createSecretResolver({
    env: io.env,
    cwd: io.cwd,
    ...(opts.identity ? { identityFile: opts.identity } : {}),
    ...(Number.isFinite(timeout) && timeout > 0 ? { cmdTimeoutMs: timeout } : {}),
  });
  return resolveOutputs(outputs, resolver, () => keyedHasher(dryRun ? (machineKey(stateDir, false) ?? ephemeralKey()) : machineKey(stateDir, true)!));
}
