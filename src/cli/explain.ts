/** `claude-env explain KEY`: each layer's value for one key, in order, and the winner. */
import { EXIT_OK, type ExitCode } from '../errors.js';
import { explain } from '../merge/explain.js';
import { formatExplanation } from '../merge/explain-text.js';
import { openTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export async function run(io: CliIO, opts: TargetOptions & { json?: boolean }, args: string[]): Promise<ExitCode> {
  const { repo, target, extra } = await openTarget(io, opts);
  const result = explain(repo, target, args[0]!, { extra });
  if (opts.json) {
    const { target: _t, ...shape } = result;
    printJson(io, shape);
  } else io.stdout.write(formatExplanation(result));
  return EXIT_OK;
}
