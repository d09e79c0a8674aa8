/**
 * rollback, the transaction: under claude-env's lock, finish or undo an
 * interrupted apply, pick the restore point (the latest by default), save
 * the files as they are now (so the rollback can itself be rolled back),
 * then put the restore point's files back in one switch (switch.ts
 * `rollbackTo`). Claude Code's lock on `.claude.json` is held from the read
 * that saves it to the write, when the restore point has it.
 */
import { ClaudeEnvError } from '../errors.js';
import type { RestorePoint, StateStore } from '../state/store.js';
import type { ClaudeLocations } from './paths.js';
import { filesNow, linkGuardOf, recover, recoverUnderLock, rollbackTo, underClaudeLock, writeGuard, type RolledBackFile } from './switch.js';

export interface RollbackInput {
  readonly store: StateStore;
  /** The restore point; default the latest. */
  readonly to?: string;
  /** Where Claude Code reads now, given the state as it is (the write port's check). */
  readonly locations: (store: StateStore) => Promise<ClaudeLocations>;
  readonly waitMs: number;
  readonly claudeWaitMs: number;
}

export interface RollbackResult {
  readonly restored: string;
  /** The restore point holding the files as they were before this rollback. */
  readonly savedAs: string;
  readonly files: readonly RolledBackFile[];
}

/** The restore points, oldest first (an interrupted apply finished or undone first). */
export async function restorePoints(store: StateStore, waitMs: number, claudeWaitMs: number): Promise<RestorePoint[]> {
  await recoverUnderLock(store, 'rollback --list', waitMs, { waitMs: claudeWaitMs });
  return store.listRestorePoints();
}

export async function runRollback(input: RollbackInput): Promise<RollbackResult> {
  const { store } = input;
  const unlock = await store.lock('rollback', input.waitMs);
  try {
    await recover(store, { waitMs: input.claudeWaitMs });
    const all = await store.listRestorePoints();
    const id = input.to ?? all[all.length - 1]?.id;
    if (!id) throw new ClaudeEnvError('no-restore-point', 'there is no restore point to roll back to');
    const point = await store.readRestorePoint(id);
    const claudeJson = point.files.find((f) => f.path === '.claude.json')?.abs;
    return await underClaudeLock(claudeJson, { waitMs: input.claudeWaitMs }, async () => {
      const savedAs = await store.createRestorePoint(`before rollback to ${id}`, await filesNow(store.sys, point.files), await store.readState());
      const loc = await input.locations(store);
      const files = await rollbackTo(store, point, `rollback to ${id}`, { savedAs, guard: writeGuard(loc, linkGuardOf(loc, store.sys)) });
      return { restored: id, savedAs, files };
    });
  } finally {
    await unlock();
  }
}
