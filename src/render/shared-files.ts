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
 * Rollback uses the same rules the other way (`takeBack…`): claude-env's
 * part of the file as it is now goes, its part as a restore point has it
 * comes back, and everything else stays as it is now.
 */
import { joinKeyPath, splitKeyPath } from '../provenance/tree.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { BLOCK_BEGIN, BLOCK_END, type OutputKind } from './outputs.js';

/** The outputs that share their file with the user and Claude Code: claude-env owns only a part of each. */
export const SHARED_KINDS: ReadonlySet<OutputKind> = new Set(['settings-json', 'claude-json', 'mcp-json', 'claude-md', 'agent-mcp']);

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

/**
 * `now` (the file after claude-env set its keys) in the order of `before`
 * (the file as it was), with each key that is new placed right after the key
 * that comes before it in `want` (what render gives), deep. A key already
 * there never moves, so a re-apply does not reshuffle the user's file; and
 * a file that holds only claude-env's keys stays, revision after revision,
 * byte for byte what render gives.
 */
export function placeNewKeys(now: Record<string, Json>, before: Record<string, Json>, want: Record<string, Json>): Record<string, Json> {
  const after = new Map<string | null, string[]>();
  let prev: string | null = null;
  for (const k of Object.keys(want)) {
    if (!Object.hasOwn(now, k)) continue;
    if (!Object.hasOwn(before, k)) after.set(prev, [...(after.get(prev) ?? []), k]);
    prev = k;
  }
  const out: Record<string, Json> = {};
  const put = (k: string): void => {
    const v = now[k]!;
    const was = before[k];
    const w = want[k];
    out[k] = isObject(v) && isObject(was) && isObject(w) ? placeNewKeys(v, was, w) : v;
    for (const n of after.get(k) ?? []) put(n);
  };
  // A new key with none of claude-env's before it goes before the first of them, or after the user's keys when there is none yet.
  const first = Object.keys(before).find((k) => Object.hasOwn(want, k) && Object.hasOwn(now, k));
  for (const k of Object.keys(before)) {
    if (!Object.hasOwn(now, k)) continue;
    if (k === first) for (const n of after.get(null) ?? []) put(n);
    put(k);
  }
  if (first === undefined) for (const n of after.get(null) ?? []) put(n);
  return out;
}

export class UnparsableFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    format = 'JSON',
    /** Where in the file, when the parser says. */
    readonly at?: { readonly line: number; readonly column: number },
  ) {
    super(`${file} is not valid ${format}: ${reason}`);
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
  const before = structuredClone(result);
  for (const [path, value] of leaves) setAt(result, path, structuredClone(value));
  return { content: `${JSON.stringify(isObject(want) ? placeNewKeys(result, before, want) : result, null, 2)}\n`, owned: leaves.map(([p]) => joinKeyPath(p)) };
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
  const before = { ...servers };
  for (const [name, entry] of Object.entries(desiredServers)) servers[name] = entry;
  const ordered = placeNewKeys(servers, before, desiredServers);
  const result: Record<string, Json> = {};
  let placed = false;
  for (const k of Object.keys(base)) {
    if (k === 'mcpServers') {
      result[k] = ordered;
      placed = true;
    } else result[k] = base[k]!;
  }
  if (!placed) result['mcpServers'] = ordered;
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

/**
 * What a rollback does to one shared file: its content afterwards, and
 * what of claude-env's went out and came back (settings key paths, server
 * names, or `managed block`).
 */
export interface TakenBack {
  /** The file afterwards: `current` itself when nothing of claude-env's changes. */
  readonly content: string;
  /** Nothing is left but what claude-env wrote (`{}`, an empty `mcpServers`, blank text): a file claude-env created may go. */
  readonly empty: boolean;
  readonly takenOut: readonly string[];
  readonly putBack: readonly string[];
}

export const sameJson = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A restore point's copy, parsed; one that does not parse holds nothing claude-env can put back. */
function parseSaved(saved: string | undefined): Json {
  if (saved === undefined || saved.trim() === '') return {};
  try {
    return JSON.parse(saved) as Json;
  } catch {
    return {};
  }
}

function parseCurrent(current: string, file: string): Record<string, Json> {
  const v = current.trim() === '' ? {} : parseJson(current, file);
  if (!isObject(v)) throw new UnparsableFileError(file, 'the top level is not an object');
  return v;
}

/**
 * settings.json: every leaf claude-env owns now or owned at the restore
 * point goes back to its value there, or leaves the file when the restore
 * point had none (a value it set where it is, so key order stays); keys of
 * the user and of Claude Code stay as they are now. Throws
 * UnparsableFileError when `current` is not JSON.
 */
export function takeBackSettingsJson(current: string, saved: string | undefined, ownedNow: readonly string[], ownedThen: readonly string[]): TakenBack {
  const cur = parseCurrent(current, '.claude/settings.json');
  const old = parseSaved(saved);
  const keys = [...new Set([...ownedNow, ...ownedThen])];
  const part: Record<string, Json> = {};
  for (const key of keys) {
    const v = getAt(old, splitKeyPath(key));
    if (v !== undefined) setAt(part, splitKeyPath(key), structuredClone(v));
  }
  const result = JSON.parse(mergeSettingsJson(JSON.stringify(part), current, keys).content) as Record<string, Json>;
  if (sameJson(result, cur)) return { content: current, empty: Object.keys(cur).length === 0, takenOut: [], putBack: [] };
  const moved = keys.filter((k) => !sameJson(getAt(cur, splitKeyPath(k)), getAt(result, splitKeyPath(k))));
  return {
    content: `${JSON.stringify(result, null, 2)}\n`,
    empty: Object.keys(result).length === 0,
    takenOut: moved.filter((k) => getAt(result, splitKeyPath(k)) === undefined),
    putBack: moved.filter((k) => getAt(result, splitKeyPath(k)) !== undefined),
  };
}

/**
 * `.claude.json` or a project `.mcp.json`: every server claude-env owns now
 * or owned at the restore point goes back to its entry there, or leaves
 * `mcpServers` when the restore point had none; every other server and key
 * stays as it is now, in order. Written like Claude Code (2-space, no
 * trailing newline; a `.mcp.json` keeps the final newline it has). Throws
 * UnparsableFileError when `current` is not a JSON object: such a file is
 * never written over.
 */
export function takeBackMcpServers(file: string, current: string, saved: string | undefined, ownedNow: readonly string[], ownedThen: readonly string[]): TakenBack {
  const cur = parseCurrent(current, file);
  const old = parseSaved(saved);
  const oldServers = isObject(old) && isObject(old['mcpServers']) ? old['mcpServers'] : {};
  const had = isObject(cur['mcpServers']) ? cur['mcpServers'] : undefined;
  const servers = new Map<string, Json>(Object.entries(had ?? {}));
  const takenOut: string[] = [];
  const putBack: string[] = [];
  for (const name of new Set([...ownedNow, ...ownedThen])) {
    if (Object.hasOwn(oldServers, name)) {
      if (sameJson(servers.get(name), oldServers[name])) continue;
      servers.set(name, oldServers[name]!);
      putBack.push(name);
    } else if (servers.delete(name)) takenOut.push(name);
  }
  const empty = Object.keys(cur).every((k) => k === 'mcpServers') && servers.size === 0;
  if (takenOut.length === 0 && putBack.length === 0) return { content: current, empty, takenOut, putBack };
  const entries: Array<[string, Json]> = Object.keys(cur).map((k) => [k, k === 'mcpServers' ? Object.fromEntries(servers) : cur[k]!]);
  if (had === undefined) entries.push(['mcpServers', Object.fromEntries(servers)]);
  const text = JSON.stringify(Object.fromEntries(entries), null, 2);
  return { content: file.endsWith('.mcp.json') && current.endsWith('\n') ? `${text}\n` : text, empty, takenOut, putBack };
}

/**
 * CLAUDE.md: the managed block leaves (with the blank line apply put before
 * it when it appended it: no run of two blank lines is left) or is replaced by the block the restore point
 * holds; the text outside it is the user's and stays as it is now.
 */
export function takeBackClaudeMd(current: string, saved: string | undefined): TakenBack {
  const then = saved === undefined ? undefined : findBlock(saved);
  const now = findBlock(current);
  let content = current;
  if (then) content = mergeClaudeMd(saved!.slice(then.start, then.end), current).content;
  else if (now) {
    let before = current.slice(0, now.start);
    const after = current.slice(now.end);
    // The blank line apply put before an appended block goes with it.
    if (before.endsWith('\n\n') && (after === '' || after.startsWith('\n'))) before = before.slice(0, -1);
    content = before + after;
  }
  const changed = content !== current;
  return { content, empty: content.trim() === '', takenOut: changed && now ? ['managed block'] : [], putBack: changed && then ? ['managed block'] : [] };
}

export { isObject as isJsonObject, type Json };
