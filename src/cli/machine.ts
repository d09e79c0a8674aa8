/** Shared by the commands that touch a machine: the places flags and environment name, the System of the run, and how long to wait. */
import { resolve } from 'node:path';
import type { MachinePlaces } from '../apply/machine.js';
import { stateDir } from '../state/identity.js';
import type { LockOptions } from '../state/lock.js';
import { CLAUDE_LOCK } from '../system/claude-lock.js';
import { faultsFrom, systemFor } from '../system/crash.js';
import type { System } from '../system/system.js';
import { homeDir, type TargetOptions } from './context.js';
import type { CliIO } from './io.js';
import { parseWait } from './wait.js';

/** Where things are on this machine, as the flags and the environment say. */
export function machinePlaces(io: CliIO, opts: TargetOptions): MachinePlaces {
  const home = homeDir(io, opts);
  const configDir = io.env['CLAUDE_CONFIG_DIR'] || undefined;
  return {
    home,
    stateDir: stateDir(home, io.env),
    ...(configDir ? { configDir } : {}),
    ...(opts.projectDir ? { projectDir: resolve(io.cwd, opts.projectDir) } : {}),
    ...(opts.managed ? { managedDir: resolve(io.cwd, opts.managed) } : {}),
    env: io.env,
  };
}

/** The run's System and lock options: the disk, with the crash test's faults when the environment arms them (system/crash.ts). */
export function machineSystem(io: CliIO): { sys: System; lockOptions: LockOptions } {
  return { sys: systemFor(io.env), lockOptions: faultsFrom(io.env)?.failLockWrite ? { failWrite: true } : {} };
}

/** `--wait SECONDS` in milliseconds (0: do not wait for another claude-env); a bad value is a usage error (cli/wait.ts). */
export function waitMs(opts: { wait?: string }): number {
  return parseWait(opts.wait);
}

/** How long to wait for Claude Code's lock on `.claude.json`: `--wait` when given, else 5 s. */
export function claudeWaitMs(opts: { wait?: string }): number {
  return opts.wait === undefined ? CLAUDE_LOCK.waitMs : parseWait(opts.wait);
}
