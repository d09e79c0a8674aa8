/**
 * Where a section of the merged tree appears in the repo's documents: every
 * `settings` (root documents, environment team entries, security `enforce`),
 * every map of MCP servers, personas or workflows. Rules walk these instead
 * of knowing the layout.
 */
import { isMap, type LayerMap, type LayerValue } from '../provenance/tree.js';
import type { RepoDocument } from '../repo/repo.js';
import type { RuleContext } from './rule.js';

export interface Occurrence {
  readonly doc: RepoDocument;
  /** Key path of the section inside the document. */
  readonly path: readonly string[];
  readonly value: LayerMap;
}

type Section = 'settings' | 'mcpServers' | 'personas' | 'workflows' | 'security';

/** The section's own document kind (the whole document is the section's map). */
const OWN_KIND: Partial<Record<Section, RepoDocument['place']['kind']>> = { mcpServers: 'mcp-servers', personas: 'personas', workflows: 'workflows' };

export function occurrences(ctx: RuleContext, section: Section): Occurrence[] {
  const out: Occurrence[] = [];
  const push = (doc: RepoDocument, path: string[], v: LayerValue | undefined): void => {
    if (isMap(v)) out.push({ doc, path, value: v as LayerMap });
  };
  for (const doc of ctx.ofKind('config')) push(doc, [section], (doc.value as LayerMap | undefined)?.[section]);
  for (const doc of ctx.ofKind('environment-teams')) {
    const teams = doc.value;
    if (!isMap(teams)) continue;
    for (const team of Object.keys(teams)) {
      const entry = (teams as LayerMap)[team];
      if (isMap(entry)) push(doc, [team, section], (entry as LayerMap)[section]);
    }
  }
  const own = OWN_KIND[section];
  if (own) for (const doc of ctx.ofKind(own)) push(doc, [], doc.value);
  if (section === 'settings') {
    for (const doc of ctx.ofKind('security')) {
      const enforce = (doc.value as LayerMap | undefined)?.['enforce'];
      if (isMap(enforce)) push(doc, ['enforce', 'settings'], (enforce as LayerMap)['settings']);
    }
  }
  return out;
}

/** A document's name from its path stem (base/mcp/<name>.yml). */
export function stemOf(doc: RepoDocument): string {
  return doc.path.slice(doc.path.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
}
