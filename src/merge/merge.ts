/**
 * Layers → merged tree, per SPEC.md "Merge semantics": maps merge deeply,
 * lists follow the strategy of their path (replace | append | unique |
 * merge-by-key), scalars override, `null` keeps the parent, `!delete` removes
 * an inherited key, `{<key>: x, $delete: true}` removes an element of a
 * merge-by-key list. A value replaced by one of another kind is a warning.
 *
 * Pure, and never mutates: parts of the inputs that a layer does not touch
 * are shared (they are frozen), so merging an empty layer returns the same
 * tree. Every value keeps its origin (provenance/tree.ts).
 */
import type { Finding, Origin } from '../vocabulary.js';
import {
  DELETE,
  SecretValue,
  isMap,
  joinKeyPath,
  kindOf,
  originsOf,
  setOrigins,
  type LayerMap,
  type LayerValue,
  type TreeList,
  type TreeMap,
  type Value,
  type ValueKind,
} from '../provenance/tree.js';
import type { ArrayStrategy, StrategyLookup } from './strategy.js';

export const DELETE_ITEM_KEY = '$delete';

const hasOwn = Object.hasOwn;
const freezeList = (a: Value[]): TreeList => Object.freeze(a) as TreeList;
const EMPTY_ORIGIN_KEYS: Readonly<Record<string, Origin>> = Object.freeze({});

function layerKind(v: LayerValue): ValueKind | undefined {
  if (v === null || v === DELETE) return undefined;
  return kindOf(v as Value);
}

export function isLayerMap(v: LayerValue | undefined): v is LayerMap {
  return isMap(v);
}

export class Merger {
  /** Cleaned form of layer nodes with nothing beneath them (their path is fixed, so this is a pure memo). */
  private readonly cleaned = new WeakMap<object, { value: Value | undefined; findings: Finding[] }>();

  constructor(private readonly strategy: StrategyLookup) {}

  /** The list strategy of a key path. */
  strategyAt(path: readonly string[]): ArrayStrategy {
    return this.strategy(path);
  }

  /** Merge one layer document (placed at the root) onto the tree so far. */
  apply(parent: TreeMap, layer: LayerValue | undefined, findings: Finding[]): TreeMap {
    if (layer === undefined || !isLayerMap(layer)) return parent;
    return this.mergeMap(parent, layer, [], findings);
  }

  private mergeMap(p: TreeMap, c: LayerMap, path: string[], findings: Finding[]): TreeMap {
    const keys = Object.keys(c);
    if (keys.length === 0) return p;
    const co = originsOf(c);
    const po = originsOf(p);
    let out: TreeMap | undefined;
    let outKeys: Record<string, Origin> | undefined;
    for (const k of keys) {
      const cv = c[k]!;
      if (cv === null) continue; // keeps the parent
      const had = hasOwn(p, k);
      if (cv === DELETE) {
        if (!had) continue;
        out ??= { ...p };
        outKeys ??= { ...(po?.keys ?? EMPTY_ORIGIN_KEYS) };
        delete out[k];
        delete outKeys[k];
        continue;
      }
      const corigin = co?.keys?.[k];
      path.push(k);
      const merged = had ? this.mergeValue(p[k]!, po?.keys?.[k], cv, corigin, path, findings) : this.clean(cv, path, findings);
      path.pop();
      if (merged === undefined) continue;
      if (had && merged === p[k]) continue;
      out ??= { ...p };
      outKeys ??= { ...(po?.keys ?? EMPTY_ORIGIN_KEYS) };
      out[k] = merged;
      if (corigin) outKeys[k] = corigin;
    }
    if (out === undefined) return p;
    return setOrigins(Object.freeze(out), { self: po?.self ?? co!.self, keys: Object.freeze(outKeys!) });
  }

  private mergeValue(pv: Value, porigin: Origin | undefined, cv: LayerValue, corigin: Origin | undefined, path: string[], findings: Finding[]): Value | undefined {
    const pk = kindOf(pv);
    const ck = layerKind(cv);
    if (ck === 'map' && pk === 'map') return this.mergeMap(pv as TreeMap, cv as LayerMap, path, findings);
    if (ck === 'list' && pk === 'list') return this.mergeList(pv as TreeList, cv as LayerValue[], path, findings);
    if (ck !== undefined && ck !== pk && corigin) {
      findings.push({
        rule: 'merge-type-change',
        severity: 'warning',
        file: corigin.file,
        line: corigin.line,
        column: corigin.column,
        message: `${joinKeyPath(path)}: a ${ck} replaces the ${pk} inherited from ${porigin ? `${porigin.file}:${porigin.line}:${porigin.column}` : 'a lower layer'}`,
      });
    }
    return this.clean(cv, path, findings);
  }

  private mergeList(p: TreeList, c: LayerValue[], path: string[], findings: Finding[]): TreeList {
    const s = this.strategy(path);
    if (s.kind === 'replace') return this.clean(c, path, findings) as TreeList;
    const po = originsOf(p);
    const co = originsOf(c);
    const items: Value[] = [...p];
    const origins: Origin[] = [...(po?.items ?? [])];
    if (s.kind === 'merge-by-key') {
      this.mergeByKey(items, origins, c, co?.items, s.key, path, findings);
    } else {
      for (let i = 0; i < c.length; i++) {
        path.push(String(i));
        const v = this.clean(c[i]!, path, findings);
        path.pop();
        if (v === undefined) continue;
        items.push(v);
        origins.push(co?.items?.[i] ?? co!.self);
      }
      if (s.kind === 'unique') dedupe(items, origins);
    }
    return setOrigins(freezeList(items), { self: co?.self ?? po!.self, items: Object.freeze(origins) });
  }

  /** Merge `c` into `items` by `key`, in place (items/origins are fresh copies). */
  private mergeByKey(items: Value[], origins: Origin[], c: readonly LayerValue[], corigins: readonly Origin[] | undefined, key: string, path: string[], findings: Finding[]): void {
    const index = new Map<string, number>();
    items.forEach((v, i) => {
      const id = itemKey(v, key);
      if (id !== undefined) index.set(id, i);
    });
    const removed = new Set<number>();
    for (let i = 0; i < c.length; i++) {
      const cv = c[i]!;
      const corigin = corigins?.[i];
      const id = isLayerMap(cv) ? itemKey(cv as Value, key) : undefined;
      path.push(id ?? String(i));
      if (id !== undefined && isLayerMap(cv)) {
        const at = index.get(id);
        if (cv[DELETE_ITEM_KEY] === true) {
          if (at !== undefined) {
            removed.add(at);
            index.delete(id);
          }
        } else {
          const body = withoutDeleteKey(cv);
          if (at !== undefined) {
            items[at] = this.mergeMap(items[at] as TreeMap, body, path, findings);
            if (corigin) origins[at] = corigin;
          } else {
            const v = this.clean(body, path, findings);
            if (v !== undefined) {
              index.set(id, items.length);
              items.push(v);
              origins.push(corigin ?? origins[0]!);
            }
          }
        }
      } else {
        const v = this.clean(cv, path, findings);
        if (v !== undefined) {
          items.push(v);
          origins.push(corigin ?? origins[0]!);
        }
      }
      path.pop();
    }
    if (removed.size > 0) {
      let w = 0;
      for (let r = 0; r < items.length; r++) {
        if (removed.has(r)) continue;
        items[w] = items[r]!;
        origins[w] = origins[r]!;
        w++;
      }
      items.length = w;
      origins.length = w;
    }
  }

  /**
   * A layer value with nothing beneath it: markers and nulls dropped, lists
   * normalized by their strategy (unique deduplicated, merge-by-key folded).
   * Returns undefined for null and `!delete`.
   */
  clean(v: LayerValue, path: string[], findings: Finding[]): Value | undefined {
    if (v === null || v === DELETE) return undefined;
    if (typeof v !== 'object' || v instanceof SecretValue) return v as Value;
    const memo = this.cleaned.get(v);
    if (memo) {
      if (memo.findings.length > 0) findings.push(...memo.findings);
      return memo.value;
    }
    const own: Finding[] = [];
    const value = Array.isArray(v) ? this.cleanList(v, path, own) : this.cleanMap(v as LayerMap, path, own);
    this.cleaned.set(v, { value, findings: own });
    findings.push(...own);
    return value;
  }

  private cleanMap(c: LayerMap, path: string[], findings: Finding[]): TreeMap {
    let out: TreeMap | undefined;
    const keys = Object.keys(c);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const cv = c[k]!;
      path.push(k);
      const v = this.clean(cv, path, findings);
      path.pop();
      if (v === cv) {
        if (out) out[k] = v;
        continue;
      }
      if (!out) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j]!] = c[keys[j]!] as Value;
      }
      if (v !== undefined) out[k] = v;
    }
    if (!out) return c as TreeMap;
    const co = originsOf(c)!;
    const outKeys: Record<string, Origin> = {};
    for (const k of Object.keys(out)) {
      const o = co.keys?.[k];
      if (o) outKeys[k] = o;
    }
    return setOrigins(Object.freeze(out), { self: co.self, keys: Object.freeze(outKeys) });
  }

  private cleanList(c: LayerValue[], path: string[], findings: Finding[]): TreeList {
    const s = this.strategy(path);
    const co = originsOf(c)!;
    if (s.kind === 'merge-by-key') {
      const items: Value[] = [];
      const origins: Origin[] = [];
      this.mergeByKey(items, origins, c, co.items, s.key, path, findings);
      return setOrigins(freezeList(items), { self: co.self, items: Object.freeze(origins) });
    }
    let changed = false;
    const items: Value[] = [];
    const origins: Origin[] = [];
    for (let i = 0; i < c.length; i++) {
      path.push(String(i));
      const v = this.clean(c[i]!, path, findings);
      path.pop();
      if (v !== c[i]) changed = true;
      if (v === undefined) continue;
      if (isMap(v) && hasOwn(v, DELETE_ITEM_KEY)) misplacedDelete(co.items?.[i] ?? co.self, path, s, findings);
      items.push(v);
      origins.push(co.items?.[i] ?? co.self);
    }
    if (s.kind === 'unique' && dedupe(items, origins)) changed = true;
    if (!changed) return c as TreeList;
    return setOrigins(freezeList(items), { self: co.self, items: Object.freeze(origins) });
  }
}

function misplacedDelete(at: Origin, path: readonly string[], s: ArrayStrategy, findings: Finding[]): void {
  findings.push({
    rule: 'merge-delete-misplaced',
    severity: 'warning',
    file: at.file,
    line: at.line,
    column: at.column,
    message: `${joinKeyPath(path)} merges by ${s.kind}: "$delete" only removes items of merge-by-key lists and is kept here as data`,
  });
}

function itemKey(v: Value, key: string): string | undefined {
  if (!isMap(v) || !hasOwn(v, key)) return undefined;
  const id = v[key];
  return typeof id === 'string' || typeof id === 'number' || typeof id === 'boolean' ? String(id) : undefined;
}

function withoutDeleteKey(m: LayerMap): LayerMap {
  if (!hasOwn(m, DELETE_ITEM_KEY)) return m;
  const { [DELETE_ITEM_KEY]: _drop, ...rest } = m;
  const o = originsOf(m)!;
  const { [DELETE_ITEM_KEY]: _dropOrigin, ...keys } = o.keys ?? {};
  return setOrigins(Object.freeze(rest), { self: o.self, keys: Object.freeze(keys) });
}

/** Canonical text of a value: equal values, equal text (map key order ignored). */
export function canonical(v: Value): string {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v !== 'object') return `${typeof v}:${String(v)}`;
  if (v instanceof SecretValue) return `secret:${v.provider}:${v.ref}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
    .join(',')}}`;
}

/** Drop later duplicates in place, keeping first positions. True when something was dropped. */
function dedupe(items: Value[], origins: Origin[]): boolean {
  const seen = new Set<string>();
  let w = 0;
  for (let r = 0; r < items.length; r++) {
    const id = canonical(items[r]!);
    if (seen.has(id)) continue;
    seen.add(id);
    items[w] = items[r]!;
    origins[w] = origins[r]!;
    w++;
  }
  const dropped = w !== items.length;
  items.length = w;
  origins.length = w;
  return dropped;
}
