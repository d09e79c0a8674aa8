/** Render a target: merge its layers, then compile the merged tree into outputs. */
import type { Finding, Target } from '../vocabulary.js';
import type { TreeMap } from '../provenance/tree.js';
import type { Repo } from '../repo/repo.js';
import { mergeTarget, type MergeOptions } from '../merge/target.js';
import { renderOutputs, renderProjectMcp, type Output } from './outputs.js';
import { isMap } from '../provenance/tree.js';

export interface Rendered {
  readonly target: Target;
  readonly tree: TreeMap;
  readonly outputs: readonly Output[];
  readonly findings: readonly Finding[];
}

export interface RenderOptions extends MergeOptions {
  /** Render the project's `.mcp.json` too (`--project-dir`): the servers the project layer names go there. */
  projectMcp?: boolean;
}

export function renderTarget(repo: Repo, target: Target, opts: RenderOptions = {}): Rendered {
  const merged = mergeTarget(repo, target, opts);
  const outputs = renderOutputs(repo, merged.tree);
  if (!opts.projectMcp || target.project === undefined) return { target, tree: merged.tree, outputs, findings: merged.findings };
  const split = renderProjectMcp(merged.tree['settings'], merged.tree['mcpServers'], projectServerNames(repo, target.project));
  const replaced = new Set(split.map((o) => o.path as string));
  const all = [...outputs.filter((o) => !replaced.has(o.path)), ...split].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { target, tree: merged.tree, outputs: all, findings: merged.findings };
}

/** The MCP servers a project's own layer names (defines or changes): they belong in its `.mcp.json`. */
export function projectServerNames(repo: Repo, project: string): string[] {
  const names = new Set<string>();
  for (const doc of repo.layerDocuments('project', { project })) {
    const servers = doc.root?.['mcpServers'];
    if (isMap(servers)) for (const name of Object.keys(servers)) names.add(name);
  }
  return [...names];
}
