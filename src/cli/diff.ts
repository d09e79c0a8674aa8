/** `claude-env diff`: a unified diff, per file, of what apply would write against what is on the machine. Exit 1 when anything differs. */
import { diffMachine } from '../apply/diff.js';
import { unifiedDiff } from '../drift/diff.js';
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import type { TargetOptions } from './context.js';
import { machineView } from './drift.js';
import { printJson, type CliIO } from './io.js';

export async function run(io: CliIO, opts: TargetOptions & { json?: boolean; force?: boolean }): Promise<ExitCode> {
  const view = await machineView(io, opts, 'diff');
  const { files } = await diffMachine(view, opts.force ? { force: true } : {});
  const changed = files.filter((f) => unifiedDiff([f], view.secretCheck) !== '');
  const text = unifiedDiff(changed, view.secretCheck);
  if (opts.json) printJson(io, { files: changed.map((f) => ({ path: f.path, change: f.actual === undefined ? 'create' : f.desired === undefined ? 'remove' : 'modify' })), diff: text });
  else io.stdout.write(text);
  return text === '' ? EXIT_OK : EXIT_FINDINGS;
}
