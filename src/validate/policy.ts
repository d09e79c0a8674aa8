/**
 * The security policy of a target as data: its merged `security` section
 * (base/security/*.yml + environments/<env>/security.yml) compiled into what
 * the checks need. Used by the validate policy rule (rules/policy.ts) and by
 * drift, which ranks an MCP server off the allowlist as critical; kept apart
 * from the rules so that drift loads nothing else of validate.
 */
import type { DriftPolicy } from '../drift/severity.js';
import { isMap, originAt, type TreeMap, type Value } from '../provenance/tree.js';
import { LAYERS_OF_TRUST_NAME, TRUST_LAYERS, type LayerName, type Origin, type TrustLayer } from '../vocabulary.js';

export interface Listed {
  readonly value: string;
  readonly at: Origin | undefined;
}

export interface AllowEntry {
  readonly field: 'name' | 'command' | 'url';
  readonly match: RegExp;
}

export interface Policy {
  readonly requiredDeny: readonly Listed[];
  readonly forbiddenAllow: ReadonlyMap<string, Listed>;
  readonly forbiddenModes: ReadonlyMap<string, Listed>;
  /** undefined: no allowlist (every server may be configured). */
  readonly allowlist: readonly AllowEntry[] | undefined;
  readonly allowlistAt: Origin | undefined;
  readonly requireHttps: boolean;
  readonly credentials: ReadonlyArray<{ readonly glob: string; readonly match: RegExp }>;
  /** `executables.from`: the layers whose executable content is accepted; undefined: any layer (access check is then the gate). */
  readonly executablesFrom: { readonly layers: ReadonlySet<LayerName>; readonly names: readonly string[]; readonly at: Origin | undefined } | undefined;
}

/** A glob as a regular expression: `**` any text, `*` any text without `/`, `?` one character. */
export function globRegex(glob: string, flags = ''): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      src += '.*';
      i++;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, flags);
}

export function listed(v: Value | undefined): Listed[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i) => (typeof item === 'string' ? [{ value: item, at: originAt(v, i) }] : []));
}

export const sub = (m: Value | undefined, key: string): Value | undefined => (isMap(m) ? m[key] : undefined);

export function compilePolicy(sec: TreeMap): Policy {
  const perms = sub(sec, 'permissions');
  const mcp = sub(sec, 'mcp');
  const env = sub(sec, 'env');
  const byValue = (items: Listed[]): Map<string, Listed> => new Map(items.map((l) => [l.value.trim(), l]));
  const list = sub(mcp, 'allowlist');
  let allowlist: AllowEntry[] | undefined;
  if (Array.isArray(list)) {
    allowlist = [];
    for (const entry of list) {
      if (!isMap(entry)) continue;
      for (const field of ['name', 'command', 'url'] as const) {
        const g = entry[field];
        if (typeof g === 'string') allowlist.push({ field, match: globRegex(g) });
      }
    }
  }
  const mustBeSecret = sub(env, 'credentials_must_be_secret') !== false;
  return {
    requiredDeny: listed(sub(perms, 'required_deny')),
    forbiddenAllow: byValue(listed(sub(perms, 'forbidden_allow'))),
    forbiddenModes: byValue(listed(sub(perms, 'forbidden_modes'))),
    allowlist,
    allowlistAt: isMap(mcp) ? originAt(mcp, 'allowlist') : undefined,
    requireHttps: sub(mcp, 'require_https') === true,
    credentials: mustBeSecret ? listed(sub(env, 'credential_patterns')).map((l) => ({ glob: l.value, match: globRegex(l.value, 'i') })) : [],
    executablesFrom: executablesFrom(sub(sec, 'executables')),
  };
}

/** Whether an allowlist entry admits the server: by name, by URL, or by command (full or its file name). */
export function serverAllowed(allowlist: readonly AllowEntry[], name: string, def: unknown): boolean {
  const command = isMap(def) && typeof def['command'] === 'string' ? def['command'] : undefined;
  const url = isMap(def) && typeof def['url'] === 'string' ? def['url'] : undefined;
  return allowlist.some((e) =>
    e.field === 'name' ? e.match.test(name) : e.field === 'url' ? url !== undefined && e.match.test(url) : command !== undefined && (e.match.test(command) || e.match.test(command.slice(command.lastIndexOf('/') + 1))),
  );
}

/** The part of a target's policy that drift ranks by (src/drift/severity.ts): its MCP allowlist. */
export function driftPolicy(tree: TreeMap): DriftPolicy | undefined {
  const sec = tree['security'];
  if (!isMap(sec)) return undefined;
  const { allowlist } = compilePolicy(sec);
  if (!allowlist) return undefined;
  return { mcpServerAllowed: (name, server) => serverAllowed(allowlist, name, server) };
}

function executablesFrom(v: Value | undefined): Policy['executablesFrom'] {
  const from = sub(v, 'from');
  if (!Array.isArray(from)) return undefined;
  const names = from.filter((n): n is TrustLayer => typeof n === 'string' && (TRUST_LAYERS as readonly string[]).includes(n));
  return { layers: new Set(names.flatMap((n) => LAYERS_OF_TRUST_NAME[n])), names, at: isMap(v) ? originAt(v, 'from') : undefined };
}
