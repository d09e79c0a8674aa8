/**
 * The smallest layer that renders what a machine has: a found setup (plain
 * JSON) against what the layers below already give the target (the merged
 * tree, plain): only what differs is kept; a list merged `unique` or
 * `append` keeps only its new items; a key the layers below set and the
 * machine has not gets `!delete`; what a layer cannot say (an inherited
 * list item it cannot remove, an order a merge would not keep) is listed.
 * Secret values (secretlint's hits, credential-named variables and auth
 * headers) become `«secret:env:NAME»` here and `!secret env:NAME` in YAML.
 * Pure: no I/O.
 */
import { canonical } from '../merge/merge.js';
import type { StrategyLookup } from '../merge/strategy.js';
import type { Value } from '../provenance/tree.js';
import type { Skipped } from './home.js';

export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** A key the layers below set and this layer removes (`!delete`). */
export const DELETE_MARK = '«delete»';
/** In the base's part: what the layers above give anyway; the base keeps whatever it has there, for the targets they do not reach. */
export const KEEP_MARK = '«keep»';
const SECRET_REF = /^«secret:env:([A-Za-z_][A-Za-z0-9_]*)»$/;

export const secretRef = (name: string): string => `«secret:env:${name}»`;
export const secretNameOf = (v: unknown): string | undefined => (typeof v === 'string' ? SECRET_REF.exec(v)?.[1] : undefined);

export const isObj = (v: unknown): v is Record<string, Plain> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Equal as the merge compares values (canonical form). */
export const same = (a: unknown, b: unknown): boolean => canonical(a as Value) === canonical(b as Value);

/** A place in a setup that may hold a secret: settings.env, a server's env or headers. */
export interface SecretSpot {
  readonly path: readonly string[];
  /** The variable name it would become. */
  readonly name: string;
  readonly value: string;
  /** Credential-like by its name (a header such as Authorization, a variable matching the credential patterns). */
  readonly named: boolean;
}

const envName = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'SECRET';

/** Every value that could be a secret, with the name its reference would get. */
export function secretSpots(tree: { settings?: Plain; mcpServers?: Plain }, credential: (name: string) => boolean): SecretSpot[] {
  const out: SecretSpot[] = [];
  const settingsEnv = isObj(tree.settings) ? tree.settings['env'] : undefined;
  if (isObj(settingsEnv)) for (const [k, v] of Object.entries(settingsEnv)) if (typeof v === 'string') out.push({ path: ['settings', 'env', k], name: k, value: v, named: credential(k) });
  if (isObj(tree.mcpServers)) {
    for (const [server, def] of Object.entries(tree.mcpServers)) {
      if (!isObj(def)) continue;
      if (isObj(def['env'])) for (const [k, v] of Object.entries(def['env'])) if (typeof v === 'string') out.push({ path: ['mcpServers', server, 'env', k], name: k, value: v, named: credential(k) });
      if (isObj(def['headers'])) {
        for (const [k, v] of Object.entries(def['headers'])) {
          if (typeof v === 'string') out.push({ path: ['mcpServers', server, 'headers', k], name: envName(`${server}_${k}`), value: v, named: /^(authorization|proxy-authorization|cookie)$|token|secret|api[-_]?key|password/i.test(k) });
        }
      }
    }
  }
  return out;
}

/**
 * The tree with the secret spots replaced by references. Two spots with one
 * name and different values get the server's name in front; the same value
 * under one name stays one variable.
 */
export function withSecretRefs<T extends Record<string, Plain>>(tree: T, spots: readonly SecretSpot[], inherited: (path: readonly string[]) => string | undefined = () => undefined): { tree: T; secrets: Array<{ name: string; at: string; inherited?: boolean }>; values: Map<string, string> } {
  const copy = JSON.parse(JSON.stringify(tree)) as T;
  const byName = new Map<string, string>();
  const secrets: Array<{ name: string; at: string; inherited?: boolean }> = [];
  /** name → value, for `--encrypt` (kept in memory only). */
  const values = byName;
  for (const s of spots) {
    // Where the layers below already hold a reference, the machine's value is taken to be what it resolved to.
    const below = inherited(s.path);
    if (below !== undefined) {
      let at: Plain = copy as unknown as Plain;
      for (const k of s.path.slice(0, -1)) at = (at as Record<string, Plain>)[k]!;
      (at as Record<string, Plain>)[s.path[s.path.length - 1]!] = secretRef(below);
      if (!secrets.some((x) => x.name === below)) secrets.push({ name: below, at: s.path.join('.'), inherited: true });
      continue;
    }
    let name = s.name;
    const had = byName.get(name);
    if (had !== undefined && had !== s.value) name = envName(`${s.path[1]}_${s.name}`);
    if (!byName.has(name)) {
      byName.set(name, s.value);
      secrets.push({ name, at: s.path.join('.') });
    }
    let at: Plain = copy as unknown as Plain;
    for (const k of s.path.slice(0, -1)) at = (at as Record<string, Plain>)[k]!;
    (at as Record<string, Plain>)[s.path[s.path.length - 1]!] = secretRef(name);
  }
  return { tree: copy, secrets, values };
}

/** Every string of a tree replaced by `swap` where it gives one (a deep copy). */
export function mapStrings<T>(tree: T, swap: (s: string) => string | undefined): T {
  return JSON.parse(JSON.stringify(tree), (_k, v: unknown) => (typeof v === 'string' ? (swap(v) ?? v) : v)) as T;
}

/**
 * Lists Claude Code reads as sets: permission rules (deny, then ask, then
 * allow, whichever matches) and extra directories. Their order is not part
 * of the setup, so an import neither keeps nor proves it.
 */
export const isRuleSet = (path: readonly string[]): boolean =>
  path.length === 3 && path[0] === 'settings' && path[1] === 'permissions' && ['allow', 'ask', 'deny', 'additionalDirectories'].includes(path[2]!);

/**
 * What the layer must hold at `path` so that merging it over `below` gives
 * `want`; undefined when `below` already gives it.
 */
export function minimalOver(want: Plain | undefined, below: Plain | undefined, path: readonly string[], strategy: StrategyLookup, notes: Skipped[], partial = false): Plain | undefined {
  if (want === undefined) return undefined;
  if (below === undefined || below === null) return want;
  if (same(want, below)) return undefined;
  if (isObj(want) && isObj(below)) {
    const out: Record<string, Plain> = {};
    for (const [k, v] of Object.entries(want)) {
      const r = minimalOver(v, below[k], [...path, k], strategy, notes, partial);
      if (r !== undefined) out[k] = r;
    }
    // A partial setup (a project's, merged over the user's by Claude Code) removes nothing it does not name.
    if (!partial) for (const k of Object.keys(below)) if (!(k in want)) out[k] = DELETE_MARK;
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (Array.isArray(want) && Array.isArray(below)) {
    const s = strategy(path);
    if (s.kind !== 'unique' && s.kind !== 'append') return want;
    const kept = below.filter((b) => want.some((w) => same(w, b)));
    if (!partial) for (const b of below) if (!want.some((w) => same(w, b))) notes.push({ path: path.join('.'), reason: `the layers below give ${JSON.stringify(b).slice(0, 80)}, which this machine has not; a ${s.kind} list only grows, so it stays` });
    const added = want.filter((w) => !below.some((b) => same(w, b)));
    const merged = [...below, ...added];
    if (!partial && kept.length === below.length && !same(merged, want) && !isRuleSet(path)) notes.push({ path: path.join('.'), reason: `the merge puts the items of the layers below first; this machine has them in another order` });
    return added.length === 0 ? undefined : added;
  }
  return want;
}

/**
 * The base's part at `path` when every other layer of the target merges over
 * it (`above`, which wins): what the base must hold so that the merge gives
 * `want`. What the layers above set otherwise, the base cannot change:
 * listed. A `unique` list is the machine's whole list (the merge adds the
 * items above that it lacks after it); an `append` list is the machine's
 * without the items above at its end.
 */
export function underneath(want: Plain | undefined, above: Plain | undefined, path: readonly string[], strategy: StrategyLookup, notes: Skipped[]): Plain | undefined {
  const where = path.join('.');
  if (want === undefined) {
    if (above === undefined) return undefined;
    notes.push({ path: where, reason: 'the layers above the base set it, and this machine has not: the base cannot take it away' });
    return KEEP_MARK;
  }
  if (above === undefined || above === null) return want;
  if (isObj(want) && isObj(above)) {
    const out: Record<string, Plain> = {};
    for (const k of new Set([...Object.keys(want), ...Object.keys(above)])) {
      const r = underneath(want[k], above[k], [...path, k], strategy, notes);
      if (r !== undefined) out[k] = r;
    }
    return Object.values(out).every((v) => v === KEEP_MARK) ? KEEP_MARK : out;
  }
  if (Array.isArray(want) && Array.isArray(above)) {
    const s = strategy(path);
    if (s.kind === 'unique') {
      const missing = above.filter((a) => !want.some((w) => same(w, a)));
      if (missing.length > 0) notes.push({ path: where, reason: `the layers above the base give ${JSON.stringify(missing[0]).slice(0, 80)}, which this machine has not; a unique list only grows, so it stays` });
      // The base's own items: the merge puts the ones above after them. Never the items above too, which would give them
      // to every target the layers above do not reach.
      const own = want.filter((w) => !above.some((a) => same(w, a)));
      if (!isRuleSet(path) && !same([...own, ...above], want)) notes.push({ path: where, reason: 'the merge puts the base’s items before those of the layers above; this machine has them in another order' });
      return own;
    }
    if (s.kind === 'append') {
      const tail = want.slice(want.length - above.length);
      if (want.length >= above.length && same(tail, above)) return want.slice(0, want.length - above.length);
      notes.push({ path: where, reason: 'the layers above the base append their items after the base’s; this machine does not end with them' });
      return want;
    }
  }
  if (!same(want, above)) notes.push({ path: where, reason: `the layers above the base set it to ${JSON.stringify(above).slice(0, 80)}, which wins over the base` });
  return KEEP_MARK;
}

/** Which of a setup's parts a layer carries, with the secret references in place. */
export interface LayerContent {
  settings?: Plain;
  mcpServers?: Plain;
  instructions?: Plain;
}
