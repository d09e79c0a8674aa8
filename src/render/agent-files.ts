/**
 * Another agent's MCP file, shared with its user and with the agent's own
 * `mcp add` (pure: text in, text out). claude-env owns the entries it wrote,
 * by name; every other byte of the file stays as it is: the user's servers,
 * comments, formatting and other keys. Not marker comments: Codex's and
 * Copilot's own `mcp add` drop comments (docs/harnesses.md).
 * - Codex's `config.toml`: an entry is the `[mcp_servers.<name>]` table and
 *   its sub-tables (or a `<name> = {…}` line of `[mcp_servers]`); edited by
 *   cutting those lines and appending new tables, with positions from
 *   `@decimalturn/toml-patch`'s syntax tree, and the result parsed again.
 * - JSON files (Gemini CLI's settings.json, Copilot CLI's mcp-config.json,
 *   Cursor's mcp.json) may hold comments: edited with `jsonc-parser`, which
 *   changes only the entries' text.
 * An entry already equal to what is rendered is not touched, so a re-apply
 * changes nothing.
 */
import { createRequire } from 'node:module';
import { agentMcpFormat } from './harnesses.js';
import type { Output } from './outputs.js';
import { isJsonObject, sameJson, UnparsableFileError, type Json, type MergedFile, type TakenBack } from './shared-files.js';

const require = createRequire(import.meta.url);
type TomlPatch = typeof import('@decimalturn/toml-patch');
type Jsonc = typeof import('jsonc-parser');
let tomlLib: TomlPatch | undefined;
let jsoncLib: Jsonc | undefined;
const toml = (): TomlPatch => (tomlLib ??= require('@decimalturn/toml-patch') as TomlPatch);
const jsonc = (): Jsonc => (jsoncLib ??= require('jsonc-parser') as Jsonc);

/** Plain JSON of a parsed TOML value (no bigints, dates as text). */
const plain = (v: unknown): Json => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))) as Json;

/** The file as JSON with its servers under `mcpServers` (Codex's `mcp_servers` too); throws UnparsableFileError naming line and column. */
export function agentMcpView(path: string, text: string | undefined): Record<string, Json> {
  if (text === undefined || text.trim() === '') return {};
  if (agentMcpFormat(path) === 'codex-toml') {
    let v: unknown;
    try {
      v = toml().parse(text, { integersAsBigInt: false });
    } catch (err) {
      const e = err as { line?: number; column?: number; message?: string };
      const why = String(e.message ?? err).split('\n').pop();
      throw new UnparsableFileError(path, e.line !== undefined ? `line ${e.line}, column ${(e.column ?? 0) + 1}: ${why}` : String(why), 'TOML', e.line !== undefined ? { line: e.line, column: (e.column ?? 0) + 1 } : undefined);
    }
    const obj = plain(v) as Record<string, Json>;
    const { mcp_servers: servers, ...rest } = obj;
    return { ...rest, mcpServers: servers ?? {} };
  }
  const errors: import('jsonc-parser').ParseError[] = [];
  const v = jsonc().parse(text, errors, { allowTrailingComma: false, disallowComments: false }) as unknown;
  if (errors.length > 0) {
    const first = errors[0]!;
    const before = text.slice(0, first.offset).split('\n');
    const at = { line: before.length, column: before[before.length - 1]!.length + 1 };
    throw new UnparsableFileError(path, `line ${at.line}, column ${at.column}: ${jsonc().printParseErrorCode(first.error)}`, 'JSON', at);
  }
  if (!isJsonObject(v)) throw new UnparsableFileError(path, 'the top level is not an object');
  return v as Record<string, Json>;
}

/** The servers of the file as JSON. */
const serversOf = (view: Record<string, Json>): Record<string, Json> => (isJsonObject(view['mcpServers']) ? view['mcpServers'] : {});

/**
 * The agent's file with claude-env's entries set to `desired` (by name):
 * entries it owned and no longer renders go, entries that differ are
 * rewritten, equal ones stay byte for byte, everything else stays.
 */
export function mergeAgentMcp(path: string, desired: string, actual: string | undefined, owned: readonly string[]): MergedFile {
  const want = serversOf(JSON.parse(desired) as Record<string, Json>);
  const view = agentMcpView(path, actual);
  if (view['mcpServers'] !== undefined && !isJsonObject(view['mcpServers'])) throw new UnparsableFileError(path, `its ${agentMcpFormat(path) === 'codex-toml' ? 'mcp_servers' : 'mcpServers'} is not a table of servers`, 'MCP configuration');
  const have = serversOf(view);
  const drop = new Set(owned.filter((n) => !Object.hasOwn(want, n) && Object.hasOwn(have, n)));
  const write = Object.keys(want).filter((n) => !Object.hasOwn(have, n) || !sameJson(have[n], want[n]));
  if (drop.size === 0 && write.length === 0 && actual !== undefined) return { content: actual, owned: Object.keys(want) };
  const content = agentMcpFormat(path) === 'codex-toml' ? editToml(path, actual ?? '', want, drop, write) : editJsonc(actual, want, drop, write);
  return { content, owned: Object.keys(want) };
}

function editJsonc(actual: string | undefined, want: Record<string, Json>, drop: ReadonlySet<string>, write: readonly string[]): string {
  if (actual === undefined || actual.trim() === '') return `${JSON.stringify({ mcpServers: want }, null, 2)}\n`;
  const { modify, applyEdits } = jsonc();
  const unit = /\n\t/.test(actual) ? '\t' : ' '.repeat(/\n( +)"/.exec(actual)?.[1]?.length ?? 2);
  const eol = actual.includes('\r\n') ? '\r\n' : '\n';
  let text = actual;
  for (const name of drop) text = applyEdits(text, modify(text, ['mcpServers', name], undefined, {}));
  if (drop.size > 0) {
    // An object left with nothing but the blanks of the entries taken out is `{}` again.
    const node = jsonc().findNodeAtLocation(jsonc().parseTree(text)!, ['mcpServers']);
    if (node && node.type === 'object' && (node.children ?? []).length === 0 && text.slice(node.offset + 1, node.offset + node.length - 1).trim() === '') {
      text = `${text.slice(0, node.offset)}{}${text.slice(node.offset + node.length)}`;
    }
  }
  for (const name of write) text = applyEdits(text, modify(text, ['mcpServers', name], want[name], {}).map((e) => ({ ...e, content: laidOut(text, e, unit, eol) })));
  return text;
}

/** The leading blanks of the line `offset` is on. */
const indentAt = (text: string, offset: number): string => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', offset - 1) + 1))![0];

/**
 * An edit of jsonc-parser (compact JSON) laid out like the file around it:
 * indented as the line it starts on, one key per line. jsonc-parser's own
 * formatting would re-lay the whole line the edit starts on, which may be
 * the user's entry; this touches only the edit's own text.
 */
function laidOut(text: string, e: { offset: number; length: number; content: string }, unit: string, eol: string): string {
  const here = indentAt(text, e.offset);
  const pretty = (v: unknown, indent: string): string => JSON.stringify(v, null, unit).split('\n').join(eol + indent);
  const prop = /^(,?)("(?:[^"\\]|\\.)*"): ([\s\S]*)$/.exec(e.content);
  if (e.length > 0 || !prop) {
    try {
      return pretty(JSON.parse(e.content), here);
    } catch {
      return e.content;
    }
  }
  const [, comma, key, rest] = prop;
  const value = JSON.parse(rest!) as unknown;
  if (comma) return `,${eol}${here}${key}: ${pretty(value, here)}`;
  return `${eol}${here}${unit}${key}: ${pretty(value, here + unit)}${eol}${here}`;
}

interface Loc {
  start: { line: number };
  end: { line: number };
}
interface Node {
  type: string;
  loc: Loc;
  key?: { item?: { value: string[] }; value?: string[] };
  items?: Node[];
}

/** The lines (1-based, inclusive) of a node without the comments that trail it (they may be the next table's). */
function span(n: Node): [number, number] {
  const body = (n.items ?? []).filter((i) => i.type !== 'Comment');
  const end = body.length > 0 ? Math.max(...body.map((i) => i.loc.end.line)) : n.type === 'KeyValue' ? n.loc.end.line : n.loc.start.line;
  return [n.loc.start.line, end];
}

/** The Codex config with the named entries cut out and `write` appended as `[mcp_servers.<name>]` tables; checked by parsing it again. */
function editToml(path: string, actual: string, want: Record<string, Json>, drop: ReadonlySet<string>, write: readonly string[]): string {
  const lib = toml();
  const cut = new Set([...drop, ...write]);
  const lines = actual.split('\n');
  const gone = new Set<number>();
  const mark = ([a, b]: [number, number]): void => {
    for (let l = a; l <= b; l++) gone.add(l);
    // A table is appended after a blank line, which goes with it (at the top of the file, the one after it), so entries
    // rewritten again and again leave no gaps and a rollback gives the user's bytes back.
    if (a >= 2 && lines[a - 2]!.trim() === '' && !gone.has(a - 1)) gone.add(a - 1);
  };
  if (actual.trim() !== '') {
    const cst = lib.parseDocument(actual, { integersAsBigInt: false }).cst as unknown as Node[];
    for (const n of cst) {
      if (n.type === 'Table' || n.type === 'TableArray') {
        const key = n.key?.item?.value ?? [];
        if (key[0] === 'mcp_servers' && key.length >= 2 && cut.has(key[1]!)) mark(span(n));
        else if (key.length === 1 && key[0] === 'mcp_servers') {
          for (const i of n.items ?? []) if (i.type === 'KeyValue' && cut.has(i.key?.value?.[0] ?? '')) mark(span(i));
        }
      } else if (n.type === 'KeyValue') {
        const key = n.key?.value ?? [];
        if (key[0] === 'mcp_servers' && key.length >= 2 && cut.has(key[1]!)) mark(span(n));
      }
    }
  }
  const kept = lines.filter((_l, i) => !gone.has(i + 1));
  // What was cut from the top of the file takes the blank line after it along.
  if (gone.has(1) && kept.length > 1 && kept[0]!.trim() === '') kept.shift();
  let text = kept.join('\n');
  const tables = write.map((name) => lib.stringify({ mcp_servers: { [name]: want[name] } }, { inlineTableStart: 2 }).replace(/^\[mcp_servers\]\n+/, '').replace(/\n+$/, '\n'));
  if (tables.length > 0) text = text.trim() === '' ? tables.join('\n') : `${text.endsWith('\n') ? text : `${text}\n`}\n${tables.join('\n')}`;
  // The last guard: the file must parse, with exactly the entries rendered (else nothing is written).
  const after = serversOf(agentMcpView(path, text));
  for (const name of Object.keys(want)) {
    if (!sameJson(after[name], want[name])) throw new UnparsableFileError(path, `its [mcp_servers.${name}] could not be set without changing what is around it (the user defines it in a way claude-env cannot edit)`);
  }
  for (const name of drop) if (Object.hasOwn(after, name)) throw new UnparsableFileError(path, `its [mcp_servers.${name}] could not be taken out without changing what is around it`);
  return text;
}

/**
 * Rollback of an agent's MCP file: every server claude-env owns now or
 * owned at the restore point goes back to its entry there, or leaves the
 * file; the rest stays as it is now. Throws UnparsableFileError when the
 * file does not parse now.
 */
export function takeBackAgentMcp(path: string, current: string, saved: string | undefined, ownedNow: readonly string[], ownedThen: readonly string[]): TakenBack {
  const cur = agentMcpView(path, current);
  let old: Record<string, Json> = {};
  try {
    old = serversOf(agentMcpView(path, saved));
  } catch {
    /* a restore point's copy that does not parse holds nothing claude-env can put back */
  }
  const have = serversOf(cur);
  const names = [...new Set([...ownedNow, ...ownedThen])];
  const back: Record<string, Json> = {};
  const takenOut: string[] = [];
  const putBack: string[] = [];
  for (const name of names) {
    if (Object.hasOwn(old, name)) {
      back[name] = old[name]!;
      if (!sameJson(have[name], old[name])) putBack.push(name);
    } else if (Object.hasOwn(have, name)) takenOut.push(name);
  }
  const content = takenOut.length === 0 && putBack.length === 0 ? current : mergeAgentMcp(path, JSON.stringify({ mcpServers: back }), current, names).content;
  const left = agentMcpView(path, content);
  const empty = Object.keys(left).every((k) => k === 'mcpServers') && Object.keys(serversOf(left)).length === 0;
  return { content, empty, takenOut, putBack };
}

/**
 * An output as a file of its own, as apply writes it where there is none
 * yet: another agent's MCP file in its own format (Codex's TOML), anything
 * else as rendered. What `render --outputs` and `render --all --out` show.
 */
export function fileText(o: Output): string {
  return o.kind === 'agent-mcp' ? mergeAgentMcp(o.path, o.content, undefined, []).content : o.content;
}
