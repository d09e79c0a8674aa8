/**
 * A cache of parsed documents keyed by a hash of their text: what parseYaml
 * returns (tree, origins, findings), as compact JSON. A command that finds
 * every document it needs in the cache never loads the YAML parser (nor
 * node:crypto: the key is a fast 53-bit hash, and every entry holds the text
 * it was parsed from and is used only when that text is identical, so a
 * collision is a miss, never a wrong tree). Storage is a port
 * (blocking/doc-cache-store.ts keeps it on disk).
 */
import type { Finding, LayerName, Origin, RepoPath } from '../vocabulary.js';
import { DELETE, SecretValue, originsOf, setOrigins, type LayerMap, type LayerValue, type SecretProvider } from '../provenance/tree.js';
import { YAML_LIMITS, type ParsedYaml } from './yaml.js';

export interface DocumentCache {
  get(key: string): string | undefined;
  set(key: string, data: string): void;
  /** Whether there is an entry, without reading it (where that is cheaper). */
  has?(key: string): boolean;
}

/** Bump when the encoding or the parser's output changes. */
const FORMAT = 'claude-env-doc-v3';

/** cyrb53 (public domain): a fast, well-mixed 53-bit string hash. */
function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function cacheKey(text: string): string {
  return `${hash53(text).toString(36)}-${text.length.toString(36)}`;
}

type Encoded = string | number | boolean | null | Encoded[];
interface EncodedDoc {
  /** The cache format and the text this entry was parsed from. */
  k: string;
  t: string;
  v: Encoded | undefined;
  r: [number, number];
  f: Array<[string, Finding['severity'], number, number, string]>;
}

/** Layer values as tagged tuples: ['m', line, col, key, line, col, value, …] for maps, ['l', …] lists, ['d'] delete, ['s', provider, ref] secrets. */
function encode(v: LayerValue): Encoded {
  if (v === DELETE) return ['d'];
  if (v === null || typeof v !== 'object') return v as Encoded;
  if (v instanceof SecretValue) return ['s', v.provider, v.ref];
  const o = originsOf(v)!;
  if (Array.isArray(v)) {
    const out: Encoded[] = ['l', o.self.line, o.self.column];
    v.forEach((item, i) => out.push(o.items![i]!.line, o.items![i]!.column, encode(item)));
    return out;
  }
  const out: Encoded[] = ['m', o.self.line, o.self.column];
  for (const k of Object.keys(v)) {
    const ko = o.keys![k]!;
    out.push(k, ko.line, ko.column, encode((v as LayerMap)[k]!));
  }
  return out;
}

/**
 * An entry is read back only as big as a parse could make it: a document's
 * own nodes plus what its aliases may add (YAML_LIMITS); the text of an entry
 * (JSON-escaped, up to 6 characters a character) likewise. A damaged or
 * planted entry past them is a miss.
 */
const MAX_ENTRY_NODES = YAML_LIMITS.documentNodes + YAML_LIMITS.aliasNodes;
const MAX_ENTRY_CHARS = 6 * (2 * YAML_LIMITS.documentBytes + YAML_LIMITS.aliasChars);

class DamagedEntry extends Error {}

function decode(e: Encoded, origin: (line: number, col: number) => Origin, budget: { nodes: number }): LayerValue {
  if (--budget.nodes < 0) throw new DamagedEntry('more nodes than a document can hold');
  if (!Array.isArray(e)) return e;
  const tag = e[0];
  if (tag === 'd') return DELETE;
  if (tag === 's') return new SecretValue(e[1] as SecretProvider, e[2] as string);
  const self = origin(e[1] as number, e[2] as number);
  if (tag === 'l') {
    const items: LayerValue[] = [];
    const origins: Origin[] = [];
    for (let i = 3; i < e.length; i += 3) {
      origins.push(origin(e[i] as number, e[i + 1] as number));
      items.push(decode(e[i + 2]!, origin, budget));
    }
    return setOrigins(Object.freeze(items) as LayerValue[], { self, items: Object.freeze(origins) });
  }
  const map: LayerMap = {};
  const keys: Record<string, Origin> = {};
  for (let i = 3; i < e.length; i += 4) {
    const k = e[i] as string;
    keys[k] = origin(e[i + 1] as number, e[i + 2] as number);
    map[k] = decode(e[i + 3]!, origin, budget);
  }
  return setOrigins(Object.freeze(map), { self, keys: Object.freeze(keys) });
}

export function encodeParsed(p: ParsedYaml, text: string): string {
  const doc: EncodedDoc = {
    k: FORMAT,
    t: text,
    v: p.value === undefined ? undefined : encode(p.value),
    r: [p.rootOrigin.line, p.rootOrigin.column],
    f: p.findings.map((f) => [f.rule, f.severity, f.line, f.column, f.message]),
  };
  return JSON.stringify(doc);
}

/** An entry read back: the text it was parsed from and its encoded parse. */
export interface CacheEntry {
  readonly text: string;
  readonly doc: EncodedDoc;
}

/** A stored entry, or undefined when it is damaged or of another format. */
export function readEntry(data: string): CacheEntry | undefined {
  if (data.length > MAX_ENTRY_CHARS) return undefined;
  let doc: EncodedDoc;
  try {
    doc = JSON.parse(data) as EncodedDoc;
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || doc.k !== FORMAT || typeof doc.t !== 'string' || !Array.isArray(doc.r) || !Array.isArray(doc.f)) return undefined;
  return { text: doc.t, doc };
}

/** An entry's parse, with the origins of the file and layer it is read as; undefined when the entry is damaged. */
export function decodeEntry(entry: CacheEntry, file: RepoPath, layer: LayerName): ParsedYaml | undefined {
  const { doc } = entry;
  const origin = (line: number, column: number): Origin => ({ layer, file, line, column });
  try {
    return {
      value: doc.v === undefined ? undefined : decode(doc.v, origin, { nodes: MAX_ENTRY_NODES }),
      rootOrigin: origin(doc.r[0], doc.r[1]),
      findings: doc.f.map(([rule, severity, line, column, message]) => ({ rule, severity, file, line, column, message })),
    };
  } catch (err) {
    // Too many nodes, nested too deep for the stack, or not the shape encode writes.
    if (err instanceof DamagedEntry || err instanceof RangeError || err instanceof TypeError) return undefined;
    throw err;
  }
}

/** The entry's parse, or undefined when it is damaged, of another format, or of another text. */
export function decodeParsed(data: string, text: string, file: RepoPath, layer: LayerName): ParsedYaml | undefined {
  const entry = readEntry(data);
  return entry && entry.text === text ? decodeEntry(entry, file, layer) : undefined;
}
