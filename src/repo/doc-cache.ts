/**
 * A cache of parsed documents keyed by a hash of their text: what parseYaml
 * returns (tree, origins, findings), as compact JSON. A command that finds
 * every document it needs in the cache never loads the YAML parser; a
 * changed byte is a new key, so an entry is never stale. Storage is a port
 * (system/doc-cache-store.ts keeps it on disk).
 */
import { createHash } from 'node:crypto';
import type { Finding, LayerName, Origin, RepoPath } from '../vocabulary.js';
import { DELETE, SecretValue, originsOf, setOrigins, type LayerMap, type LayerValue, type SecretProvider } from '../provenance/tree.js';
import type { ParsedYaml } from './yaml.js';

export interface DocumentCache {
  get(key: string): string | undefined;
  set(key: string, data: string): void;
}

/** Bump when the encoding or the parser's output changes. */
const FORMAT = 'claude-env-doc-v1';

export function cacheKey(text: string): string {
  return createHash('sha256').update(FORMAT).update('\0').update(text).digest('hex').slice(0, 40);
}

type Encoded = string | number | boolean | null | Encoded[];
interface EncodedDoc {
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

function decode(e: Encoded, origin: (line: number, col: number) => Origin): LayerValue {
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
      items.push(decode(e[i + 2]!, origin));
    }
    return setOrigins(Object.freeze(items) as LayerValue[], { self, items: Object.freeze(origins) });
  }
  const map: LayerMap = {};
  const keys: Record<string, Origin> = {};
  for (let i = 3; i < e.length; i += 4) {
    const k = e[i] as string;
    keys[k] = origin(e[i + 1] as number, e[i + 2] as number);
    map[k] = decode(e[i + 3]!, origin);
  }
  return setOrigins(Object.freeze(map), { self, keys: Object.freeze(keys) });
}

export function encodeParsed(p: ParsedYaml): string {
  const doc: EncodedDoc = {
    v: p.value === undefined ? undefined : encode(p.value),
    r: [p.rootOrigin.line, p.rootOrigin.column],
    f: p.findings.map((f) => [f.rule, f.severity, f.line, f.column, f.message]),
  };
  return JSON.stringify(doc);
}

export function decodeParsed(data: string, file: RepoPath, layer: LayerName): ParsedYaml | undefined {
  let doc: EncodedDoc;
  try {
    doc = JSON.parse(data) as EncodedDoc;
  } catch {
    return undefined; // a damaged entry is a miss
  }
  const origin = (line: number, column: number): Origin => ({ layer, file, line, column });
  return {
    value: doc.v === undefined ? undefined : decode(doc.v, origin),
    rootOrigin: origin(doc.r[0], doc.r[1]),
    findings: doc.f.map(([rule, severity, line, column, message]) => ({ rule, severity, file, line, column, message })),
  };
}
