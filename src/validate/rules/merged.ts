/**
 * Merge every target of the repo (sharing merged prefixes) and check what
 * comes out: kind changes and misplaced `$delete` found while merging, and
 * the merged tree against the schema of a complete target (a persona with no
 * description, a server with no command…), reported where the value came from.
 */
import { collisionFinding, overlayCollisions } from '../overlays.js';
import { ClaudeEnvError } from '../../errors.js';
import { mergeTarget } from '../../merge/target.js';
import { isMap, originAt, originsOf, toPlain, type TreeMap, type Value } from '../../provenance/tree.js';
import { shippedSchemas, type SchemaValidator } from '../../schema/index.js';
import type { Origin, Target } from '../../vocabulary.js';
import { pointerPath, type Rule } from '../rule.js';

export const describeTarget = (t: Target): string => [t.env, t.team, t.user, t.project].filter(Boolean).join('/');

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

/**
 * The schema issues of a merged tree (or of `plain`, its sections as plain
 * data), each with a message naming its key path and the origin of the value
 * it is about (undefined when none is recorded). `schemas`: a validation's
 * (with the org's schemas of the merged tree), else ours only.
 */
export function mergedSchemaIssues(tree: TreeMap, plain: unknown = toPlain(tree), schemas: SchemaValidator = shippedSchemas()): Array<{ at: Origin | undefined; message: string }> {
  return schemas.validateDocument('merged', plain).map((issue) => {
    const path = pointerPath(issue.pointer);
    const at = originOfPath(tree, issue.key !== undefined && issue.keyword !== 'required' ? [...path, issue.key] : path);
    return { at, message: `${path.length ? path.join('.') : 'the merged tree'}: ${issue.message} once merged` };
  });
}

export const mergedRule: Rule = {
  findings: {
    'merge-type-change': 'a layer replaces a value with one of another kind',
    'merge-delete-misplaced': '$delete in a list that does not merge by key',
    'merged-schema': "a target's merged tree is incomplete or invalid",
    'files-collision': 'a files/ overlay at the path of a rendered agent or command (one would replace the other)',
  },
  description: "merge every target of the repo; kind changes, misplaced $delete, and the merged result's schema",
  check(ctx) {
    const cache = ctx.mergeCache;
    const checked = new WeakSet<object>();
    const mergePlaces = new Set<string>();
    const collisions = new Set<string>();
    // One finding per place and problem, naming the first target that has it.
    const issues = new Map<string, { at: Origin; message: string; first: Target; more: number }>();
    for (const target of ctx.repo.targets()) {
      let merged;
      try {
        merged = mergeTarget(ctx.repo, target, { cache });
      } catch (err) {
        if (err instanceof ClaudeEnvError) continue; // its documents have errors, reported by the document rules
        throw err;
      }
      for (const f of merged.findings) {
        // The same place can be reached from several environments: say it once.
        const place = `${f.file}:${f.line}:${f.column}\0${f.rule}`;
        if (mergePlaces.has(place)) continue;
        mergePlaces.add(place);
        ctx.report(f);
      }
      for (const c of overlayCollisions(merged.tree)) {
        const f = collisionFinding(c);
        const place = `${f.file}\0${f.message}`;
        if (!collisions.has(place)) {
          collisions.add(place);
          ctx.report(f);
        }
      }
      // Sections are shared by many targets (frozen, untouched parts are reused): check each one once.
      const fresh: Record<string, unknown> = {};
      for (const section of Object.keys(merged.tree)) {
        const v = merged.tree[section]!;
        if (typeof v === 'object' && checked.has(v)) continue;
        if (typeof v === 'object') checked.add(v);
        fresh[section] = toPlain(v);
      }
      if (Object.keys(fresh).length === 0) continue;
      for (const { at: o, message } of mergedSchemaIssues(merged.tree, fresh, ctx.schemas)) {
        if (!o || ctx.hasErrorAt(o.file, o.line, o.column)) continue;
        const id = `${o.file}:${o.line}:${o.column}\0${message}`;
        const seen = issues.get(id);
        if (seen) seen.more++;
        else issues.set(id, { at: o, message, first: target, more: 0 });
      }
    }
    for (const { at, message, first, more } of issues.values()) {
      const which = `target ${describeTarget(first)}${more > 0 ? ' and others' : ''}`;
      ctx.report({ rule: 'merged-schema', severity: 'error', file: at.file, line: at.line, column: at.column, message: `${message} (${which})` });
    }
  },
};
