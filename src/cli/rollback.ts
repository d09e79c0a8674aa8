/**
 * `claude-env rollback`: put the outputs back as a restore point has them
 * (`--list`, `--to ID`, default the latest). What claude-env did not write
 * stays: in a shared file someone changed since, only claude-env's part is
 * rolled back; a file the undone change created and someone changed since
 * is kept. The files as they are now are saved first, so a rollback can
 * itself be rolled back.
 */
import { ClaudeEnvError, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { recover, recoverUnderLock, rollbackTo, writeGuard, type RolledBackFile } from '../apply/run.js';
import { lockClaudeJson } from '../system/claude-lock.js';
import { readIfExists } from '../system/fs.js';
import type { TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { locations, stateStore, waitMs } from './machine.js';

const VERB: Record<RolledBackFile['action'], string> = {
  restore: 'restored',
  remove: 'removed',
  'take-out': 'took out',
  'keep-changed': 'kept',
  unchanged: 'unchanged',
};

function fileLine(f: RolledBackFile, savedAs: string): string {
  const list = (what: readonly string[] | undefined): string => (what ?? []).join(', ');
  let what = '';
  if (f.action === 'take-out' || (f.action === 'unchanged' && f.reason)) {
    const parts = [f.takenOut?.length ? `claude-env's ${list(f.takenOut)} taken out` : '', f.putBack?.length ? `its ${list(f.putBack)} as at the restore point put back` : ''].filter(Boolean);
    what = `: ${f.reason}; ${parts.length ? `${parts.join(', ')}; ` : ''}everything else kept as it is`;
  } else if (f.action === 'keep-changed') what = `: ${f.reason}; kept as it is`;
  else if (f.reason) what = `: ${f.reason}; the changed file is in restore point ${savedAs}`;
  return `  ${VERB[f.action].padEnd(10)} ${f.path}${what}`;
}

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
    // Claude Code's own lock on its state file, held from the read that saves it to the write: a change it makes meanwhile is not lost.
    const claudeJson = point.files.find((f) => f.path === '.claude.json');
    const releaseClaude = claudeJson ? lockClaudeJson(claudeJson.abs) : () => {};
    try {
      // The files as they are now are saved first, so a rollback can itself be undone.
      const saved = point.files.map((f) => {
        const now = readIfExists(f.abs);
        return { path: f.path, abs: f.abs, ...(now ? { bytes: now.bytes, mode: now.mode } : {}) };
      });
      const before = store.createRestorePoint(`before rollback to ${id}`, saved, store.readState());
      const files = rollbackTo(store, point, `rollback to ${id}`, { savedAs: before, guard: writeGuard(locations(io, opts, store.readState())) });
      if (opts.json) {
        printJson(io, {
          restored: id,
          saved_as: before,
          files: files.map((f) => ({ path: f.path, action: f.action, ...(f.reason ? { reason: f.reason } : {}), ...(f.takenOut ? { taken_out: f.takenOut } : {}), ...(f.putBack ? { put_back: f.putBack } : {}) })),
        });
      } else io.stdout.write(`rolled back to ${id} (${files.length} file(s)); the files as they were are in restore point ${before}\n${files.map((f) => fileLine(f, before)).join('\n')}\n`);
      return EXIT_OK;
    } finally {
      releaseClaude();
    }
  } finally {
    unlock();
  }
}
