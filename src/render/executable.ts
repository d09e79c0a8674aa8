/**
 * Executable content: what in a target's desired state makes the developer's
 * machine run something (SPEC.md "Executable content and the trust
 * boundary"). Read from the rendered outputs — what apply writes and Claude
 * Code reads — so a change is judged by what it does to the merged result,
 * never by the file it was made in:
 *
 * - settings (`.claude/settings.json`): every hook (and `disableAllHooks`,
 *   which silences the org's guard hooks), `statusLine`, `subagentStatusLine`
 *   and any other `{command}` object, every `*Helper` and credential
 *   export/refresh command, the environment variables that make programs
 *   load code (`NODE_OPTIONS`, `LD_PRELOAD`, `BASH_ENV`, `PATH`, …; Claude
 *   Code passes `env` to every hook, tool and MCP server), plugins and
 *   marketplaces, and the pre-approval of project `.mcp.json` servers;
 * - MCP servers (`.claude.json`): a stdio server's `command`, `args` and each
 *   `env` variable (a server that switches to stdio or is enabled gains them),
 *   and `headersHelper`;
 * - personas (`.claude/agents/*.md`): front-matter `hooks` and `mcpServers`
 *   defined inline with a command;
 * - workflows (`.claude/commands/*.md`): each inline `` !`cmd` `` (or ```!
 *   block) of the body, which Claude Code runs when the command is used;
 * - `!secret cmd:` values anywhere in a written file (apply runs them): they
 *   show as their `«secret:cmd:<hash>»` description, never a value;
 * - `files/` overlays: a file written executable, or one Claude Code or a
 *   hook runs or reads as code (under hooks/, skills/, commands/, agents/,
 *   plugins/, bin/ or scripts/, a script by its extension, a settings file).
 *
 * Each item has a stable key in merged-tree terms, a kind, a short
 * description that never holds a secret (outputs hold only descriptions of
 * secrets; `env` values other than code loaders are hidden like drift hides
 * them) and an identity used to compare two revisions. Pure: outputs in,
 * data out.
 */
import { sha256 } from '../provenance/hash.js';
import { PACKAGE_YAML, type Yaml } from '../repo/yaml.js';
import type { Output } from './outputs.js';

export type ExecutableKind =
  | 'hook'
  | 'hooks-switch'
  | 'status-line'
  | 'command'
  | 'helper'
  | 'env-loader'
  | 'plugin'
  | 'mcp-approval'
  | 'mcp-command'
  | 'mcp-args'
  | 'mcp-env'
  | 'secret-cmd'
  | 'inline-shell'
  | 'file';

export interface ExecutableItem {
  /** Where it is, in merged-tree terms: `settings.hooks.SessionStart[0].hooks[0]`, `mcpServers.github.command`, `files:hooks/fmt.sh`. */
  readonly key: string;
  readonly kind: ExecutableKind;
  /** Short, one line, never a secret value. */
  readonly description: string;
  /** What the item is, compared between revisions and never shown (may hold hidden values). */
  readonly identity: string;
}

export interface ExecutableChange {
  readonly key: string;
  readonly kind: ExecutableKind;
  readonly before: string;
  readonly after: string;
}

export interface ExecutableDiff {
  readonly added: readonly ExecutableItem[];
  readonly changed: readonly ExecutableChange[];
  readonly removed: readonly ExecutableItem[];
}

type Seg = string | number;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A key path as text: `settings.env.NODE_OPTIONS`, `[N]` for list items, segments with dots or quotes in double quotes. */
export function formatKey(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += `${out === '' ? '' : '.'}${/^[^."[\]\s]+$/.test(s) ? s : JSON.stringify(s)}`;
  }
  return out;
}

/** The key without list positions: a hook that only moves within its list is the same hook. */
const place = (segs: readonly Seg[]): string => formatKey(segs.map((s) => (typeof s === 'number' ? -1 : s))).replace(/\[-1\]/g, '[]');

const MAX_SHOWN = 120;
/** A value as shown: JSON-quoted (control characters escaped), bidirectional overrides escaped, long text cut in the middle. */
export function shown(v: unknown): string {
  let s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  if (s.length > MAX_SHOWN) s = `${s.slice(0, MAX_SHOWN - 40)}…${s.slice(-39)}`;
  const text = typeof v === 'string' ? JSON.stringify(s) : s;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A rendered `!secret cmd:` value. A look-alike literal counts too: it is either resolved at apply or harmless to review. */
const CMD_SECRET = /«secret:cmd:[^»]*»/g;
const hasCmdSecret = (text: string): boolean => text.includes('«secret:cmd:');
const HIDDEN = '«hidden»';
const SECRET_DESCRIPTION = /^«secret:[^»]*»$/;

/** Environment variables that make a shell, a runtime, git or Claude Code load or run code of the value's choosing. */
const LOADER_NAMES: ReadonlySet<string> = new Set([
  'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'BASH_ENV', 'ENV', 'ZDOTDIR', 'PROMPT_COMMAND', 'SHELL', 'SHELLOPTS', 'PS4',
  'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PYTHONUSERBASE', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB',
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH',
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'SSH_ASKPASS', 'GIT_EDITOR', 'GIT_PAGER', 'GIT_EXTERNAL_DIFF', 'GIT_PROXY_COMMAND', 'GIT_TEMPLATE_DIR',
  'EDITOR', 'VISUAL', 'PAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE',
  'CLAUDE_ENV_FILE', 'CLAUDE_CODE_SHELL', 'CLAUDE_CODE_SHELL_PREFIX', 'CLAUDE_CONFIG_DIR', 'CLAUDE_CODE_PLUGIN_CACHE_DIR',
]);
const LOADER_PATTERN = /^(LD_|DYLD_|GIT_CONFIG|NPM_CONFIG_|YARN_|BUN_CONFIG)/i;
export const isLoaderVariable = (name: string): boolean => LOADER_NAMES.has(name) || LOADER_PATTERN.test(name);

/** Top-level settings whose string value is a command Claude Code runs. */
export const HELPER = /(Helper|^awsAuthRefresh|^awsCredentialExport|^gcpAuthRefresh)$/;

/**
 * Settings that run nothing whatever their value (a `!secret cmd:` in them
 * still counts). Every other key is looked at: one holding an object with a
 * `command` (like `statusLine`, or a setting of a later Claude Code) counts.
 */
export const INERT_SETTINGS: ReadonlySet<string> = new Set([
  '$schema', 'model', 'availableModels', 'fallbackModel', 'effortLevel', 'permissions', 'cleanupPeriodDays', 'includeCoAuthoredBy', 'attribution',
  'companyAnnouncements', 'claudeMdExcludes', 'outputStyle', 'language', 'plansDirectory', 'alwaysThinkingEnabled', 'autoMemoryEnabled',
  'respectGitignore', 'spinnerTipsEnabled', 'verbose', 'theme', 'editorMode', 'autoUpdatesChannel', 'forceLoginMethod', 'skillOverrides',
  'disabledMcpjsonServers', 'deniedMcpServers', 'allowedHttpHookUrls', 'httpHookAllowedEnvVars', 'feedbackSurveyRate',
]);

/** Overlay folders (under `.claude/`) whose files Claude Code or a hook runs or reads as code. */
const CODE_FOLDERS: ReadonlySet<string> = new Set(['hooks', 'skills', 'commands', 'agents', 'plugins', 'bin', 'scripts']);
const SCRIPT_EXT = /\.(sh|bash|zsh|fish|ksh|csh|py|pyw|js|mjs|cjs|ts|mts|cts|rb|pl|pm|php|lua|tcl|ps1|psm1|bat|cmd|exe|com|jar|command|applescript|scpt)$/i;

/** Whether an overlay file at `rel` (relative to `.claude/`) with this mode is executable content. */
export function isExecutableOverlay(rel: string, mode: number): boolean {
  if (mode & 0o111) return true;
  const parts = rel.split('/');
  if (parts.length > 1 && CODE_FOLDERS.has(parts[0]!)) return true;
  if (SCRIPT_EXT.test(rel)) return true;
  return parts.length === 1 && /^settings.*\.json$|^\.mcp\.json$/i.test(rel);
}

class Items {
  readonly list: ExecutableItem[] = [];
  /** `at`: a key path, or a key as it is (`files:hooks/x.sh`). */
  add(kind: ExecutableKind, at: readonly Seg[] | string, description: string, value: unknown): void {
    const key = typeof at === 'string' ? at : formatKey(at);
    this.list.push({ key, kind, description, identity: `${kind}\0${typeof at === 'string' ? at : place(at)}\0${JSON.stringify(value)}` });
  }
  /** Every `«secret:cmd:…»` in the strings of a value. */
  secrets(v: unknown, segs: Seg[]): void {
    if (typeof v === 'string') {
      for (const m of v.match(CMD_SECRET) ?? []) this.add('secret-cmd', segs, `${m} runs at apply`, m);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.secrets(x, [...segs, i]));
    else if (isObj(v)) for (const k of Object.keys(v)) this.secrets(v[k], [...segs, k]);
  }
  /** Every `«secret:cmd:…»` of a text, at one key. */
  textSecrets(text: string, segs: readonly Seg[]): void {
    for (const m of text.match(CMD_SECRET) ?? []) this.add('secret-cmd', segs, `${m} runs at apply`, m);
  }
}

function describeHook(hook: Json): string {
  if (!isObj(hook)) return shown(hook);
  const type = typeof hook['type'] === 'string' ? hook['type'] : 'command';
  const what =
    type === 'command' ? hook['command'] : type === 'http' ? hook['url'] : type === 'prompt' || type === 'agent' ? hook['prompt'] : type === 'mcp_tool' ? `${String(hook['server'])}/${String(hook['tool'])}` : hook;
  const args = Array.isArray(hook['args']) ? ` ${shown(hook['args'])}` : '';
  const rest = Object.keys(hook).filter((k) => !HOOK_SHOWN.has(k));
  const extra = rest.length > 0 ? ` ${shown(Object.fromEntries(rest.map((k) => [k, hook[k]])))}` : '';
  return `${type} ${shown(what)}${args}${extra}`;
}
/** Hook fields a description shows first; the others (timeout, async, if, …) follow as JSON. */
const HOOK_SHOWN: ReadonlySet<string> = new Set(['type', 'command', 'args', 'url', 'prompt', 'server', 'tool']);

/** The hooks of a `hooks` map (settings, agent or skill front matter): one item per hook, with its event and matcher. */
function hooksOf(items: Items, hooks: Json | undefined, at: Seg[]): void {
  if (hooks === undefined) return;
  if (!isObj(hooks)) return items.add('hook', at, `hooks ${shown(hooks)}`, hooks);
  for (const event of Object.keys(hooks)) {
    const groups = hooks[event];
    if (!Array.isArray(groups)) {
      items.add('hook', [...at, event], `${event}: ${shown(groups)}`, groups);
      continue;
    }
    groups.forEach((g, i) => {
      const inner = isObj(g) ? g['hooks'] : undefined;
      if (!isObj(g) || !Array.isArray(inner)) {
        items.add('hook', [...at, event, i], `${event}: ${shown(g)}`, { event, group: g });
        return;
      }
      const matcher = typeof g['matcher'] === 'string' && g['matcher'] !== '' && g['matcher'] !== '*' ? ` [${shown(g['matcher']).slice(1, -1)}]` : '';
      inner.forEach((h, j) => items.add('hook', [...at, event, i, 'hooks', j], `${event}${matcher}: ${describeHook(h)}`, { event, matcher: g['matcher'] ?? null, hook: h }));
    });
  }
}

const envShown = (name: string, value: Json): string =>
  `${name}=${typeof value === 'string' && (SECRET_DESCRIPTION.test(value) || isLoaderVariable(name)) ? shown(value) : HIDDEN}`;

const REMOTE_TYPES: ReadonlySet<unknown> = new Set(['http', 'streamable-http', 'sse', 'ws', 'sse-ide', 'ws-ide', 'sdk', 'claudeai-proxy']);
/** Whether an MCP entry may start a local process: Claude Code reads an entry without `type` or `url` as stdio; an unknown type counts too. */
function isStdio(entry: Record<string, Json>): boolean {
  const type = entry['type'];
  if (type === undefined || type === null) return entry['url'] === undefined;
  return !REMOTE_TYPES.has(type);
}

/** One MCP server entry: stdio `command`, `args`, each `env` variable; `headersHelper` for any type. */
function mcpServer(items: Items, name: string, entry: Json, at: Seg[]): void {
  if (!isObj(entry)) return;
  if (isStdio(entry)) {
    items.add('mcp-command', [...at, 'command'], `${name}: command ${shown(entry['command'] ?? null)}`, entry['command'] ?? null);
    if (entry['args'] !== undefined) items.add('mcp-args', [...at, 'args'], `${name}: args ${shown(entry['args'])}`, entry['args']);
    const env = entry['env'];
    if (isObj(env)) for (const k of Object.keys(env)) items.add('mcp-env', [...at, 'env', k], `${name}: ${envShown(k, env[k]!)}`, env[k]);
    else if (env !== undefined) items.add('mcp-env', [...at, 'env'], `${name}: env ${HIDDEN}`, env);
  }
  if (entry['headersHelper'] !== undefined) items.add('helper', [...at, 'headersHelper'], `${name}: headersHelper ${shown(entry['headersHelper'])}`, entry['headersHelper']);
}

/** Servers of a `mcpServers` value: a map of name → entry, or (agent front matter) a list of names and `{name: entry}` maps. */
function mcpServers(items: Items, servers: Json | undefined, at: Seg[]): void {
  if (isObj(servers)) for (const name of Object.keys(servers)) mcpServer(items, name, servers[name]!, [...at, name]);
  else if (Array.isArray(servers)) {
    servers.forEach((s, i) => {
      if (isObj(s)) for (const name of Object.keys(s)) mcpServer(items, name, s[name]!, [...at, i, name]);
    });
  }
}

/** Objects with a `command` anywhere in a settings value (statusLine-like settings of this release and later ones). */
function commandObjects(items: Items, v: Json | undefined, at: Seg[], kind: ExecutableKind): void {
  if (Array.isArray(v)) v.forEach((x, i) => commandObjects(items, x, [...at, i], kind));
  else if (isObj(v)) {
    if (v['command'] !== undefined) items.add(kind, at, `${formatKey(at.slice(1))}: command ${shown(v['command'])}`, v);
    else for (const k of Object.keys(v)) commandObjects(items, v[k], [...at, k], kind);
  }
}

function settingsItems(items: Items, settings: Record<string, Json>, at: Seg[]): void {
  for (const key of Object.keys(settings)) {
    const v = settings[key]!;
    const here = [...at, key];
    if (key === 'hooks') hooksOf(items, v, here);
    else if (key === 'disableAllHooks' || key === 'allowManagedHooksOnly') items.add('hooks-switch', here, `${key}: ${shown(v)}`, v);
    else if (key === 'statusLine' || key === 'subagentStatusLine') items.add('status-line', here, `${key}: ${isObj(v) && v['command'] !== undefined ? `command ${shown(v['command'])}` : shown(v)}`, isObj(v) ? { type: v['type'] ?? null, command: v['command'] ?? null } : v);
    else if (HELPER.test(key)) items.add('helper', here, `${key}: ${shown(v)}`, v);
    else if (key === 'env' && isObj(v)) {
      for (const name of Object.keys(v)) if (isLoaderVariable(name)) items.add('env-loader', [...here, name], envShown(name, v[name]!), v[name]);
    } else if (key === 'enabledPlugins' && isObj(v)) {
      for (const name of Object.keys(v)) if (v[name] !== false && v[name] !== null) items.add('plugin', [...here, name], `plugin ${shown(name)} enabled`, v[name]);
    } else if (key === 'extraKnownMarketplaces' && isObj(v)) {
      for (const name of Object.keys(v)) items.add('plugin', [...here, name], `marketplace ${shown(name)}: ${shown(v[name])}`, v[name]);
    } else if (key === 'enableAllProjectMcpServers') {
      if (v === true) items.add('mcp-approval', here, 'every project .mcp.json server starts without asking', v);
    } else if (key === 'enabledMcpjsonServers' && Array.isArray(v)) {
      for (const name of v) items.add('mcp-approval', [...here, String(name)], `project .mcp.json server ${shown(name)} starts without asking`, name);
    } else if (!INERT_SETTINGS.has(key)) commandObjects(items, v, here, 'command');
  }
}

/** Front matter (a map) and body of a rendered Markdown file; front matter undefined when there is none or it does not parse. */
export function splitFrontMatter(content: string, yaml: Yaml = PACKAGE_YAML): { front: Record<string, Json> | undefined; body: string; broken: boolean } {
  if (!content.startsWith('---\n')) return { front: undefined, body: content, broken: false };
  const end = content.indexOf('\n---\n', 3);
  if (end < 0) return { front: undefined, body: content, broken: true };
  const text = content.slice(4, end + 1);
  const body = content.slice(end + 5);
  if (text.trim() === '') return { front: {}, body, broken: false };
  try {
    const v = yaml.lib().parse(text, { maxAliasCount: 100 }) as unknown;
    return isObj(v) ? { front: v, body, broken: false } : { front: undefined, body, broken: true };
  } catch {
    return { front: undefined, body, broken: true };
  }
}

/** Inline shell of a command or skill body: `` !`cmd` `` and ```! fenced blocks. */
export function inlineShell(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(/!`([^`]*)`/g)) out.push(m[1]!);
  for (const m of body.matchAll(/^[ \t]*(`{3,}|~{3,})!.*\n([\s\S]*?)^[ \t]*\1/gm)) out.push(m[2]!.trimEnd());
  return out;
}

const MD_PREFIX: Partial<Record<Output['kind'], string>> = { agent: '.claude/agents/', command: '.claude/commands/' };

function markdownItems(items: Items, o: Output, at: Seg[], yaml: Yaml): void {
  const { front, body, broken } = splitFrontMatter(o.content, yaml);
  if (broken) items.add('command', [...at, 'front-matter'], 'front matter that does not parse', sha256(o.content));
  if (front) {
    if (front['hooks'] !== undefined) hooksOf(items, front['hooks'], [...at, 'hooks']);
    if (front['mcpServers'] !== undefined) mcpServers(items, front['mcpServers'], [...at, 'mcpServers']);
    if (hasCmdSecret(o.content)) items.secrets(front, [...at]);
  }
  if (o.kind === 'command') {
    const shell = front && typeof front['shell'] === 'string' ? front['shell'] : 'bash';
    const name = at[1];
    // What the command's tools allow decides whether its inline shell may run: part of what it is.
    const tools = { allowed: front?.['allowed-tools'] ?? null, disallowed: front?.['disallowed-tools'] ?? null };
    inlineShell(body).forEach((cmd, i) => items.add('inline-shell', [...at, 'inline', i], `/${String(name).replace(/\//g, ':')} runs ${shell} ${shown(cmd)}`, { shell, cmd, tools }));
  }
  items.textSecrets(body, [...at, 'body']);
}

function fileItem(items: Items, o: Output): void {
  const rel = o.path.startsWith('.claude/') ? o.path.slice('.claude/'.length) : o.path;
  if (!isExecutableOverlay(rel, o.mode)) return;
  const bytes = o.encoding === 'base64' ? Buffer.from(o.content, 'base64') : Buffer.from(o.content, 'utf8');
  const hash = sha256(bytes);
  const mode = `0${(o.mode & 0o777).toString(8)}`;
  items.add('file', `files:${rel}`, `${rel}: mode ${mode}, ${bytes.length} bytes, sha256 ${hash.slice(0, 12)}`, { mode, hash });
}

/**
 * Reads the executable content of outputs, each output once: outputs are
 * frozen and shared by many targets, so a caller that reads many targets
 * (an access check over a change) keeps one reader for all of them. What it
 * keeps goes with the outputs (held weakly) and with the reader.
 */
export class ExecutableReader {
  private readonly memo = new WeakMap<Output, readonly ExecutableItem[]>();
  constructor(private readonly yaml: Yaml = PACKAGE_YAML) {}

  /** The executable content of one output file. */
  of(o: Output): readonly ExecutableItem[] {
    let hit = this.memo.get(o);
    if (!hit) {
      hit = itemsOf(o, this.yaml);
      this.memo.set(o, hit);
    }
    return hit;
  }

  /** The executable content of a target's desired state (its outputs), sorted by key. */
  content(outputs: readonly Output[]): ExecutableItem[] {
    return outputs.flatMap((o) => this.of(o)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** The executable content of one output file. */
export function executableOfOutput(o: Output, reader: ExecutableReader = new ExecutableReader()): readonly ExecutableItem[] {
  return reader.of(o);
}

function itemsOf(o: Output, yaml: Yaml): readonly ExecutableItem[] {
  const items = new Items();
  switch (o.kind) {
    case 'settings-json':
    case 'managed-settings': {
      const v = parseJson(o.content);
      const at = o.kind === 'settings-json' ? ['settings'] : ['managed-settings'];
      if (v === undefined) items.add('command', at, 'a settings file that does not parse', sha256(o.content));
      else {
        settingsItems(items, v, at);
        if (hasCmdSecret(o.content)) items.secrets(v, at);
      }
      break;
    }
    case 'claude-json':
    case 'mcp-json':
    case 'agent-mcp': {
      const v = parseJson(o.content);
      if (v === undefined) items.add('command', ['mcpServers'], 'an MCP file that does not parse', sha256(o.content));
      else {
        mcpServers(items, v['mcpServers'], ['mcpServers']);
        if (hasCmdSecret(o.content)) items.secrets(v, []);
      }
      break;
    }
    case 'agent':
    case 'command': {
      const prefix = MD_PREFIX[o.kind]!;
      const name = o.path.startsWith(prefix) ? o.path.slice(prefix.length).replace(/\.md$/, '') : o.path;
      markdownItems(items, o, [o.kind === 'agent' ? 'personas' : 'workflows', name], yaml);
      break;
    }
    case 'claude-md':
      items.textSecrets(o.content, ['instructions']);
      break;
    case 'file':
      fileItem(items, o);
      break;
  }
  return Object.freeze(items.list);
}

function parseJson(text: string): Record<string, Json> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The executable content of a target's desired state (its outputs), sorted by key; pass a reader to read many targets. */
export function executableContent(outputs: readonly Output[], reader: ExecutableReader = new ExecutableReader()): ExecutableItem[] {
  return reader.content(outputs);
}

/**
 * What changed between two lists of executable content. Items are paired by
 * identity first (kind, key without list positions, value), so a hook that
 * only moved within its list, or a reordering, is no change; what is left is
 * paired by key (changed), else added or removed.
 */
export function diffExecutable(before: readonly ExecutableItem[], after: readonly ExecutableItem[]): ExecutableDiff {
  const pool = new Map<string, ExecutableItem[]>();
  for (const b of before) {
    const list = pool.get(b.identity);
    if (list) list.push(b);
    else pool.set(b.identity, [b]);
  }
  const fresh: ExecutableItem[] = [];
  for (const a of after) {
    const list = pool.get(a.identity);
    if (list && list.length > 0) list.shift();
    else fresh.push(a);
  }
  const gone = new Map<string, ExecutableItem>();
  for (const list of pool.values()) for (const b of list) gone.set(`${b.kind}\0${b.key}`, b);
  const added: ExecutableItem[] = [];
  const changed: ExecutableChange[] = [];
  for (const a of fresh) {
    const k = `${a.kind}\0${a.key}`;
    const b = gone.get(k);
    if (b) {
      gone.delete(k);
      // A value a description hides (an env value) or cuts short still changed: say so.
      changed.push({ key: a.key, kind: a.kind, before: b.description, after: a.description === b.description ? `${a.description} (changed where not shown)` : a.description });
    } else added.push(a);
  }
  const byKey = (x: { key: string }, y: { key: string }): number => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  return { added: added.sort(byKey), changed: changed.sort(byKey), removed: [...gone.values()].sort(byKey) };
}

export const isEmptyDiff = (d: ExecutableDiff): boolean => d.added.length === 0 && d.changed.length === 0 && d.removed.length === 0;
