/** `claude-env explain KEY`: each layer's value for one key, in order, and the winner. */
import { EXIT_OK, type ExitCode } from '../errors.js';
import { explain, type Explanation } from '../merge/explain.js';
import { localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export async function run(io: CliIO, opts: TargetOptions & { json?: boolean }, args: string[]): Promise<ExitCode> {
  const repo = openRepo(io, opts);
  const target = resolveTarget(io, repo, opts);
  const result = explain(repo, target, args[0]!, { extra: localLayer(io, opts) });
  if (opts.json) {
    const { target: _t, ...shape } = result;
    printJson(io, shape);
  } else io.stdout.write(formatExplanation(result));
  return EXIT_OK;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'undefined');

export function formatExplanation(e: Explanation): string {
  const lines = [`${e.key} = ${show(e.value)}`];
  if (e.winner) lines.push(`  winner: ${e.winner.layer}  ${e.winner.file}:${e.winner.line}:${e.winner.column}`);
  else lines.push('  (not set for this target)');
  for (const row of e.layers) {
    const win = e.winner && row.file === e.winner.file && row.line === e.winner.line && row.column === e.winner.column ? '  ◀ winner' : '';
    lines.push(`  ${row.layer.padEnd(16)} ${`${row.file}:${row.line}:${row.column}`.padEnd(48)} ${row.effect.padEnd(14)} ${show(row.value)}${win}`);
  }
  return `${lines.join('\n')}\n`;
}
