/**
 * `claude-env rollback`: put the outputs back as a restore point has them
 * (`--list`, `--to ID`, default the latest; apply/rollback.ts). What
 * claude-env did not write stays: in a shared file someone changed since,
 * only claude-env's part is rolled back; a file the undone change created
 * and someone changed since is kept. The files as they are now are saved
 * first, so a rollback can itself be rolled back.
 */
import { EXIT_OK, type ExitCode } from '../errors.js';
import { claudeLocations } from '../apply/machine.js';
import { restorePoints, runRollback } from '../apply/rollback.js';
import type { RolledBackFile } from '../apply/switch.js';
import { StateStore } from '../state/store.js';
import type { TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';
import { claudeWaitMs, machinePlaces, machineSystem, waitMs } from './machine.js';

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
  const places = machinePlaces(io, opts);
  const { sys, lockOptions } = machineSystem(io);
  const store = new StateStore(places.stateDir, sys, lockOptions);
  if (opts.list) {
    const points = (await restorePoints(store, waitMs(opts), claudeWaitMs(opts))).map((p) => ({ id: p.id, created_at: p.createdAt, reason: p.reason, files: p.files.map((f) => f.path) }));
    if (opts.json) printJson(io, { restore_points: points });
    else io.stdout.write(points.length ? `${points.map((p) => `${p.id}  ${p.created_at}  ${p.reason}  ${p.files.length} file(s)`).join('\n')}\n` : 'no restore points\n');
    return EXIT_OK;
  }
  const r = await runRollback({ store, ...(opts.to ? { to: opts.to } : {}), locations: async (s) => claudeLocations(sys, places, await s.readState()), waitMs: waitMs(opts), claudeWaitMs: claudeWaitMs(opts) });
  if (opts.json) {
    printJson(io, {
      restored: r.restored,
      saved_as: r.savedAs,
      files: r.files.map((f) => ({ path: f.path, action: f.action, ...(f.reason ? { reason: f.reason } : {}), ...(f.takenOut ? { taken_out: f.takenOut } : {}), ...(f.putBack ? { put_back: f.putBack } : {}) })),
    });
  } else io.stdout.write(`rolled back to ${r.restored} (${r.files.length} file(s)); the files as they were are in restore point ${r.savedAs}\n${r.files.map((f) => fileLine(f, r.savedAs)).join('\n')}\n`);
  return EXIT_OK;
}
