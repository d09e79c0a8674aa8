/**
 * Which servers `mcp check` looks at, and how to reach each: the enabled
 * entries of a merged `mcpServers` section, with the place in the repo where
 * each is defined (for findings), their `expect` block, and, on the machine,
 * the entry made ready to connect: `!secret` values resolved, `${VAR}` and
 * `${VAR:-default}` expanded from the environment as Claude Code does
 * (CLAUDE-CODE.md §4.1), and the secret values remembered so that no output
 * ever shows them.
 */
import { isMap, originAt, SecretValue, type TreeMap, type Value } from '../provenance/tree.js';
import type { SecretResolver } from '../secrets/resolve.js';
import type { Origin } from '../vocabulary.js';
import { ClaudeEnvError } from '../errors.js';
import { parseExpectations, type Expectations } from './expect.js';
import type { Secrets } from './redact.js';

export type McpTransportKind = 'stdio' | 'http' | 'sse' | 'ws';

/** One enabled server of a merged tree, as the repo defines it (secrets unresolved). */
export interface ServerDefinition {
  readonly name: string;
  readonly transport: McpTransportKind;
  readonly entry: TreeMap;
  /** Where the server is defined: its `url` or `command` key, else the server's own key. */
  readonly origin: Origin | undefined;
  readonly expect: Expectations;
}

/** A server ready to connect to. Values are resolved; `secrets` lists what must never be shown. */
export interface ServerSpec {
  readonly name: string;
  readonly transport: McpTransportKind;
  readonly command?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly secrets: Secrets;
}

export function transportOf(entry: TreeMap): McpTransportKind {
  const t = entry['type'];
  if (t === 'http' || t === 'streamable-http') return 'http';
  if (t === 'sse') return 'sse';
  if (t === 'ws') return 'ws';
  return 'stdio';
}

/** The enabled servers of a merged `mcpServers` section, in the tree's order. */
export function serverDefinitions(servers: Value | undefined): ServerDefinition[] {
  if (!isMap(servers)) return [];
  const out: ServerDefinition[] = [];
  for (const name of Object.keys(servers)) {
    const entry = servers[name];
    if (!isMap(entry) || entry['enabled'] === false) continue;
    const transport = transportOf(entry);
    const key = transport === 'stdio' ? 'command' : 'url';
    out.push({ name, transport, entry, origin: originAt(entry, key) ?? originAt(servers, name), expect: parseExpectations(entry['expect']) });
  }
  return out;
}

/** `${VAR}` and `${VAR:-default}` from the environment; a variable that is not set stays as written. */
export function expandVariables(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    return fallback ?? (v ?? whole);
  });
}

export interface ResolveOptions {
  env: Readonly<Record<string, string | undefined>>;
  resolveSecret: SecretResolver;
  /** `--timeout`: wins over the entry's own `timeout`. */
  timeoutMs?: number | undefined;
  defaultTimeoutMs: number;
}

/**
 * The definition made ready to connect. Throws the resolver's ClaudeEnvError
 * (naming the reference, never a value) when a secret cannot be resolved.
 */
export async function resolveServer(def: ServerDefinition, opts: ResolveOptions): Promise<ServerSpec> {
  const secrets: Array<[string, string]> = [];
  const where = def.origin ? { file: def.origin.file, line: def.origin.line, column: def.origin.column } : undefined;
  // A secret is named by where it is set itself (a team may set a value of a server the base defines).
  const placeOfValue = (container: object | undefined, key: string | number): typeof where => {
    const o = container ? originAt(container, key) : undefined;
    return o ? { file: o.file, line: o.line, column: o.column } : where;
  };
  const str = async (v: Value | undefined, at = where): Promise<string | undefined> => {
    if (v === undefined) return undefined;
    if (v instanceof SecretValue) {
      const value = await opts.resolveSecret(v, at);
      if (value !== '') secrets.push([value, v.describe()]);
      return value;
    }
    if (typeof v === 'string') return expandVariables(v, opts.env);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ClaudeEnvError('mcp-entry', `server "${def.name}": expected a string, got ${Array.isArray(v) ? 'a list' : 'a map'}`, where ?? {});
  };
  const strMap = async (v: Value | undefined): Promise<Record<string, string> | undefined> => {
    if (!isMap(v)) return undefined;
    const out: Record<string, string> = {};
    for (const k of Object.keys(v)) out[k] = (await str(v[k], placeOfValue(v, k)))!;
    return out;
  };
  const e = def.entry;
  const own = typeof e['timeout'] === 'number' && e['timeout'] > 0 ? e['timeout'] : undefined;
  const base = { name: def.name, transport: def.transport, timeoutMs: opts.timeoutMs ?? own ?? opts.defaultTimeoutMs };
  if (def.transport === 'stdio') {
    const list = e['args'];
    const args = Array.isArray(list) ? await Promise.all(list.map((a, i) => str(a, placeOfValue(list, i)).then((s) => s ?? ''))) : [];
    const env = await strMap(e['env']);
    return { ...base, command: (await str(e['command'], placeOfValue(e, 'command'))) ?? '', args, ...(env ? { env } : {}), secrets };
  }
  const headers = await strMap(e['headers']);
  return { ...base, url: (await str(e['url'], placeOfValue(e, 'url'))) ?? '', ...(headers ? { headers } : {}), secrets };
}
