/**
 * Render: a merged tree → the native files Claude Code reads (CLAUDE-CODE.md),
 * as data. One function per output kind; nothing here writes. Secrets appear
 * as their «secret:…» description; `apply` resolves them when it writes.
 */
import { PACKAGE_YAML, type Yaml } from '../repo/yaml.js';
import type { HomePath } from '../vocabulary.js';
import { isMap, type SecretProvider, type TreeMap, type Value } from '../provenance/tree.js';
import { DerivedKey, type Repo } from '../repo/repo.js';
import { filePlaceOf } from '../repo/layout.js';
import { agentFile, commandFile, overlayFile, shown, unsafePath } from '../paths.js';

/** `agent-mcp`: the MCP servers of another agent's config file (src/render/harnesses.ts), `{mcpServers}` as JSON in that agent's shape. */
export type OutputKind = 'settings-json' | 'claude-json' | 'mcp-json' | 'managed-settings' | 'claude-md' | 'agent' | 'command' | 'file' | 'agent-mcp';

/** Where the project's `.mcp.json` is written: `<project dir>/.mcp.json` (apply, drift and diff with `--project-dir`). */
export const PROJECT_MCP_JSON = '@project/.mcp.json';
/** Where Claude Code's managed settings are written: `<managed dir>/managed-settings.json` (apply with `--managed DIR`). */
export const MANAGED_SETTINGS = '@managed/managed-settings.json';
/**
 * claude-env's own fragment of the managed settings, for a Claude Code that
 * reads `managed-settings.d/*.json` (in name order, over
 * `managed-settings.json`; CLAUDE-CODE.md §2.1): a device-management
 * `managed-settings.json` beside it stays untouched.
 */
export const MANAGED_FRAGMENT = '@managed/managed-settings.d/50-claude-env.json';

export interface Output {
  readonly path: HomePath;
  readonly kind: OutputKind;
  /** File content; for `claude-json` the `{mcpServers}` part only, for `claude-md` the managed block. */
  readonly content: string;
  /** `utf8`, or `base64` for a binary `files/` overlay. */
  readonly encoding: 'utf8' | 'base64';
  readonly mode: number;
  /** The file holds a secret value (written with mode 0600). */
  readonly secret: boolean;
  /** The secrets whose `«secret:…»` descriptions the content holds, and where the repo sets each: what apply resolves. */
  readonly secrets?: readonly SecretUse[];
  /** Set by secret resolution: the content as rendered, with descriptions instead of values (what state hashes). */
  readonly template?: string;
  /** Set by secret resolution: description → keyed hash of the value written (drift tells a changed secret by it). */
  readonly secretHashes?: Readonly<Record<string, string>>;
}

/** One secret an output holds: its description in the content, its reference, and where the repo sets it. */
export interface SecretUse {
  readonly placeholder: string;
  readonly provider: SecretProvider;
  readonly ref: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** Outputs (or anything with a path) in path order. */
export const byPath = (a: { readonly path: string }, b: { readonly path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export const BLOCK_BEGIN = '<!-- claude-env:begin -->';
export const BLOCK_END = '<!-- claude-env:end -->';
const SECRET_MARK = '«secret:';

/**
 * Keys of a repo MCP server that are claude-env's own and never written to
 * `.claude.json`. `description` is written: Claude Code ignores it and keeps
 * it when it rewrites the file (checked with 2.1.332's `claude mcp add`).
 */
const MCP_OWN_KEYS: ReadonlySet<string> = new Set(['enabled', 'expect']);
/** A workflow's own keys: they make the command's body, not its front matter. */
const WORKFLOW_BODY_KEYS: ReadonlySet<string> = new Set(['prompt', 'persona', 'steps']);

function out(path: string, kind: OutputKind, content: string, mode = 0o644): Output {
  const secret = content.includes(SECRET_MARK);
  return Object.freeze({ path: path as HomePath, kind, content, encoding: 'utf8' as const, mode: secret ? 0o600 : mode, secret });
}

export function renderSettings(settings: Value | undefined): Output {
  return out('.claude/settings.json', 'settings-json', `${JSON.stringify(isMap(settings) ? settings : {}, null, 2)}\n`);
}

/**
 * Enabled servers only, every other key as the repo writes it and in its
 * order: an entry without `type` stays without it (Claude Code reads it as
 * stdio), so a user's own entry renders back byte for byte.
 */
export function mcpEntries(servers: Value | undefined): Record<string, Record<string, unknown>> {
  const entries: Record<string, Record<string, unknown>> = {};
  if (!isMap(servers)) return entries;
  for (const name of Object.keys(servers)) {
    const s = servers[name];
    if (!isMap(s) || s['enabled'] === false) continue;
    const entry: Record<string, unknown> = {};
    for (const k of Object.keys(s)) if (!MCP_OWN_KEYS.has(k)) entry[k] = s[k];
    entries[name] = entry;
  }
  return entries;
}

/** `.claude.json`: claude-env owns its `mcpServers` key only; written 2-space, no trailing newline, like Claude Code. */
export function renderClaudeJson(servers: Value | undefined): Output {
  return out('.claude.json', 'claude-json', JSON.stringify({ mcpServers: mcpEntries(servers) }, null, 2), 0o600);
}

/**
 * With a project dir: the servers the project layer names go to the
 * project's `.mcp.json` (shared with the project's repo, written like `claude
 * mcp add -s project`: pretty, no trailing newline), the others stay in
 * `.claude.json`, and user settings pre-approve the project's servers with
 * `enabledMcpjsonServers` (CLAUDE-CODE.md §4.3), so they start without the
 * trust dialog.
 */
export function renderProjectMcp(settings: Value | undefined, servers: Value | undefined, projectServers: readonly string[]): Output[] {
  const all = mcpEntries(servers);
  const user: Record<string, unknown> = {};
  const project: Record<string, unknown> = {};
  for (const name of Object.keys(all)) (projectServers.includes(name) ? project : user)[name] = all[name];
  const base = isMap(settings) ? settings : {};
  const approved = Array.isArray(base['enabledMcpjsonServers']) ? base['enabledMcpjsonServers'].map(String) : [];
  const names = [...approved, ...Object.keys(project).filter((n) => !approved.includes(n))];
  return [
    out('.claude/settings.json', 'settings-json', `${JSON.stringify(names.length > 0 ? { ...base, enabledMcpjsonServers: names } : base, null, 2)}\n`),
    out('.claude.json', 'claude-json', JSON.stringify({ mcpServers: user }, null, 2), 0o600),
    out(PROJECT_MCP_JSON, 'mcp-json', JSON.stringify({ mcpServers: project }, null, 2)),
  ];
}

/**
 * The enforced part of the security policy as Claude Code's managed settings,
 * which no user, project or local file can override (CLAUDE-CODE.md §2.1):
 * `enforce.settings` as the repo writes it, plus what the policy rules imply:
 * the required deny rules, bypassPermissions disabled when the policy forbids
 * it, and the MCP allowlist as `allowedMcpServers`.
 */
export function renderManagedSettings(security: Value | undefined, fragment = false): Output {
  const sec = isMap(security) ? security : {};
  const enforce = isMap(sec['enforce']) && isMap(sec['enforce']['settings']) ? sec['enforce']['settings'] : {};
  const settings = JSON.parse(JSON.stringify(enforce)) as Record<string, unknown>;
  const policy = isMap(sec['permissions']) ? sec['permissions'] : {};
  const permissions = (typeof settings['permissions'] === 'object' && settings['permissions'] !== null ? settings['permissions'] : {}) as Record<string, unknown>;
  const requiredDeny = Array.isArray(policy['required_deny']) ? policy['required_deny'].map(String) : [];
  if (requiredDeny.length > 0) {
    const deny = Array.isArray(permissions['deny']) ? (permissions['deny'] as unknown[]).map(String) : [];
    permissions['deny'] = [...deny, ...requiredDeny.filter((r) => !deny.includes(r))];
  }
  const forbiddenModes = Array.isArray(policy['forbidden_modes']) ? policy['forbidden_modes'].map(String) : [];
  if (forbiddenModes.includes('bypassPermissions')) permissions['disableBypassPermissionsMode'] = 'disable';
  if (Object.keys(permissions).length > 0) settings['permissions'] = permissions;
  const mcp = isMap(sec['mcp']) ? sec['mcp'] : {};
  if (Array.isArray(mcp['allowlist']) && settings['allowedMcpServers'] === undefined) {
    settings['allowedMcpServers'] = mcp['allowlist'].filter(isMap).map((e) =>
      e['name'] !== undefined ? { serverName: String(e['name']) } : e['command'] !== undefined ? { serverCommand: [String(e['command'])] } : { serverUrl: String(e['url']) },
    );
  }
  return out(fragment ? MANAGED_FRAGMENT : MANAGED_SETTINGS, 'managed-settings', `${JSON.stringify(settings, null, 2)}\n`);
}

export function renderClaudeMd(instructions: Value | undefined): Output {
  const paras = Array.isArray(instructions) ? instructions.map((p) => String(p).trim()).filter((p) => p.length > 0) : [];
  return out('.claude/CLAUDE.md', 'claude-md', `${BLOCK_BEGIN}\n${paras.join('\n\n')}${paras.length ? '\n' : ''}${BLOCK_END}\n`);
}

/**
 * A Markdown file with front matter as Claude Code reads it: `---`, the
 * fields in the order given, `---`, then the body byte for byte (its blank
 * lines and final newline are the author's). No fields, no front matter.
 */
function frontMatter(fields: Record<string, unknown>, body: string, yaml: Yaml): string {
  if (Object.keys(fields).length === 0) return body;
  return `---\n${yaml.lib().stringify(JSON.parse(JSON.stringify(fields)), { lineWidth: 0 })}---\n${body}`;
}

/**
 * An agent: its fields in the persona's order (unknown ones too: Claude Code
 * ignores them), `name` first unless the persona sets its own (Claude Code
 * knows an agent by it, §6), and the prompt as the body.
 */
export function renderAgent(name: string, persona: TreeMap, yaml: Yaml = PACKAGE_YAML): Output {
  const fields: Record<string, unknown> = persona['name'] === undefined ? { name } : {};
  for (const k of Object.keys(persona)) if (k !== 'prompt') fields[k] = persona[k];
  return out(agentFile(name), 'agent', frontMatter(fields, String(persona['prompt'] ?? ''), yaml));
}

/**
 * A command: every key of the workflow but its own (`prompt`, `persona`,
 * `steps`) in the workflow's order, unknown ones too. A workflow with only a
 * prompt has it as its body, byte for byte; a persona and steps make a
 * generated body.
 */
export function renderCommand(name: string, workflow: TreeMap, yaml: Yaml = PACKAGE_YAML): Output {
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(workflow)) if (!WORKFLOW_BODY_KEYS.has(k)) fields[k] = workflow[k];
  const steps = Array.isArray(workflow['steps']) ? workflow['steps'].filter(isMap) : [];
  const generated = typeof workflow['persona'] === 'string' || steps.length > 0;
  return out(commandFile(name), 'command', frontMatter(fields, generated ? generatedBody(workflow, steps, Object.keys(fields).length > 0) : String(workflow['prompt'] ?? ''), yaml));
}

/** A command body made of the workflow's persona, prompt and steps, after a blank line when front matter precedes it. */
function generatedBody(workflow: TreeMap, steps: readonly TreeMap[], afterFrontMatter: boolean): string {
  const parts: string[] = [];
  if (typeof workflow['persona'] === 'string') parts.push(`Use the ${workflow['persona']} subagent for this task.`);
  if (workflow['prompt'] !== undefined) parts.push(String(workflow['prompt']).trim());
  if (steps.length > 0) {
    parts.push(
      steps
        .map((s, i) => {
          const who = typeof s['persona'] === 'string' ? ` (use the ${s['persona']} subagent)` : '';
          const text = s['prompt'] !== undefined ? `: ${String(s['prompt']).trim()}` : '';
          return `${i + 1}. **${String(s['name'])}**${who}${text}`;
        })
        .join('\n'),
    );
  }
  return `${afterFrontMatter ? '\n' : ''}${parts.join('\n\n')}\n`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A `files/` overlay file: `source` must be the repo file of a layer's `files/` that goes to `.claude/<target>`, nothing else of the repo or the machine. */
export function renderFile(repo: Repo, target: string, source: string): Output {
  const path = overlayFile(target, source);
  if (filePlaceOf(source)?.target !== target) throw unsafePath('overlay path', target, `comes from ${shown(source)}, which is not a file of a layer's files/ folder`);
  const bytes = repo.readFile(source);
  const mode = repo.source.mode(source) & 0o111 ? 0o755 : 0o644;
  let content: string;
  let encoding: 'utf8' | 'base64' = 'utf8';
  try {
    content = utf8.decode(bytes);
  } catch {
    content = Buffer.from(bytes).toString('base64');
    encoding = 'base64';
  }
  return Object.freeze({ path, kind: 'file' as const, content, encoding, mode, secret: false });
}

/**
 * Merged trees are frozen and share every part a layer did not touch, so an
 * output is a pure function of its section object: compile each one once.
 * Many targets of an org share most sections; rendering all of them then
 * costs little more than rendering the distinct ones. Kept with the repo
 * (weakly, by section: a section no merge holds any more takes its outputs
 * with it), and so are its overlay files (bounded by the repo's files).
 */
interface Compiled {
  readonly sections: WeakMap<object, Map<string, Output>>;
  readonly files: Map<string, Output>;
}
const COMPILED = new DerivedKey<Compiled>('compiled outputs');
/** Names the renderers' output format in the artefact cache: change it with any change to what an agent or command renders to. */
const RENDER_FORMAT = 'render-v2';

function memo(compiled: Compiled, section: Value | undefined, name: string, compile: () => Output): Output {
  if (section === undefined || typeof section !== 'object') return compile();
  let byName = compiled.sections.get(section);
  if (!byName) {
    byName = new Map();
    compiled.sections.set(section, byName);
  }
  let o = byName.get(name);
  if (!o) {
    o = compile();
    byName.set(name, o);
  }
  return o;
}

/** Every output of a merged tree, sorted by path. */
export function renderOutputs(repo: Repo, tree: TreeMap): Output[] {
  const compiled = repo.derived(COMPILED, () => ({ sections: new WeakMap(), files: new Map() }));
  const outputs: Output[] = [
    memo(compiled, tree['settings'], '', () => renderSettings(tree['settings'])),
    memo(compiled, tree['mcpServers'], '', () => renderClaudeJson(tree['mcpServers'])),
    memo(compiled, tree['instructions'], '', () => renderClaudeMd(tree['instructions'])),
  ];
  // Front matter is written with `yaml`; between runs its result is kept in the repo's artefact cache, so a warm one-target command need not load the library.
  const cached = (kind: OutputKind, name: string, section: TreeMap, compile: () => Output): Output => {
    const store = repo.artifactCache;
    if (!store) return compile();
    const key = `${RENDER_FORMAT}\0${kind}\0${name}\0${JSON.stringify(section)}`;
    const hit = store.get(key);
    if (hit !== undefined) {
      try {
        const entry = JSON.parse(hit) as { key: string; path: string; content: string };
        if (entry.key === key) return out(entry.path, kind, entry.content);
      } catch {
        /* a damaged entry is a miss */
      }
    }
    const o = compile();
    store.set(key, JSON.stringify({ key, path: o.path, content: o.content }));
    return o;
  };
  const personas = tree['personas'];
  if (isMap(personas)) {
    for (const name of Object.keys(personas)) {
      const p = personas[name];
      if (isMap(p)) outputs.push(memo(compiled, p, name, () => cached('agent', name, p, () => renderAgent(name, p, repo.yaml))));
    }
  }
  const workflows = tree['workflows'];
  if (isMap(workflows)) {
    for (const name of Object.keys(workflows)) {
      const w = workflows[name];
      if (isMap(w)) outputs.push(memo(compiled, w, name, () => cached('command', name, w, () => renderCommand(name, w, repo.yaml))));
    }
  }
  const files = tree['files'];
  if (isMap(files)) {
    for (const target of Object.keys(files)) {
      const source = String(files[target]);
      const id = `${target}\0${source}`;
      let o = compiled.files.get(id);
      if (!o) {
        o = renderFile(repo, target, source);
        compiled.files.set(id, o);
      }
      outputs.push(o);
    }
  }
  return outputs.sort(byPath);
}

/** `render --outputs --json`: `{ "<path relative to home>": "<content>" }`, each as `text` gives it (agent-files.ts `fileText`: as a file of its own). */
export function outputsAsRecord(outputs: readonly Output[], text: (o: Output) => string = (o) => o.content): Record<string, string> {
  const rec: Record<string, string> = {};
  for (const o of outputs) rec[o.path] = text(o);
  return rec;
}
