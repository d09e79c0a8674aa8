/**
 * A `null` that ends up nowhere. In a layer, `null` keeps the value the
 * layers below give (SPEC.md, merge semantics); where no layer below gives
 * one, the key is dropped from what is written. The author meant a value
 * (YAML's `key:` with nothing after it is null), and Claude Code would take
 * none: a `null` in settings.json makes it ignore the whole file.
 */
import { isMap, type LayerMap, type LayerValue } from '../../provenance/tree.js';
import { LAYER_NAMES } from '../../vocabulary.js';
import type { RepoDocument } from '../../repo/repo.js';
import type { Rule } from '../rule.js';

const SECTIONS: ReadonlySet<string> = new Set(['settings', 'mcpServers', 'personas', 'workflows']);

interface Leaf {
  readonly doc: RepoDocument;
  /** Path inside the document. */
  readonly at: readonly string[];
  /** Path in the merged tree. */
  readonly key: string;
}

/** Every entry of a document's sections with its merged-tree path (the section's own document included as a whole). */
function walk(doc: RepoDocument, visit: (leaf: Leaf, value: LayerValue) => void): void {
  const value = doc.value;
  if (!isMap(value)) return;
  const go = (v: LayerMap, at: string[], tree: string[]): void => {
    for (const [k, child] of Object.entries(v)) {
      const treePath = [...tree, k];
      if (!SECTIONS.has(treePath[0]!)) continue;
      visit({ doc, at: [...at, k], key: treePath.join('\u0000') }, child as LayerValue);
      if (isMap(child)) go(child as LayerMap, [...at, k], treePath);
    }
  };
  // environments/<env>/teams.yml: each top-level key is a team whose entry is a root-shaped tree.
  if (doc.place.kind === 'environment-teams') {
    for (const [team, entry] of Object.entries(value as LayerMap)) if (isMap(entry)) go(entry as LayerMap, [team], []);
    return;
  }
  const section = doc.place.section;
  if (section.length > 0 && SECTIONS.has(section[0]!)) visit({ doc, at: [], key: section.join('\u0000') }, value);
  go(value as LayerMap, [], [...section]);
}

export const nullValueRule: Rule = {
  findings: { 'null-value': 'a null that no layer below gives a value: nothing is written for the key' },
  description: 'null in settings, MCP servers, personas or workflows where no lower layer sets the key (the key is dropped)',
  check(ctx) {
    const rank = (doc: RepoDocument): number => (doc.place.layer === undefined ? -1 : LAYER_NAMES.indexOf(doc.place.layer));
    // The lowest layer that gives each merged-tree path a value.
    const lowest = new Map<string, number>();
    const nulls: (Leaf & { rank: number })[] = [];
    for (const doc of ctx.documents) {
      const r = rank(doc);
      if (doc.value === undefined || r < 0) continue;
      walk(doc, (leaf, value) => {
        if (value === null) nulls.push({ ...leaf, rank: r });
        else if ((lowest.get(leaf.key) ?? Infinity) > r) lowest.set(leaf.key, r);
      });
    }
    for (const n of nulls) {
      if ((lowest.get(n.key) ?? Infinity) < n.rank) continue;
      const name = n.key.split('\u0000').join('.');
      ctx.reportAt(n.doc, n.at, 'null-value', 'warning', `${name} is null and no layer below gives it a value, so nothing is written for it (Claude Code wants a value here); give one, or remove the key`, true);
    }
  },
};
