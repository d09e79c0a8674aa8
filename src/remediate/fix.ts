/**
 * The planning half of remediate (pure): which plan steps to fix within
 * `--max-fixes` (worst first; medium only with `--include medium`; low never,
 * it is report-only), and the content of a file with one item fixed — only
 * that value changes, the rest of the file stays as the user has it.
 */
import type { Output } from '../render/outputs.js';
import { deleteAt, getAt, isJsonObject, setAt, type Json } from '../render/shared-files.js';
import { composeOutput, type OnDisk } from '../apply/plan.js';
import type { MachineState, PlanStep } from '../drift/types.js';
import { splitKeyPath } from '../provenance/tree.js';

export interface Selection {
  readonly fix: readonly PlanStep[];
  /** Past the limit, or needing --force: a person decides. */
  readonly manual: ReadonlyArray<PlanStep & { readonly reason: string }>;
}

export function selectFixes(plan: readonly PlanStep[], maxFixes: number, includeMedium: boolean): Selection {
  const fix: PlanStep[] = [];
  const manual: Array<PlanStep & { reason: string }> = [];
  for (const step of plan) {
    if (step.action === 'report-only') continue;
    if (step.action === 'correct-on-schedule' && !includeMedium) continue;
    if (step.force) manual.push({ ...step, reason: 'a file claude-env did not write is in the way (apply --force replaces it)' });
    else if (fix.length >= maxFixes) manual.push({ ...step, reason: `past --max-fixes ${maxFixes}` });
    else fix.push(step);
  }
  return { fix, manual };
}

function parseObject(text: string | undefined): Record<string, Json> | undefined {
  if (text === undefined || text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as Json;
    return isJsonObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The file `step.file` with `step` fixed, over what is on disk; undefined
 * means the file goes (an output claude-env no longer renders). A value of
 * a shared JSON file is set alone; anything else is the whole file as apply
 * would write it (apply/plan.ts `composeOutput`).
 */
export function fixedContent(step: PlanStep, output: Output | undefined, now: OnDisk | undefined, state: MachineState): Uint8Array | undefined {
  if (!output) return undefined;
  const current = now === undefined ? undefined : Buffer.from(now.bytes).toString('utf8');
  const segs = splitKeyPath(step.path);
  const leafOf = (skip: number): { base: Record<string, Json>; path: string[]; want: Json | undefined } | undefined => {
    const base = parseObject(current);
    if (!base || step.kind === 'corrupt') return undefined;
    const desired = JSON.parse(output.content) as Json;
    const path = segs.slice(skip);
    return { base, path, want: getAt(desired, path) };
  };
  if (output.kind === 'settings-json' && segs[0] === 'settings' && segs.length > 1) {
    const leaf = leafOf(1);
    if (leaf) {
      if (leaf.want === undefined) deleteAt(leaf.base, leaf.path);
      else setAt(leaf.base, leaf.path, leaf.want);
      return Buffer.from(`${JSON.stringify(leaf.base, null, 2)}\n`);
    }
  }
  if ((output.kind === 'claude-json' || output.kind === 'mcp-json') && segs[0] === 'mcpServers' && segs.length > 1) {
    const leaf = leafOf(0);
    if (leaf) {
      if (leaf.want === undefined) deleteAt(leaf.base, leaf.path);
      else setAt(leaf.base, leaf.path, leaf.want);
      return Buffer.from(JSON.stringify(leaf.base, null, 2));
    }
  }
  return composeOutput(output, now, state.outputs[output.path]).bytes;
}
