/** Render a target: merge its layers, then compile the merged tree into outputs. */
import type { Finding, Target } from '../vocabulary.js';
import type { TreeMap } from '../provenance/tree.js';
import type { Repo } from '../repo/repo.js';
import { mergeTarget, type MergeOptions } from '../merge/target.js';
import { renderOutputs, type Output } from './outputs.js';

export interface Rendered {
  readonly target: Target;
  readonly tree: TreeMap;
  readonly outputs: readonly Output[];
  readonly findings: readonly Finding[];
}

export function renderTarget(repo: Repo, target: Target, opts: MergeOptions = {}): Rendered {
  const merged = mergeTarget(repo, target, opts);
  return { target, tree: merged.tree, outputs: renderOutputs(repo, merged.tree), findings: merged.findings };
}
