/**
 * Apply a target of a repo to a machine (the one apply path: `apply`, and
 * `onboard` after its commit): render and admit its outputs, resolve their
 * secrets, apply them (run.ts), and record the machine's identity on its
 * first apply.
 */
import type { CompiledLoader } from '../schema/loader.js';
import { commandLayers } from '../validate/trust.js';
import type { LayerDocument, Repo } from '../repo/repo.js';
import { ensureIdentity } from '../state/identity.js';
import type { LockOptions } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import type { System } from '../system/system.js';
import type { Target } from '../vocabulary.js';
import { claudeLocations, type MachinePlaces } from './machine.js';
import { admittedOrRefused, writableOutputs, type SecretContext } from './outputs.js';
import { runApply, type ApplyResult } from './run.js';

export interface ApplyTargetInput {
  readonly repo: Repo;
  readonly target: Target;
  /** How the target is named in messages (`env/team/user/project`). */
  readonly name: string;
  /** The machine's own layer (`local-overrides.yml`). */
  readonly extra: readonly LayerDocument[];
  readonly places: MachinePlaces;
  readonly sys: System;
  /** The revision applied, recorded in the state and the audit log. */
  readonly revision?: string;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly waitMs: number;
  readonly claudeWaitMs: number;
  /** Recorded in the lock and the audit log. */
  readonly command: string;
  /** Where secrets are resolved from: the environment, the working directory, `--identity`. */
  readonly secrets: Pick<SecretContext, 'env' | 'cwd' | 'identity' | 'onResolved'>;
  readonly lockOptions?: LockOptions;
  /** How the schema validator compiled by build.mjs is loaded (default: `require`). */
  readonly compiledSchemas?: CompiledLoader;
}

export async function applyTargetTo(input: ApplyTargetInput): Promise<ApplyResult> {
  const store = new StateStore(input.places.stateDir, input.sys, input.lockOptions);
  const loc = await claudeLocations(input.sys, input.places, await store.readState());
  const rendered = await admittedOrRefused(input.repo, input.target, input.name, { extra: [...input.extra], projectMcp: loc.projectDir !== undefined, managed: loc.managedDir !== undefined, managedFragment: loc.managedFragment === true }, input.compiledSchemas);
  const outputs = await writableOutputs(rendered, {
    ...input.secrets,
    sys: input.sys,
    stateDir: input.places.stateDir,
    commandLayers: commandLayers(input.repo.settings.raw).layers,
    ...(input.dryRun ? { dryRun: true } : {}),
  });
  const result = await runApply({
    locations: loc,
    stateDir: input.places.stateDir,
    target: input.target,
    ...(input.revision ? { revision: input.revision } : {}),
    outputs,
    ...(input.dryRun ? { dryRun: true } : {}),
    ...(input.force ? { force: true } : {}),
    waitMs: input.waitMs,
    claudeWaitMs: input.claudeWaitMs,
    command: input.command,
    sys: input.sys,
    ...(input.lockOptions ? { lockOptions: input.lockOptions } : {}),
  });
  // The first apply on a machine makes its target the machine's identity (drift and apply then need no flags).
  if (!result.dryRun) await ensureIdentity(input.sys, input.places.stateDir, input.target);
  return result;
}
