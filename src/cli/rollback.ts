/** `claude-env rollback`: put the outputs back as a restore point has them (`--list`, `--to ID`, default the latest). */
import { ClaudeEnvError, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { recover, recoverUnderLock, rollbackTo, writeGuard } from '../apply/run.js';
import { readIfExists } from '../system/fs.js';
import type { TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { locations, stateStore, waitMs } from './machine.js';

export async function run(io: CliIO, opts: TargetOptions & { list?: boolean; to?: string; json?: boolean; wait?: string }): Promise<ExitCode> {
  const store = stateStore(io, opts);
  if (opts.list) {
    recoverUnderLock(store, 'rollback --list', waitMs(opts));
    const points = store.listRestorePoints().map((p) => ({ id: p.id, created_at: p.createdAt, reason: p.reason, files: p.files.map((f) => f.path) }));
    if (opts.json) printJson(io, { restore_points: points });
    else io.stdout.write(points.length ? `${points.map((p) => `${p.id}  ${p.created_at}  ${p.reason}  ${p.files.length} file(s)`).join('\n')}\n` : 'no restore points\n');
    return EXIT_OK;
  }
  const unlock = store.lock('rollback', waitMs(opts));
  try {
    recover(store);
    const all = store.listRestorePoints();
    const id = opts.to ?? all[all.length - 1]?.id;
    if (!id) throw new ClaudeEnvError('no-restore-point', 'there is no restore point to roll back to', { exitCode: EXIT_USAGE });
    const point = store.readRestorePoint(id);
    // The files as they are now are saved first, so a rollback can itself be undone.
    const saved = point.files.map((f) => {
      const now = readIfExists(f.abs);
      return { path: f.path, abs: f.abs, ...(now ? { bytes: now.bytes, mode: now.mode } : {}) };
    });
    const before = store.createRestorePoint(`before rollback to ${id}`, saved, store.readState());
    const changes = rollbackTo(store, point, `rollback to ${id}`, writeGuard(locations(io, opts, store.readState())));
    if (opts.json) printJson(io, { restored: id, saved_as: before, files: changes.map((c) => ({ path: c.path, action: c.bytes ? 'restore' : 'remove' })) });
    else io.stdout.write(`rolled back to ${id} (${changes.length} file(s)); the files as they were are in restore point ${before}\n`);
    return EXIT_OK;
  } finally {
    unlock();
  }
}
