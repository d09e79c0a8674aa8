/**
 * `explain KEY`: every layer document's value for one dotted key, in merge
 * order, what it did (set, merge, append, delete, keep the parent…), and the
 * winner: where the merged value came from.
 */
import type { LayerName, Origin, RepoPath, Target } from '../vocabulary.js';
import { DELETE, isMap, joinKeyPath, kindOf, originAt, splitKeyPath, toPlain, type LayerValue, type Value } from '../provenance/tree.js';
import type { Repo } from '../repo/repo.js';
import { mergeTarget, mergerFor, type MergeOptions } from './target.js';
import type { Merger } from './merge.js';

export interface ExplainRow {
  layer: LayerName;
  file: RepoPath;
  line: number;
  column: number;
  value: unknown;
  effect: string;
}

export interface Explanation {
  key: string;
  target: Target;
  value: unknown;
  winner: { layer: LayerName; file: RepoPath; line: number; column: number } | null;
  layers: ExplainRow[];
}

export function explain(repo: Repo, target: Target, key: string, opts: MergeOptions = {}): Explanation {
  const segments = splitKeyPath(key);
  const merged = mergeTarget(repo, target, { ...opts, section: segments[0]! });
  const merger = mergerFor(repo);
  const layers: ExplainRow[] = [];
  for (const doc of merged.chain) {
    const row = rowFor(doc.root, segments, merger);
    if (row) layers.push({ layer: doc.layer, file: row.origin.file, line: row.origin.line, column: row.origin.column, value: row.value, effect: row.effect });
  }
  const found = lookup(merged.tree, segments);
  return {
    key: joinKeyPath(segments),
    target,
    value: found ? toPlain(found.value) : null,
    winner: found?.origin ? { layer: found.origin.layer, file: found.origin.file, line: found.origin.line, column: found.origin.column } : null,
    layers,
  };
}

function lookup(tree: Value, segments: readonly string[]): { value: Value; origin: Origin | undefined } | undefined {
  let cur: Value = tree;
  let origin: Origin | undefined;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return undefined;
      origin = originAt(cur, i);
      cur = cur[i]!;
    } else if (isMap(cur)) {
      if (!Object.hasOwn(cur, seg)) return undefined;
      origin = originAt(cur, seg);
      cur = cur[seg]!;
    } else return undefined;
  }
  return { value: cur, origin };
}

function rowFor(root: LayerValue | undefined, segments: readonly string[], merger: Merger): { origin: Origin; value: unknown; effect: string } | undefined {
  let cur: LayerValue | undefined = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (cur === undefined || cur === null || typeof cur !== 'object') return undefined;
    let v: LayerValue;
    let origin: Origin | undefined;
    if (Array.isArray(cur)) {
      const n = Number(seg);
      if (!Number.isInteger(n) || n < 0 || n >= cur.length) return undefined;
      v = cur[n]!;
      origin = originAt(cur, n);
    } else {
      const m = cur as Record<string, LayerValue>;
      if (!Object.hasOwn(m, seg)) return undefined;
      v = m[seg]!;
      origin = originAt(m, seg);
    }
    if (!origin) return undefined;
    const last = i === segments.length - 1;
    const prefix = joinKeyPath(segments.slice(0, i + 1));
    if (v === DELETE) return { origin, value: '!delete', effect: last ? 'delete' : `delete (removes ${prefix})` };
    if (v === null) return last ? { origin, value: null, effect: 'null (keeps the parent value)' } : undefined;
    if (last) return { origin, value: toPlain(v), effect: effectOf(v as Value, segments, merger) };
    if (typeof v !== 'object' || Array.isArray(v) !== /^\d+$/.test(segments[i + 1]!)) {
      return { origin, value: toPlain(v), effect: `replace (sets ${prefix} to a ${kindOf(v as Value)})` };
    }
    cur = v;
  }
  return undefined;
}

function effectOf(v: Value, segments: readonly string[], merger: Merger): string {
  const kind = kindOf(v);
  if (kind === 'map') return 'merge';
  if (kind === 'list') {
    const s = merger.strategyAt(segments);
    return s.kind === 'merge-by-key' ? `merge-by-key (${s.key})` : s.kind;
  }
  return 'set';
}
