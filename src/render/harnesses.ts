/**
 * Other coding agents beside Claude Code (claude-env.yml `harnesses`, per
 * environment): the merged MCP servers and instructions rendered into each
 * agent's own files, as data (docs/harnesses.md has what each agent reads,
 * checked by running them):
 * - codex: `~/.codex/config.toml` `[mcp_servers.<name>]` and `~/.codex/AGENTS.md`;
 * - gemini-cli: `~/.gemini/settings.json` `mcpServers` and `~/.gemini/GEMINI.md`;
 * - copilot-cli: `~/.copilot/mcp-config.json` `mcpServers` and `~/.copilot/copilot-instructions.md`;
 * - cursor: `~/.cursor/mcp.json` `mcpServers` (its user rules live in its app settings, not in a file).
 * An MCP file is an `agent-mcp` output: its content is `{ "mcpServers": … }`
 * as JSON in the agent's own shape, and apply writes only those entries into
 * the agent's file, in its format, keeping everything else (agent-files.ts
 * `mergeAgentMcp`). The instructions are a managed block, as in CLAUDE.md.
 *
 * Nothing is guessed: what an agent cannot express (a transport it lacks,
 * an env reference it does not expand, a key it has no meaning for, a
 * section that is Claude Code's own) is a note, and a server that would not
 * work as the repo means it is left out of that agent's file.
 */
import { isMap, SecretValue, type TreeMap, type Value } from '../provenance/tree.js';
import type { Repo, RepoSettings } from '../repo/repo.js';
import { mergeTarget, type MergeOptions } from '../merge/target.js';
import { mcpEntries, renderClaudeMd, type Output } from './outputs.js';
import { isJsonObject } from './shared-files.js';
import { HARNESSES, type Harness, type Target } from '../vocabulary.js';

type OtherHarness = Exclude<Harness, 'claude-code'>;

/** What an agent cannot take of the merged tree: where (tree segments) and why. */
export interface HarnessNote {
  readonly harness: OtherHarness;
  readonly segments: readonly string[];
  readonly message: string;
}

/**
 * The harnesses of an environment: claude-env.yml `harnesses`, a list for
 * every environment or a map from environment to list. Claude Code's files
 * are always rendered; the others only where named.
 */
export function harnessesOf(settings: RepoSettings, env: string): OtherHarness[] {
  const raw = settings.raw['harnesses'];
  const list = Array.isArray(raw) ? raw : isJsonObject(raw) && Array.isArray(raw[env]) ? (raw[env] as unknown[]) : [];
  return HARNESSES.filter((h): h is OtherHarness => h !== 'claude-code' && list.includes(h));
}


/** The agent-mcp file of each harness (home-relative), and its format. */
export const AGENT_MCP_FILES: Readonly<Record<OtherHarness, string>> = {
  codex: '.codex/config.toml',
  'gemini-cli': '.gemini/settings.json',
  'copilot-cli': '.copilot/mcp-config.json',
  cursor: '.cursor/mcp.json',
};
const INSTRUCTION_FILES: Readonly<Record<OtherHarness, string | undefined>> = {
  codex: '.codex/AGENTS.md',
  'gemini-cli': '.gemini/GEMINI.md',
  'copilot-cli': '.copilot/copilot-instructions.md',
  cursor: undefined,
};

/** The agent whose file a home-relative path is, if it is another agent's. */
export function harnessOfFile(path: string): OtherHarness | undefined {
  return (Object.keys(AGENT_MCP_FILES) as OtherHarness[]).find((h) => AGENT_MCP_FILES[h] === path || INSTRUCTION_FILES[h] === path);
}

/** Whether a home-relative path is another agent's MCP file. */
export const isAgentMcpFile = (path: string): boolean => Object.values(AGENT_MCP_FILES).includes(path);

/** How an agent's MCP file is written: Codex's TOML (`mcp_servers`), or JSON that may hold comments (`mcpServers`). */
export type AgentMcpFormat = 'codex-toml' | 'jsonc';
export const agentMcpFormat = (path: string): AgentMcpFormat => (path.endsWith('.toml') ? 'codex-toml' : 'jsonc');

type Entry = Record<string, unknown>;
/** One server for one agent: its entry, or why it is left out; and the keys it drops. */
interface Translated {
  readonly entry?: Entry;
  readonly skip?: string;
  readonly dropped: Array<{ key: string; why: string }>;
}

/** `${NAME}` and `${NAME:-default}`: Claude Code's env references (in command, args, env, url, headers). */
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;
const refsIn = (v: unknown): Array<{ name: string; fallback: boolean; whole: boolean }> => {
  if (typeof v !== 'string') return [];
  return [...v.matchAll(REF)].map((m) => ({ name: m[1]!, fallback: m[2] !== undefined, whole: m[0] === v }));
};
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : isJsonObject(v) && !(v instanceof SecretValue) ? Object.values(v).flatMap(strings) : []);

const transportOf = (e: Entry): 'stdio' | 'http' | 'sse' | undefined => {
  const t = e['type'];
  if (t === 'stdio' || t === 'http' || t === 'sse') return t;
  return t === undefined && e['command'] !== undefined ? 'stdio' : undefined;
};

const STDIO_KEYS = new Set(['type', 'command', 'args', 'env']);
const REMOTE_KEYS = new Set(['type', 'url', 'headers']);

/** Keys beyond the transport's own: each agent says what it does with them. */
function otherKeys(e: Entry, transport: 'stdio' | 'http' | 'sse'): string[] {
  const own = transport === 'stdio' ? STDIO_KEYS : REMOTE_KEYS;
  return Object.keys(e).filter((k) => !own.has(k));
}

/**
 * Codex: stdio and streamable HTTP only; no `${…}` expansion anywhere (the
 * text would reach the server as it is). `${NAME}` as a whole env value of
 * the same name becomes `env_vars` (passed from Codex's own environment); as
 * a whole header value `env_http_headers`; `Bearer ${NAME}` as the
 * Authorization header `bearer_token_env_var`. Anything else with a
 * reference leaves the server out.
 */
function forCodex(e: Entry, transport: 'stdio' | 'http' | 'sse'): Translated {
  const dropped: Translated['dropped'] = [];
  if (transport === 'sse') return { skip: 'Codex has no SSE transport (stdio and streamable HTTP only)', dropped };
  const out: Entry = {};
  const literal = (key: string, v: unknown): string | undefined => (refsIn(v).length === 0 && !strings(v).some((s) => s.includes('${')) ? undefined : `${key} uses \${…}, which Codex does not expand`);
  if (transport === 'stdio') {
    for (const key of ['command', 'args']) {
      if (e[key] === undefined) continue;
      const why = literal(key, e[key]);
      if (why) return { skip: why, dropped };
      out[key] = e[key];
    }
    if (isJsonObject(e['env'])) {
      const env: Entry = {};
      const vars: string[] = [];
      for (const [k, v] of Object.entries(e['env'])) {
        const refs = refsIn(v);
        if (refs.length === 1 && refs[0]!.whole && refs[0]!.name === k && !refs[0]!.fallback) vars.push(k);
        else if (refs.length > 0 || strings(v).some((s) => s.includes('${'))) return { skip: `env.${k} uses \${…} in a way Codex cannot pass (only a variable of the same name, as the whole value)`, dropped };
        else env[k] = v;
      }
      if (Object.keys(env).length > 0) out['env'] = env;
      if (vars.length > 0) out['env_vars'] = vars;
    }
    if (e['cwd'] !== undefined) out['cwd'] = e['cwd'];
  } else {
    const why = literal('url', e['url']);
    if (why) return { skip: why, dropped };
    out['url'] = e['url'];
    if (isJsonObject(e['headers'])) {
      const plain: Entry = {};
      const fromEnv: Entry = {};
      for (const [h, v] of Object.entries(e['headers'])) {
        const refs = refsIn(v);
        const bearer = typeof v === 'string' ? /^Bearer \$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v) : null;
        if (bearer && h.toLowerCase() === 'authorization' && out['bearer_token_env_var'] === undefined) out['bearer_token_env_var'] = bearer[1];
        else if (refs.length === 1 && refs[0]!.whole && !refs[0]!.fallback) fromEnv[h] = refs[0]!.name;
        else if (refs.length > 0 || strings(v).some((s) => s.includes('${'))) return { skip: `headers.${h} uses \${…} inside other text, which Codex does not expand`, dropped };
        else plain[h] = v;
      }
      if (Object.keys(plain).length > 0) out['http_headers'] = plain;
      if (Object.keys(fromEnv).length > 0) out['env_http_headers'] = fromEnv;
    }
  }
  for (const k of otherKeys(e, transport)) if (!(k === 'cwd' && transport === 'stdio')) dropped.push({ key: k, why: 'Codex has no such key' });
  return { entry: out, dropped };
}

/** `$NAME` without braces: Claude Code passes it as it is, Gemini CLI and Copilot CLI put the variable in its place. */
const bareRef = (e: Entry): string | undefined => Object.keys(e).find((k) => strings(e[k]).some((s) => /\$[A-Za-z_]/.test(s)));

/** Gemini CLI: stdio, http and sse; `$VAR`, `${VAR}` and `${VAR:-default}` expanded in every string; `timeout` (ms) and `description` are its own keys too. */
function forGemini(e: Entry, transport: 'stdio' | 'http' | 'sse'): Translated {
  const dropped: Translated['dropped'] = [];
  if (bareRef(e) !== undefined) return { skip: `${bareRef(e)} holds a $NAME, which Gemini CLI would replace and Claude Code passes as it is`, dropped };
  const out: Entry = {};
  if (transport === 'stdio') {
    for (const k of ['command', 'args', 'env']) if (e[k] !== undefined) out[k] = e[k];
  } else {
    out['url'] = e['url'];
    out['type'] = transport;
    if (e['headers'] !== undefined) out['headers'] = e['headers'];
  }
  for (const k of otherKeys(e, transport)) {
    if (k === 'timeout' || k === 'description' || k === 'cwd') out[k] = e[k];
    else dropped.push({ key: k, why: 'Gemini CLI has no such key' });
  }
  return { entry: out, dropped };
}

/** Copilot CLI: `local` (stdio), http and sse, every tool (`tools: ["*"]`, what `copilot mcp add` writes); `${VAR}` and `$VAR` expanded, no defaults. */
function forCopilot(e: Entry, transport: 'stdio' | 'http' | 'sse'): Translated {
  const dropped: Translated['dropped'] = [];
  if (strings(e).some((s) => refsIn(s).some((r) => r.fallback))) return { skip: 'it uses ${NAME:-default}, which Copilot CLI does not expand', dropped };
  if (bareRef(e) !== undefined) return { skip: `${bareRef(e)} holds a $NAME, which Copilot CLI would replace and Claude Code passes as it is`, dropped };
  const out: Entry = { type: transport === 'stdio' ? 'local' : transport };
  if (transport === 'stdio') {
    for (const k of ['command', 'args', 'env']) if (e[k] !== undefined) out[k] = e[k];
  } else {
    out['url'] = e['url'];
    if (e['headers'] !== undefined) out['headers'] = e['headers'];
  }
  out['tools'] = ['*'];
  for (const k of otherKeys(e, transport)) {
    if (k === 'timeout' || k === 'cwd') out[k] = e[k];
    else dropped.push({ key: k, why: 'Copilot CLI has no such key' });
  }
  return { entry: out, dropped };
}

/** Cursor: stdio, streamable HTTP (a `url`) and sse; its references are `${env:NAME}`, with no defaults. */
function forCursor(e: Entry, transport: 'stdio' | 'http' | 'sse'): Translated {
  const dropped: Translated['dropped'] = [];
  if (strings(e).some((s) => refsIn(s).some((r) => r.fallback))) return { skip: 'it uses ${NAME:-default}, which Cursor does not expand', dropped };
  const swap = (v: unknown): unknown =>
    typeof v === 'string' ? v.replace(REF, (_m, name: string) => `\${env:${name}}`) : Array.isArray(v) ? v.map(swap) : isJsonObject(v) && !(v instanceof SecretValue) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v;
  const out: Entry = {};
  if (transport === 'stdio') {
    for (const k of ['command', 'args', 'env']) if (e[k] !== undefined) out[k] = swap(e[k]);
  } else {
    if (transport === 'sse') out['type'] = 'sse';
    out['url'] = swap(e['url']);
    if (e['headers'] !== undefined) out['headers'] = swap(e['headers']);
  }
  for (const k of otherKeys(e, transport)) {
    if (k === 'cwd') out[k] = swap(e[k]);
    else dropped.push({ key: k, why: 'Cursor has no such key' });
  }
  return { entry: out, dropped };
}

const TRANSLATE: Readonly<Record<OtherHarness, (e: Entry, t: 'stdio' | 'http' | 'sse') => Translated>> = {
  codex: forCodex,
  'gemini-cli': forGemini,
  'copilot-cli': forCopilot,
  cursor: forCursor,
};

const NAMES: Readonly<Record<OtherHarness, string>> = { codex: 'Codex', 'gemini-cli': 'Gemini CLI', 'copilot-cli': 'Copilot CLI', cursor: 'Cursor' };

/** Sections that are Claude Code's own: no other agent reads them. */
const CLAUDE_ONLY: readonly string[] = ['settings', 'personas', 'workflows', 'files'];

const nonEmpty = (v: Value | undefined): boolean => (isMap(v) ? Object.keys(v).length > 0 : Array.isArray(v) ? v.length > 0 : v !== undefined);

/** One harness's outputs for a merged tree, and what of the tree it cannot take. */
export function renderHarness(harness: OtherHarness, tree: TreeMap): { outputs: Output[]; notes: HarnessNote[] } {
  const notes: HarnessNote[] = [];
  const who = NAMES[harness];
  const servers: Record<string, unknown> = {};
  const all = mcpEntries(tree['mcpServers']);
  for (const name of Object.keys(all)) {
    const e = all[name]!;
    const transport = transportOf(e);
    const t: Translated = transport === undefined ? { skip: `it has no transport Claude Code reads (type stdio with a command, or http or sse with a url)`, dropped: [] } : TRANSLATE[harness](e, transport);
    if (t.skip !== undefined || t.entry === undefined) {
      notes.push({ harness, segments: ['mcpServers', name], message: `not rendered for ${who}: ${t.skip}` });
      continue;
    }
    for (const d of t.dropped) notes.push({ harness, segments: ['mcpServers', name, d.key], message: `is left out of ${who}'s entry: ${d.why}` });
    servers[name] = t.entry;
  }
  const path = AGENT_MCP_FILES[harness];
  const outputs: Output[] = [agentMcpOutput(path, servers)];
  const instructions = INSTRUCTION_FILES[harness];
  if (instructions !== undefined) outputs.push(Object.freeze({ ...renderClaudeMd(tree['instructions']), path: instructions as Output['path'] }));
  else if (nonEmpty(tree['instructions'])) notes.push({ harness, segments: ['instructions'], message: `not rendered for ${who}: its user rules live in its app settings, not in a file` });
  if (harness === 'gemini-cli' && Object.keys(servers).length > 0) {
    notes.push({ harness, segments: [], message: `Gemini CLI loads user-level MCP servers only in folders the user trusts (~/.gemini/trustedFolders.json)` });
  }
  const own = CLAUDE_ONLY.filter((section) => nonEmpty(tree[section]));
  if (own.length > 0) notes.push({ harness, segments: [], message: `${own.join(', ')} not rendered for ${who}: they are Claude Code's own (settings, subagents, slash commands, files under ~/.claude)` });
  return { outputs, notes };
}

function agentMcpOutput(path: string, servers: Record<string, unknown>): Output {
  const content = JSON.stringify({ mcpServers: servers }, null, 2);
  const secret = content.includes('«secret:');
  return Object.freeze({ path: path as Output['path'], kind: 'agent-mcp' as const, content, encoding: 'utf8' as const, mode: secret ? 0o600 : 0o644, secret });
}

/** Every harness output of a merged tree for the harnesses named, and the notes. */
export function renderHarnesses(harnesses: readonly OtherHarness[], tree: TreeMap): { outputs: Output[]; notes: HarnessNote[] } {
  const outputs: Output[] = [];
  const notes: HarnessNote[] = [];
  for (const h of harnesses) {
    const r = renderHarness(h, tree);
    outputs.push(...r.outputs);
    notes.push(...r.notes);
  }
  return { outputs, notes };
}

/**
 * The servers a target's agents do not get (each said as validate says it),
 * for apply to tell the machine's owner: nothing when its environment names
 * no other agent, so only such targets merge for it.
 */
export function serversLeftOut(repo: Repo, target: Target, opts: MergeOptions = {}): string[] {
  const harnesses = harnessesOf(repo.settings, target.env);
  if (harnesses.length === 0) return [];
  const { notes } = renderHarnesses(harnesses, mergeTarget(repo, target, opts).tree);
  return notes.filter((n) => n.segments.length === 2 && n.segments[0] === 'mcpServers').map((n) => `${n.harness}: ${n.segments.join('.')} ${n.message}`);
}
