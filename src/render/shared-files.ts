/**
 * The three outputs that share a file with someone else, merged the way
 * SPEC.md says (pure: text in, text out):
 * - `.claude/settings.json`: claude-env owns the leaves it renders; keys the
 *   user added stay; leaves it wrote before and no longer renders go.
 * - `.claude.json`: only `mcpServers` is claude-env's, and in it only the
 *   servers it wrote; every other key, and the user's own servers, stay as
 *   they are (key order kept), written as Claude Code writes it.
 * - `.claude/CLAUDE.md`: the managed block between the markers; text outside
 *   it is the user's.
 */
import { joinKeyPath, splitKeyPath } from '../provenance/tree.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { BLOCK_BEGIN, BLOCK_END } from './outputs.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaves of a JSON value: scalars, arrays and empty objects, with their key paths. */
export function jsonLeaves(v: Json, path: string[] = [], out: Array<[string[], Json]> = []): Array<[string[], Json]> {
  if (isObject(v) && Object.keys(v).length > 0) {
    for (const k of Object.keys(v)) jsonLeaves(v[k]!, [...path, k], out);
  } else if (path.length > 0) out.push([path, v]);
  return out;
}

export function getAt(v: Json | undefined, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function setAt(root: Record<string, Json>, path: readonly string[], value: Json): void {
  let cur = root;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, Json>;
  }
  cur[path[path.length - 1]!] = value;
}

export function deleteAt(root: Record<string, Json>, path: readonly string[]): void {
  const parents: Array<[Record<string, Json>, string]> = [];
  let cur: Json = root;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur) || !isObject(cur[k])) return;
    parents.push([cur, k]);
    cur = cur[k]!;
  }
  if (!isObject(cur)) return;
  delete cur[path[path.length - 1]!];
  // Folders that only held what claude-env wrote go with it.
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, k] = parents[i]!;
    if (isObject(parent[k]) && Object.keys(parent[k] as object).length === 0) delete parent[k];
    else break;
  }
}

export class UnparsableFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file} is not valid JSON: ${reason}`);
  }
}

function parseJson(text: string, file: string): Json {
  let v: Json;
  try {
    v = JSON.parse(text) as Json;
  } catch (err) {
    throw new UnparsableFileError(file, (err as Error).message);
  }
  if (nestsDeeperThan(v)) throw new UnparsableFileError(file, `it nests deeper than ${MAX_JSON_DEPTH} levels`);
  return v;
}

export interface MergedFile {
  readonly content: string;
  /** What claude-env owns in the file after this write (settings leaves, or server names). */
  readonly owned: readonly string[];
}

/**
 * settings.json = the user's file, minus the leaves claude-env owned before,
 * plus every leaf it renders now. `actual` that does not parse throws
 * UnparsableFileError (apply saves it first, then writes over it with `repairBroken`).
 */
export function mergeSettingsJson(desired: string, actual: string | undefined, owned: readonly string[], repairBroken = false): MergedFile {
  const want = parseJson(desired, '.claude/settings.json');
  let base: Json = {};
  if (actual !== undefined && actual.trim() !== '') {
    try {
      base = parseJson(actual, '.claude/settings.json');
    } catch (err) {
      if (!repairBroken) throw err;
      base = {};
    }
  }
  const result: Record<string, Json> = isObject(base) ? structuredClone(base) : {};
  const leaves = jsonLeaves(want);
  // Leaves still rendered are set where they are (key order stays, so a re-apply does not reshuffle the file); only stale ones go.
  const rendered = new Set(leaves.map(([p]) => joinKeyPath(p)));
  for (const key of owned) if (!rendered.has(key)) deleteAt(result, splitKeyPath(key));
  for (const [path, value] of leaves) setAt(result, path, structuredClone(value));
  return { content: `${JSON.stringify(result, null, 2)}\n`, owned: leaves.map(([p]) => joinKeyPath(p)) };
}

/**
 * `.claude.json`: replace the servers claude-env owns inside `mcpServers`,
 * keep everything else. A file that does not parse is never written (Claude
 * Code itself would reset it and log the user out): it throws.
 */
export function mergeClaudeJson(desired: string, actual: string | undefined, ownedServers: readonly string[]): MergedFile {
  const want = parseJson(desired, '.claude.json') as { mcpServers?: Record<string, Json> };
  const base = actual === undefined || actual.trim() === '' ? {} : parseJson(actual, '.claude.json');
  if (!isObject(base)) throw new UnparsableFileError('.claude.json', 'the top level is not an object');
  const servers: Record<string, Json> = isObject(base['mcpServers']) ? { ...base['mcpServers'] } : {};
  const desiredServers = want.mcpServers ?? {};
  // Servers still rendered are replaced where they are (order kept); only those no longer rendered go.
  for (const name of ownedServers) if (!Object.hasOwn(desiredServers, name)) delete servers[name];
  for (const [name, entry] of Object.entries(desiredServers)) servers[name] = entry;
  const result: Record<string, Json> = {};
  let placed = false;
  for (const k of Object.keys(base)) {
    if (k === 'mcpServers') {
      result[k] = servers;
      placed = true;
    } else result[k] = base[k]!;
  }
  if (!placed) result['mcpServers'] = servers;
  return { content: JSON.stringify(result, null, 2), owned: Object.keys(desiredServers) };
}

/** The managed block in `text`, markers included, or undefined. */
export function findBlock(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf(BLOCK_BEGIN);
  if (start < 0) return undefined;
  const endMarker = text.indexOf(BLOCK_END, start);
  if (endMarker < 0) return undefined;
  let end = endMarker + BLOCK_END.length;
  if (text[end] === '\n') end++;
  return { start, end };
}

/** CLAUDE.md = the user's text with the managed block replaced (or appended when there is none). */
export function mergeClaudeMd(block: string, actual: string | undefined): MergedFile {
  if (actual === undefined || actual === '') return { content: block, owned: [] };
  const at = findBlock(actual);
  if (at) return { content: actual.slice(0, at.start) + block + actual.slice(at.end), owned: [] };
  const sep = actual.endsWith('\n\n') ? '' : actual.endsWith('\n') ? '\n' : '\n\n';
  return { content: `${actual}${sep}${block}`, owned: [] };
}

export { isObject as isJsonObject, type Json };
