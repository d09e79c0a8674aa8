/** The text of `explain KEY`: the value, the winner, and each layer's row. */
import type { Explanation } from './explain.js';

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
