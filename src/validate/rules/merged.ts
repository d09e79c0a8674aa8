/**
 * Merge every target of the repo (sharing merged prefixes) and check what
 * comes out: kind changes and misplaced `$delete` found while merging, and
 * the merged tree against the schema of a complete target (a persona with no
 * description, a server with no command…), reported where the value came from.
 */
import { ClaudeEnvError } from '../../errors.js';
import { createMergeCache, mergeTarget } from '../../merge/target.js';
import { isMap, originAt, originsOf, toPlain, type TreeMap, type Value } from '../../provenance/tree.js';
import { validateDocument } from '../../schema/index.js';
import type { Origin, Target } from '../../vocabulary.js';
import { pointerPath, type Rule } from '../rule.js';

const describe = (t: Target): string => [t.env, t.team, t.user, t.project].filter(Boolean).join('/');

/** Origin of the value at a path of a merged tree: the deepest recorded one. */
function originOfPath(tree: TreeMap, path: readonly string[]): Origin | undefined {
  let cur: Value = tree;
  let found = originsOf(tree)?.self;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      found = originAt(cur, i) ?? found;
      cur = cur[i]!;
    } else if (isMap(cur) && Object.hasOwn(cur, seg)) {
      found = originAt(cur, seg) ?? found;
      cur = cur[seg]!;
    } else break;
    if (cur === undefined) break;
  }
  return found;
}

export const mergedRule: Rule = {
  ids: ['merge-type-change', 'merge-delete-misplaced', 'merged-schema'],
  description: "merge every target of the repo; kind changes, misplaced $delete, and the merged result's schema",
  check(ctx) {
    const cache = createMergeCache(ctx.repo);
    const checked = new WeakSet<object>();
    for (const target of ctx.repo.targets()) {
      let merged;
      try {
        merged = mergeTarget(ctx.repo, target, { cache });
      } catch (err) {
        if (err instanceof ClaudeEnvError) continue; // its documents have errors, reported by the document rules
        throw err;
      }
      for (const f of merged.findings) ctx.report(f);
      if (checked.has(merged.tree)) continue;
      checked.add(merged.tree);
      for (const issue of validateDocument('merged', toPlain(merged.tree))) {
        const path = pointerPath(issue.pointer);
        const o = originOfPath(merged.tree, issue.key !== undefined && issue.keyword !== 'required' ? [...path, issue.key] : path);
        if (!o) continue;
        const where = path.length ? path.join('.') : 'the merged tree';
        ctx.report({ rule: 'merged-schema', severity: 'error', file: o.file, line: o.line, column: o.column, message: `${where}: ${issue.message} once merged (target ${describe(target)})` });
      }
    }
  },
};
