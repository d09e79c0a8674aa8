/**
 * The value tree with provenance. Values are plain JSON-like data (so JSON
 * rendering is `JSON.stringify` and nothing more); where each value came from
 * is kept beside the containers in a WeakMap: a map's origins by key, a
 * list's origins by index, and the container's own origin.
 *
 * Layer documents may also hold the `!delete` marker and `null` (keep the
 * parent); merged trees never do.
 */
import { sha256 } from './hash.js';
import type { Origin } from '../vocabulary.js';

/** The `!delete` tag: removes an inherited key. Exists only in layer documents. */
export const DELETE: unique symbol = Symbol('claude-env.delete');
export type DeleteMarker = typeof DELETE;

const shortHash = (text: string): string => sha256(text).slice(0, 12);

export type SecretProvider = 'env' | 'file' | 'cmd' | 'age';

/**
 * A `!secret provider:ref` reference or an `!encrypted` age value. It never
 * shows its value: JSON and text show `«secret:…»` with the reference, or a
 * short hash of the ciphertext for age values.
 */
export class SecretValue {
  readonly provider: SecretProvider;
  /** For env/file/cmd: the reference after `provider:`. For age: the armored ciphertext. */
  readonly ref: string;
  constructor(provider: SecretProvider, ref: string) {
    this.provider = provider;
    this.ref = ref;
    Object.freeze(this);
  }
  /** What is shown everywhere but the output files. */
  describe(): string {
    if (this.provider === 'age') return `«secret:age:${shortHash(this.ref)}»`;
    if (this.provider === 'cmd') return `«secret:cmd:${shortHash(this.ref)}»`;
    return `«secret:${this.provider}:${this.ref}»`;
  }
  toJSON(): string {
    return this.describe();
  }
  toString(): string {
    return this.describe();
  }
}

export type Scalar = string | number | boolean | SecretValue;
export interface TreeMap {
  [key: string]: Value;
}
export type TreeList = Value[];
/** A value of a merged tree. */
export type Value = Scalar | TreeMap | TreeList;
/** A value of a layer document: may also be `null` (keep the parent) or the delete marker. */
export type LayerValue = Value | null | DeleteMarker | LayerMap | LayerValue[];
export interface LayerMap {
  [key: string]: LayerValue;
}

export interface ContainerOrigins {
  /** Where the container itself is (the key of a map entry, or the first item of a list). */
  readonly self: Origin;
  /** For maps: origin of each key's value. */
  readonly keys?: Readonly<Record<string, Origin>>;
  /** For lists: origin of each item. */
  readonly items?: readonly Origin[];
}

/**
 * Each container's origins, held beside it rather than in it (the tree stays
 * plain data: JSON, deep equality and spreading see values only). Keyed
 * weakly by the caller's own objects: nothing outlives the tree it describes,
 * and no call sees another's entries.
 */
const ORIGINS = new WeakMap<object, ContainerOrigins>();

export function setOrigins<T extends object>(container: T, origins: ContainerOrigins): T {
  ORIGINS.set(container, origins);
  return container;
}

export function originsOf(container: object): ContainerOrigins | undefined {
  return ORIGINS.get(container);
}

export function isMap(v: unknown): v is TreeMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof SecretValue);
}

export type ValueKind = 'map' | 'list' | 'string' | 'number' | 'boolean';

export function kindOf(v: Value): ValueKind {
  if (Array.isArray(v)) return 'list';
  if (v instanceof SecretValue) return 'string';
  if (typeof v === 'object') return 'map';
  return typeof v as 'string' | 'number' | 'boolean';
}

/** Keys that must never become object properties (prototype pollution). */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A dotted key path split into segments. Segments with dots are written in
 * double quotes (`settings.env."A.B"`); `[N]` selects a list item.
 */
export function splitKeyPath(key: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < key.length) {
    if (key[i] === '"') {
      const end = key.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unclosed quote in key "${key}"`);
      out.push(key.slice(i + 1, end));
      i = end + 1;
    } else if (key[i] === '[') {
      const end = key.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed [ in key "${key}"`);
      out.push(key.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < key.length && key[j] !== '.' && key[j] !== '[') j++;
      if (j === i) throw new Error(`empty segment in key "${key}"`);
      out.push(key.slice(i, j));
      i = j;
    }
    if (key[i] === '.') {
      i++;
      if (i === key.length) throw new Error(`key "${key}" ends with a dot`);
    }
  }
  return out;
}

export function joinKeyPath(segments: readonly string[]): string {
  return segments.map((s) => (/^[^."[\]]+$/.test(s) ? s : `"${s}"`)).join('.');
}

/** Plain JSON view of a value: fresh objects, secrets shown as their description, `!delete` as "!delete". */
export function toPlain(v: unknown): unknown {
  if (v === DELETE) return '!delete';
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof SecretValue) return v.describe();
  if (Array.isArray(v)) return v.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = toPlain((v as Record<string, unknown>)[k]);
  return out;
}

/** Origin of the value at `key` of a container, if it is recorded. */
export function originAt(container: object, key: string | number): Origin | undefined {
  const o = ORIGINS.get(container);
  if (!o) return undefined;
  if (Array.isArray(container)) return o.items?.[Number(key)];
  return o.keys?.[String(key)];
}
