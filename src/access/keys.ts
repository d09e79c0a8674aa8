/**
 * The merged-tree key paths a change to one layer document touches: both
 * versions parsed, compared key by key, and placed at the document's
 * section (`base/mcp/memory.yml` → `mcpServers.memory.…`; the entries of
 * `environments/<env>/teams.yml` are root-shaped under their team key).
 * A key added or removed reports every key below it too, so `security.**`
 * sees a whole security map that disappears.
 */
import { isYamlPath, placeOf } from '../repo/layout.js';
import { joinKeyPath, toPlain } from '../provenance/tree.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a repo path is a layer document, whose keys are merged into the tree. */
export function isLayerDocument(path: string): boolean {
  return isYamlPath(path) && placeOf(path).layer !== undefined;
}

function leaves(v: unknown, path: string[], out: string[][]): void {
  out.push(path);
  if (isObj(v)) for (const k of Object.keys(v)) leaves(v[k], [...path, k], out);
}

function diff(a: unknown, b: unknown, path: string[], out: string[][]): void {
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) leaves(b[k], [...path, k], out);
      else if (!(k in b)) leaves(a[k], [...path, k], out);
      else diff(a[k], b[k], [...path, k], out);
    }
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push(path);
  if (isObj(a)) leaves(a, path, out);
  if (isObj(b)) leaves(b, path, out);
}

/**
 * Key paths (segments) of the merged tree that differ between two versions
 * of a layer document (undefined: the file does not exist in that version).
 */
export function changedKeyPaths(path: string, before: unknown, after: unknown): string[][] {
  const place = placeOf(path);
  const raw: string[][] = [];
  diff(before === undefined ? undefined : toPlain(before), after === undefined ? undefined : toPlain(after), [], raw);
  const envTeams = place.kind === 'environment-teams';
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const p of raw) {
    const inTree = [...place.section, ...(envTeams ? p.slice(1) : p)];
    if (inTree.length === 0) continue;
    const key = joinKeyPath(inTree);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(inTree);
  }
  return out;
}

/** Whether a changed key path is the key, lies below it or above it (a parent replaced). */
export function touchesKey(changed: readonly string[], key: readonly string[]): boolean {
  const n = Math.min(changed.length, key.length);
  for (let i = 0; i < n; i++) if (changed[i] !== key[i]) return false;
  return true;
}

/** Whether a layer document can hold the key: its section and the key agree as far as both go. */
export function documentMayHoldKey(path: string, key: readonly string[]): boolean {
  if (!isLayerDocument(path)) return false;
  return touchesKey(placeOf(path).section, key);
}
