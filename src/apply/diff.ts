/**
 * `diff` is apply's dry run beside the machine: the new side of each file
 * is what the dry run (run.ts over `dryRunSystem`) leaves there, the old
 * side what is on disk. Outputs are taken as rendered (secrets stay
 * `«secret:…»`, nothing is resolved nor run).
 */
import { diffFiles, type FileDiff } from '../drift/diff.js';
import { memoReads } from '../system/decorators.js';
import type { MachineView } from './machine.js';
import { outputLocation } from './paths.js';
import { runApply, type ApplyResult } from './run.js';
import { fileAt } from './switch.js';

export interface MachineDiff {
  readonly files: readonly FileDiff[];
  readonly result: ApplyResult;
}

/** What `diffMachine` needs of a machine view: the outputs, where they go, the state store (and its System), the target. */
export type DiffInput = Pick<MachineView, 'outputs' | 'loc' | 'store' | 'target'>;

/** What apply would change on the machine of `view`, file by file (`force`: as `apply --force`). */
export async function diffMachine(view: DiffInput, opts: { readonly force?: boolean } = {}): Promise<MachineDiff> {
  // The dry run reads each file for its plan and its restore point, and the diff reads it again: the disk is asked once.
  const disk = memoReads(view.store.sys);
  const result = await runApply({
    locations: view.loc,
    stateDir: view.store.dir,
    target: view.target,
    outputs: view.outputs,
    dryRun: true,
    sys: disk,
    ...(opts.force ? { force: true } : {}),
  });
  const after = result.dryRunSystem!;
  const byPath = new Map(view.outputs.map((o) => [o.path as string, o]));
  const places = [...view.outputs.map((o) => ({ path: o.path as string, abs: outputLocation(view.loc, o.path) })), ...result.plan.removes.map((r) => ({ path: r.path, abs: r.abs }))];
  const files = await Promise.all(
    places.map(async ({ path, abs }) => {
      const output = byPath.get(path);
      return { path, ...(output ? { output } : {}), before: (await fileAt(disk, abs))?.bytes, after: (await fileAt(after, abs))?.bytes };
    }),
  );
  return { files: diffFiles(files), result };
}
