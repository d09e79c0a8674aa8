/**
 * The security policy as data (base/security/*.yml, environments/<env>/security.yml)
 * checked against the merged tree of every target of the repo. The policy of
 * a target is its merged `security` section. A violation is reported once per
 * place in the repo (a base-layer violation shared by 20,000 targets is one
 * finding), saying how many targets it affects and naming one of them.
 *
 * Subtrees that many targets share (frozen parts the merge reuses) are checked
 * once per policy: the result is kept by the identity of the subtree.
 */
import { ClaudeEnvError } from '../../errors.js';
import { mergeTarget } from '../../merge/target.js';
import { isMap, originAt, originsOf, SecretValue, type TreeMap, type Value } from '../../provenance/tree.js';
import { compilePolicy, serverAllowed, sub, type Policy } from '../policy.js';
import type { Finding, Origin, Target } from '../../vocabulary.js';
import type { Rule } from '../rule.js';
import { describeTarget } from './merged.js';
import { HELPER, INERT_SETTINGS, inlineShell, isExecutableOverlay, isLoaderVariable } from '../../render/executable.js';

interface Violation {
  readonly rule: string;
  readonly at: Origin;
  readonly message: string;
}

const where = (o: Origin | undefined): string => (o ? ` (${o.file}:${o.line})` : '');

/** Claude Code's permission rules compare as written; surrounding blanks do not count. */
function checkPermissions(p: Policy, settings: Value | undefined, fallback: Origin | undefined): Violation[] {
  const out: Violation[] = [];
  const perms = sub(settings, 'permissions');
  const deny = sub(perms, 'deny');
  const denied = new Set(Array.isArray(deny) ? deny.filter((d): d is string => typeof d === 'string').map((d) => d.trim()) : []);
  const denyAt = (isMap(perms) && originAt(perms, 'deny')) || (isMap(settings) && originAt(settings, 'permissions')) || undefined;
  for (const r of p.requiredDeny) {
    if (denied.has(r.value.trim())) continue;
    const at = denyAt ?? r.at ?? fallback;
    if (at) out.push({ rule: 'policy-required-deny', at, message: `settings.permissions.deny lacks "${r.value}", which the security policy requires${where(r.at)}` });
  }
  const allow = sub(perms, 'allow');
  if (Array.isArray(allow)) {
    allow.forEach((a, i) => {
      if (typeof a !== 'string') return;
      const forbidden = p.forbiddenAllow.get(a.trim());
      const at = originAt(allow, i);
      if (forbidden && at) out.push({ rule: 'policy-forbidden-allow', at, message: `settings.permissions.allow has "${a}", which the security policy forbids${where(forbidden.at)}` });
    });
  }
  const mode = sub(perms, 'defaultMode');
  const forbiddenMode = typeof mode === 'string' ? p.forbiddenModes.get(mode) : undefined;
  const modeAt = isMap(perms) ? originAt(perms, 'defaultMode') : undefined;
  if (forbiddenMode && modeAt) out.push({ rule: 'policy-forbidden-mode', at: modeAt, message: `permission mode "${String(mode)}" is forbidden by the security policy${where(forbiddenMode.at)}` });
  return out;
}

function checkPersonas(p: Policy, personas: Value | undefined): Violation[] {
  if (!isMap(personas) || p.forbiddenModes.size === 0) return [];
  const out: Violation[] = [];
  for (const [name, def] of Object.entries(personas)) {
    const mode = sub(def, 'permissionMode');
    const forbidden = typeof mode === 'string' ? p.forbiddenModes.get(mode) : undefined;
    const at = isMap(def) ? originAt(def, 'permissionMode') : undefined;
    if (forbidden && at) out.push({ rule: 'policy-forbidden-mode', at, message: `persona "${name}" runs in permission mode "${String(mode)}", which the security policy forbids${where(forbidden.at)}` });
  }
  return out;
}

/** `${NAME}` or `$NAME`: Claude Code expands it from the environment; not a value in the repo. */
const isReference = (v: string): boolean => /^\$(\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(v.trim());

function checkCredentials(p: Policy, map: Value | undefined, what: string, header = false): Violation[] {
  if (!isMap(map) || p.credentials.length === 0) return [];
  const out: Violation[] = [];
  for (const [key, v] of Object.entries(map)) {
    if (v instanceof SecretValue || typeof v !== 'string' || v.trim() === '' || isReference(v)) continue;
    const name = header ? key.replaceAll('-', '_') : key;
    const pattern = p.credentials.find((c) => c.match.test(name));
    const at = originAt(map, key);
    if (pattern && at) out.push({ rule: 'policy-credential-plain', at, message: `${what} "${key}" looks like a credential (pattern ${pattern.glob}) but holds a plain value; make it a !secret reference or an !encrypted value` });
  }
  return out;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function checkServers(p: Policy, servers: Value | undefined): Violation[] {
  if (!isMap(servers)) return [];
  const out: Violation[] = [];
  for (const [name, def] of Object.entries(servers)) {
    if (!isMap(def)) continue;
    out.push(...checkCredentials(p, def['env'], `MCP server "${name}" env`));
    out.push(...checkCredentials(p, def['headers'], `MCP server "${name}" header`, true));
    if (def['enabled'] === false) continue; // not written to any machine
    const command = typeof def['command'] === 'string' ? def['command'] : undefined;
    const url = typeof def['url'] === 'string' ? def['url'] : undefined;
    const defAt = (command !== undefined && originAt(def, 'command')) || (url !== undefined && originAt(def, 'url')) || originAt(servers, name);
    if (p.allowlist && defAt) {
      if (!serverAllowed(p.allowlist, name, def)) out.push({ rule: 'policy-mcp-allowlist', at: defAt, message: `MCP server "${name}" is not on the security policy's MCP allowlist${where(p.allowlistAt)}` });
    }
    if (p.requireHttps && url !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      const at = originAt(def, 'url');
      if (parsed && parsed.protocol !== 'https:' && !LOOPBACK.has(parsed.hostname) && at) {
        out.push({ rule: 'policy-mcp-https', at, message: `MCP server "${name}" is reached over ${parsed.protocol.replace(/:$/, '')}; the security policy requires https for remote servers` });
      }
    }
  }
  return out;
}

/** Every origin inside a value (keys of maps, items of lists), with the value's own origin first. */
function originsIn(v: Value | undefined, at: Origin | undefined, out: Array<Origin | undefined> = []): Array<Origin | undefined> {
  out.push(at);
  if (v === undefined || v === null || typeof v !== 'object' || v instanceof SecretValue) return out;
  if (Array.isArray(v)) v.forEach((item, i) => originsIn(item, originAt(v, i), out));
  else for (const k of Object.keys(v)) originsIn(v[k], originAt(v, k), out);
  return out;
}

/**
 * With `executables.from` in the policy: the executable content of a target
 * (hooks, status line and helper commands, code-loading env variables, MCP
 * stdio command/args/env and headersHelper, persona hooks and inline MCP
 * servers, workflows' inline shell, script overlay files) comes only from
 * the layers it names, judged by where each merged value was set.
 */
function checkExecutables(p: Policy, tree: Partial<TreeMap>, isExecutableFile?: (source: string) => boolean): Violation[] {
  const from = p.executablesFrom;
  if (!from) return [];
  const out: Violation[] = [];
  const seen = new Set<string>();
  const check = (what: string, v: Value | undefined, at: Origin | undefined): void => {
    for (const o of originsIn(v, at)) {
      if (!o || from.layers.has(o.layer)) continue;
      const id = `${o.file}:${o.line}:${o.column}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ rule: 'policy-executable-layer', at: o, message: `${what} is set in the ${o.layer} layer; the security policy accepts executable content only from ${from.names.join(', ') || 'no layer'}${where(from.at)}` });
    }
  };
  const settings = tree['settings'];
  if (isMap(settings)) {
    // What src/render/executable.ts counts as executable (access check): hooks and the switch that silences them, helpers, any
    // setting holding a {command}, plugins, marketplaces and pre-approved project servers; and code-loading env variables.
    for (const k of Object.keys(settings)) {
      const v = settings[k];
      const runs = k === 'hooks' || k === 'disableAllHooks' || HELPER.test(k) || k === 'enabledPlugins' || k === 'extraKnownMarketplaces' || k === 'enabledMcpjsonServers' || k === 'enableAllProjectMcpServers' || (isMap(v) && v['command'] !== undefined);
      if (runs && !INERT_SETTINGS.has(k)) check(`settings.${k}`, v, originAt(settings, k));
    }
    const env = settings['env'];
    if (isMap(env)) for (const k of Object.keys(env)) if (isLoaderVariable(k)) check(`settings.env.${k}`, env[k], originAt(env, k));
  }
  const servers = tree['mcpServers'];
  if (isMap(servers)) {
    for (const [name, def] of Object.entries(servers)) {
      if (!isMap(def) || def['enabled'] === false) continue;
      const stdio = def['type'] === 'stdio' || (def['type'] === undefined && def['url'] === undefined);
      for (const k of stdio ? ['command', 'args', 'env', 'headersHelper', 'type'] : ['headersHelper']) if (def[k] !== undefined) check(`MCP server "${name}" ${k}`, def[k], originAt(def, k));
    }
  }
  const personas = tree['personas'];
  if (isMap(personas)) {
    for (const [name, def] of Object.entries(personas)) {
      if (!isMap(def)) continue;
      for (const k of ['hooks', 'mcpServers']) if (def[k] !== undefined) check(`persona "${name}" ${k}`, def[k], originAt(def, k));
    }
  }
  const workflows = tree['workflows'];
  if (isMap(workflows)) {
    const shell = (v: Value | undefined, at: Origin | undefined, name: string): void => {
      if (typeof v === 'string') {
        if (inlineShell(v).length > 0) check(`workflow "${name}" inline shell`, v, at);
      } else if (Array.isArray(v)) v.forEach((item, i) => shell(item, originAt(v, i), name));
      else if (isMap(v)) for (const k of Object.keys(v)) shell(v[k], originAt(v, k), name);
    };
    for (const [name, def] of Object.entries(workflows)) shell(def, originAt(workflows, name), name);
  }
  const files = tree['files'];
  if (isMap(files)) {
    for (const [target, source] of Object.entries(files)) {
      if (isExecutableOverlay(target, typeof source === 'string' && isExecutableFile?.(source) ? 0o755 : 0o644)) check(`files/${target}`, source, originAt(files, target));
    }
  }
  return out;
}

const EXECUTABLE_SECTIONS = ['settings', 'mcpServers', 'personas', 'workflows', 'files'] as const;

/** Results kept by policy and by the identity of the subtree checked. */
class Memo {
  private readonly byPolicy = new WeakMap<object, Map<string, WeakMap<object, Violation[]>>>();
  private static readonly NONE = Object.freeze({});
  get(policy: object, part: string, subtree: Value | undefined, check: () => Violation[]): Violation[] {
    let parts = this.byPolicy.get(policy);
    if (!parts) this.byPolicy.set(policy, (parts = new Map()));
    let memo = parts.get(part);
    if (!memo) parts.set(part, (memo = new WeakMap()));
    const key = typeof subtree === 'object' && subtree !== null ? subtree : Memo.NONE;
    let hit = memo.get(key);
    if (!hit) memo.set(key, (hit = check()));
    return hit;
  }
}

/** The security policy's violations in a merged tree (none when it has no `security`); `policies` and `memo` share work across targets. */
function treeViolations(tree: TreeMap, policies: WeakMap<object, Policy> = new WeakMap(), memo: Memo = new Memo(), isExecutableFile?: (source: string) => boolean): Violation[] {
  const sec = tree['security'];
  if (!isMap(sec)) return [];
  let policy = policies.get(sec);
  if (!policy) policies.set(sec, (policy = compilePolicy(sec)));
  const p = policy;
  const settings = tree['settings'];
  const fallback = originsOf(sec)?.self;
  return [
    ...memo.get(sec, 'permissions', sub(settings, 'permissions'), () => checkPermissions(p, settings, fallback)),
    ...memo.get(sec, 'env', sub(settings, 'env'), () => checkCredentials(p, sub(settings, 'env'), 'settings.env')),
    ...memo.get(sec, 'mcpServers', tree['mcpServers'], () => checkServers(p, tree['mcpServers'])),
    ...memo.get(sec, 'personas', tree['personas'], () => checkPersonas(p, tree['personas'])),
    // One section at a time, so that a section many targets share is checked once.
    ...(p.executablesFrom ? EXECUTABLE_SECTIONS.flatMap((k) => memo.get(sec, `executables-${k}`, tree[k], () => checkExecutables(p, { [k]: tree[k]! }, isExecutableFile))) : []),
  ];
}

/** The security policy's violations in one target's merged tree, as findings (what apply refuses). */
export function policyFindings(tree: TreeMap, isExecutableFile?: (source: string) => boolean): Finding[] {
  return treeViolations(tree, undefined, undefined, isExecutableFile).map((v) => ({ rule: v.rule, severity: 'error', file: v.at.file, line: v.at.line, column: v.at.column, message: v.message }));
}

export const policyRule: Rule = {
  findings: {
    'policy-required-deny': 'a permissions.deny rule that the security policy requires is missing from a target',
    'policy-forbidden-allow': 'a permissions.allow rule that the security policy forbids',
    'policy-forbidden-mode': 'a permission mode (defaultMode, a persona permissionMode) that the security policy forbids',
    'policy-mcp-allowlist': 'an MCP server that is not on the security policy allowlist',
    'policy-mcp-https': 'a remote MCP server reached over plain http although the security policy requires https',
    'policy-credential-plain': 'an env variable or MCP header that looks like a credential but holds a plain value',
    'policy-executable-layer': 'executable content (a hook, a helper command, an MCP stdio command, a script) set in a layer the security policy does not accept it from (executables.from)',
  },
  description: 'the security policy (base/security, environments/<env>/security.yml) against the merged tree of every target',
  check(ctx) {
    const cache = ctx.mergeCache;
    const policies = new WeakMap<object, Policy>();
    const memo = new Memo();
    const isExecutableFile = (source: string): boolean => (ctx.repo.source.mode(source) & 0o111) !== 0;
    const found = new Map<string, { v: Violation; first: Target; targets: number }>();
    for (const target of ctx.repo.targets()) {
      let tree: TreeMap;
      try {
        tree = mergeTarget(ctx.repo, target, { cache }).tree;
      } catch (err) {
        if (err instanceof ClaudeEnvError) continue; // documents with errors: reported by the document rules
        throw err;
      }
      const violations = treeViolations(tree, policies, memo, isExecutableFile);
      for (const v of violations) {
        const key = `${v.at.file}:${v.at.line}:${v.at.column}\0${v.rule}\0${v.message}`;
        const seen = found.get(key);
        if (seen) seen.targets++;
        else found.set(key, { v, first: target, targets: 1 });
      }
    }
    for (const { v, first, targets } of found.values()) {
      const which = targets === 1 ? `target ${describeTarget(first)}` : `${targets} targets, e.g. ${describeTarget(first)}`;
      ctx.report({ rule: v.rule, severity: 'error', file: v.at.file, line: v.at.line, column: v.at.column, message: `${v.message} (${which})` });
    }
  },
};
