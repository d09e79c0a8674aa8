/**
 * `files/` overlays that land where claude-env renders a file itself: a
 * persona's agent (`agents/<name>.md`) or a workflow's command
 * (`commands/<name>.md`). Rendered, both would go to the same path and one
 * would silently replace the other; validate reports it naming both sources,
 * and apply refuses the target before writing anything.
 */
import { isMap, originAt, type TreeMap } from '../provenance/tree.js';
import type { Finding, Origin } from '../vocabulary.js';

export interface OverlayCollision {
  /** The overlay's path below `.claude/` (the `files` key). */
  readonly path: string;
  /** The repo file the overlay comes from. */
  readonly source: string;
  readonly kind: 'persona' | 'workflow';
  readonly name: string;
  /** Where that persona or workflow is defined (its last layer). */
  readonly at: Origin | undefined;
}

/** Every overlay of a merged tree that collides with a rendered agent or command. */
export function overlayCollisions(tree: TreeMap): OverlayCollision[] {
  const files = tree['files'];
  if (!isMap(files)) return [];
  const out: OverlayCollision[] = [];
  const sections = [
    ['persona', 'personas', 'agents/'],
    ['workflow', 'workflows', 'commands/'],
  ] as const;
  for (const [kind, section, folder] of sections) {
    const defined = tree[section];
    if (!isMap(defined)) continue;
    for (const name of Object.keys(defined)) {
      const path = `${folder}${name}.md`;
      if (!Object.hasOwn(files, path)) continue;
      out.push({ path, source: String((files as TreeMap)[path]), kind, name, at: originAt(defined, name) });
    }
  }
  return out;
}

/** A collision as a finding at the overlay file, naming the definition it collides with. */
export function collisionFinding(c: OverlayCollision): Finding {
  const where = c.at ? `${c.at.file}:${c.at.line}:${c.at.column}` : 'the merged tree';
  return {
    rule: 'files-collision',
    severity: 'error',
    file: c.source,
    line: 1,
    column: 1,
    message: `this files/ overlay goes to .claude/${c.path}, where claude-env renders ${c.kind} "${c.name}" (${where}): one would silently replace the other; rename the overlay or the ${c.kind}`,
  };
}
