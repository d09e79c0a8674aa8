/**
 * `mcp check`: connect to each server with the official MCP SDK client over
 * its transport (stdio, streamable HTTP, SSE, WebSocket), `initialize`, list its tools
 * (and prompts and resources when its capabilities say it has them), time
 * each step, and close. Servers are checked concurrently with a bound, each
 * within its own time limit; a stdio server's process group is always ended.
 *
 * This module loads the SDK: import it only from commands that check
 * (`mcp check`, `validate --online`, `drift --online`).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../version.js';
import { hideTokens } from '../drift/tokens.js';
import { redact } from './redact.js';
import type { McpTransportKind, ServerSpec } from './servers.js';
import { GroupStdioTransport, SpawnError } from './stdio.js';

export type CheckStep = 'connect' | 'initialize' | 'list';

/** One server's result; the SPEC `mcp check --json` fields first, then the details. */
export interface ServerCheck {
  name: string;
  up: boolean;
  transport: McpTransportKind;
  /** connect + initialize + list, in ms (1 decimal); null when the server is down. */
  latency_ms: number | null;
  /** Number of tools listed; null when the server is down. */
  tools: number | null;
  error: string | null;
  protocol_version: string | null;
  server: { name: string; version: string } | null;
  /** Each step that finished, in ms. For streamable HTTP the first request (initialize) opens the connection. */
  latency: Partial<Record<`${CheckStep}_ms`, number>>;
  tool_names: string[];
  /** Counts, when the server's capabilities include them. */
  prompts: number | null;
  resources: number | null;
  /** The step that failed, when one did. */
  failed_step: CheckStep | null;
}

export interface CheckEnv {
  /** The environment a stdio server starts with (the entry's `env` on top), as Claude Code gives it its own. */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

class Timeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const MAX_PAGES = 100;
const CLOSE_MS = 1000;

/** Check one server. Never rejects: a failure is a result with `up: false` and a clear, redacted error. */
export async function checkServer(spec: ServerSpec, where: CheckEnv): Promise<ServerCheck> {
  const result: ServerCheck = {
    name: spec.name,
    up: false,
    transport: spec.transport,
    latency_ms: null,
    tools: null,
    error: null,
    protocol_version: null,
    server: null,
    latency: {},
    tool_names: [],
    prompts: null,
    resources: null,
    failed_step: null,
  };
  let step: CheckStep = 'connect';
  let transport: Transport | undefined;
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(spec.timeoutMs)), spec.timeoutMs);
  });
  deadline.catch(() => {});
  const timed = async <T>(s: CheckStep, work: () => Promise<T>): Promise<T> => {
    step = s;
    const t = performance.now();
    const value = await Promise.race([work(), deadline]);
    result.latency[`${s}_ms`] = round(performance.now() - t);
    return value;
  };
  try {
    transport = makeTransport(spec, where);
    let protocol: string | undefined;
    const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
    transport.setProtocolVersion = (v: string) => {
      protocol = v;
      setProtocolVersion?.(v);
    };
    const t = transport;
    await timed('connect', () => t.start());
    t.start = async () => {}; // started: Client.connect would start it again
    client = new Client({ name: 'claude-env', version: VERSION }, { capabilities: {} });
    const c = client;
    await timed('initialize', () => c.connect(t, { timeout: spec.timeoutMs }));
    const caps = c.getServerCapabilities() ?? {};
    const info = c.getServerVersion();
    // What the server says of itself is shown too: a server may echo its token anywhere.
    const shown = (text: string): string => redact(text, spec.secrets);
    result.protocol_version = protocol === undefined ? null : shown(protocol);
    result.server = info ? { name: shown(String(info.name)), version: shown(String(info.version)) } : null;
    const opts = { timeout: spec.timeoutMs };
    const [tools, prompts, resources] = await timed('list', () =>
      Promise.all([
        caps.tools ? paged((cursor) => c.listTools(cursor ? { cursor } : {}, opts), (r) => r.tools.map((x) => x.name)) : Promise.resolve([]),
        caps.prompts ? paged((cursor) => c.listPrompts(cursor ? { cursor } : {}, opts), (r) => r.prompts.map((x) => x.name)) : Promise.resolve(null),
        caps.resources ? paged((cursor) => c.listResources(cursor ? { cursor } : {}, opts), (r) => r.resources.map((x) => x.uri)) : Promise.resolve(null),
      ]),
    );
    result.tool_names = tools.map(shown);
    result.tools = tools.length;
    result.prompts = prompts?.length ?? null;
    result.resources = resources?.length ?? null;
    result.up = true;
    const { connect_ms = 0, initialize_ms = 0, list_ms = 0 } = result.latency;
    result.latency_ms = round(connect_ms + initialize_ms + list_ms);
  } catch (err) {
    result.failed_step = step;
    // A stdio server that died: its exit code and last stderr lines say more than "Connection closed".
    if (transport instanceof GroupStdioTransport && !(err instanceof SpawnError)) await transport.settled(200);
    result.error = redact(describeError(err, spec, step, transport), spec.secrets);
  } finally {
    clearTimeout(timer);
    await closeQuietly(client, transport);
  }
  return result;
}

async function paged<R extends { nextCursor?: string | undefined }>(list: (cursor: string | undefined) => Promise<R>, names: (r: R) => string[]): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await list(cursor);
    out.push(...names(r));
    cursor = r.nextCursor;
    if (!cursor) break;
  }
  return out;
}

function makeTransport(spec: ServerSpec, where: CheckEnv): Transport {
  if (spec.transport === 'stdio') {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(where.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, spec.env ?? {});
    return new GroupStdioTransport({ command: spec.command ?? '', args: spec.args ?? [], env, cwd: where.cwd });
  }
  let url: URL;
  try {
    url = new URL(spec.url ?? '');
  } catch {
    throw new Error(`not a valid URL: ${spec.url === undefined ? '(none)' : hideTokens(spec.url)}`);
  }
  if (spec.transport === 'ws') {
    // The WebSocket API sends no headers of ours: a server that needs them would be reported down for the wrong reason.
    if (spec.headers && Object.keys(spec.headers).length > 0) throw new Error('not checked: claude-env cannot send headers over a WebSocket (Claude Code can)');
    return new WebSocketClientTransport(url);
  }
  const requestInit: RequestInit = spec.headers ? { headers: { ...spec.headers } } : {};
  if (spec.transport === 'sse') {
    return new SSEClientTransport(url, { requestInit, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...spec.headers } }) } });
  }
  return new StreamableHTTPClientTransport(url, { requestInit });
}

async function closeQuietly(client: Client | undefined, transport: Transport | undefined): Promise<void> {
  const bounded = (p: Promise<unknown>): Promise<unknown> => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, CLOSE_MS).unref())]);
  // End the HTTP session the server keeps for us (DELETE), as a well-behaved client does.
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) await bounded(transport.terminateSession());
  if (client) await bounded(client.close());
  // Always, even when the client never got it: a stdio transport's close() ends the process group (bounded by its own
  // grace periods), and it is the same close the client started, so this waits for the group to be gone.
  if (transport) await transport.close().catch(() => {});
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)|HOSTNAME_MISMATCH)/;

/** The errno-like code somewhere in an error's cause chain (fetch wraps the socket error). */
function networkCode(err: unknown): { code: string; message: string } | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_ARG_TYPE') return { code, message: (e as Error).message ?? '' };
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown[] }).errors ?? []));
  }
  return undefined;
}

const short = (text: string, max = 300): string => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
};

/** A clear sentence for what went wrong, in the user's terms. */
export function describeError(err: unknown, spec: ServerSpec, step: CheckStep, transport?: Transport): string {
  if (err instanceof Timeout) return `timeout: no answer within ${err.ms} ms (during ${step})`;
  if (err instanceof SpawnError) {
    if (err.errno === 'ENOENT') return `command not found: ${err.command}`;
    if (err.errno === 'EACCES') return `permission denied: ${err.command} is not executable`;
    return `cannot start ${err.command} (${err.errno})`;
  }
  if (transport instanceof GroupStdioTransport && transport.exit) {
    const { code, signal } = transport.exit;
    const how = code !== null ? `exited with code ${code}` : `was killed by ${signal ?? 'a signal'}`;
    const lines = transport.lastStderrLines();
    return `the server ${how} during ${step}${lines.length > 0 ? `; last stderr: ${lines.join(' | ')}` : ' and wrote nothing to stderr'}`;
  }
  if (err instanceof StreamableHTTPError || err instanceof SseError) {
    const status = err.code;
    const body = err.message.replace(/^(Streamable HTTP error|SSE error): (Error POSTing to endpoint( \(HTTP \d+\))?: )?/, '');
    if (typeof status === 'number' && status > 0) return `HTTP ${status} from ${hideTokens(spec.url ?? '')}${body ? `: ${short(body)}` : ''}`;
    const net = networkCode(err);
    if (net) return networkMessage(net, spec);
    return short(body || err.message);
  }
  const postStatus = err instanceof Error ? /\(HTTP (\d{3})\): ?(.*)$/s.exec(err.message) : null;
  if (postStatus) return `HTTP ${postStatus[1]} from ${hideTokens(spec.url ?? '')}${postStatus[2] ? `: ${short(postStatus[2])}` : ''}`;
  const net = networkCode(err);
  if (net && spec.transport !== 'stdio') return networkMessage(net, spec);
  if (err instanceof McpError) return `the server answered ${step} with error ${err.code}: ${short(err.message.replace(/^MCP error -?\d+: /, ''))}`;
  return short(err instanceof Error ? err.message : String(err));
}

function networkMessage({ code, message }: { code: string; message: string }, spec: ServerSpec): string {
  let where = spec.url ?? '';
  try {
    const u = new URL(where);
    where = u.host;
  } catch {
    /* keep it as written */
  }
  if (code === 'ECONNREFUSED') return `connection refused: nothing listens at ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found: ${where}`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection reset by ${where}`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `connection to ${where} timed out`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `no route to ${where}`;
  if (TLS_CODES.test(code)) {
    // OpenSSL's text is "…:SSL routines:<function>:<reason>:<file>:<line>:"; the reason is the readable part.
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? (message.includes(code) ? '' : message);
    return `TLS error with ${where}: ${code}${reason ? ` (${short(reason, 160)})` : ''}`;
  }
  return `cannot reach ${where}: ${code}${message ? ` (${short(message, 160)})` : ''}`;
}

/** Check every server, at most `concurrency` at a time; results in the order given. */
export async function checkServers(specs: readonly ServerSpec[], where: CheckEnv, concurrency: number): Promise<ServerCheck[]> {
  const results = new Array<ServerCheck>(specs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      results[i] = await checkServer(specs[i]!, where);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, specs.length)) }, worker));
  return results;
}
