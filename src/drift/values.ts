/**
 * Values as drift compares and shows them. JSON equality in which a rendered
 * `«secret:…»` placeholder stands for any text (drift never resolves
 * secrets, so a resolved secret on disk is in sync); `{sha256, bytes}`
 * summaries of whole files; and the values a user may keep secrets in
 * (`env`, `headers`, and the credentials inside `args` and URLs) hidden from
 * reports, which leave the machine.
 */
import { sha256 } from '../provenance/hash.js';
import { isJsonObject, type Json } from '../render/shared-files.js';
import { HIDDEN, hideArgs, hideTokens } from './tokens.js';

/** A rendered secret's description, `«secret:…»`; SECRETS finds every one. */
export const SECRET = /«secret:[^»]*»/;
export const SECRETS = new RegExp(SECRET.source, 'g');
export { HIDDEN };
/** Keys under which a user's value may be a credential. */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set(['env', 'headers']);

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A rendered text whose placeholders match any text, each captured. */
function secretPattern(desired: string): RegExp {
  return new RegExp(`^${desired.split(SECRETS).map(escapeRegExp).join('([\\s\\S]*?)')}$`);
}

/**
 * Whether the text that stands at a placeholder's place on disk is the value
 * apply wrote there (by keyed hash); unknown values pass. Given by the caller
 * of one comparison (`compareDrift`'s input), and passed down to each check.
 */
export type SecretCheck = (placeholder: string, actual: string) => boolean;

/**
 * The actual text is what was rendered, a secret placeholder matching what
 * it was resolved to: any text when drift cannot tell, else only the value
 * apply wrote (a changed secret is drift; neither value is ever shown).
 */
export function sameText(desired: string, actual: string, check: SecretCheck | undefined): boolean {
  if (desired === actual) return true;
  if (!SECRET.test(desired)) return false;
  const m = secretPattern(desired).exec(actual);
  if (!m) return false;
  if (!check) return true;
  const placeholders = desired.match(SECRETS) ?? [];
  return placeholders.every((p, i) => check(p, m[i + 1]!));
}

/** Whether the actual text has the rendered shape, whatever value stands at each placeholder. */
export const sameShape = (desired: string, actual: string): boolean => sameText(desired, actual, undefined);

/** Deep JSON equality (key order ignored), secret-aware on the desired side (see `sameText`). */
export function sameJson(desired: unknown, actual: unknown, check: SecretCheck | undefined): boolean {
  if (typeof desired === 'string') return typeof actual === 'string' && sameText(desired, actual, check);
  if (Array.isArray(desired)) return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => sameJson(d, actual[i], check));
  if (isJsonObject(desired)) {
    if (!isJsonObject(actual)) return false;
    const keys = Object.keys(desired);
    return keys.length === Object.keys(actual).length && keys.every((k) => Object.hasOwn(actual, k) && sameJson(desired[k], actual[k], check));
  }
  return desired === actual;
}

export function containsSecret(v: unknown): boolean {
  if (typeof v === 'string') return SECRET.test(v);
  if (Array.isArray(v)) return v.some(containsSecret);
  return isJsonObject(v) && Object.values(v).some(containsSecret);
}

/**
 * `v` with every string under a sensitive key (or everywhere, when
 * `sensitive`) replaced by `«hidden»`, and elsewhere the credentials inside
 * a string (a URL's userinfo and token parameters, a known token) or in an
 * `args` list (after `--api-key`, in `--token=…`) hidden (drift/tokens.ts).
 * `key` is the key `v` stands under.
 */
export function hideSensitive(v: unknown, sensitive = false, key?: string): unknown {
  if (typeof v === 'string') return sensitive ? HIDDEN : hideTokens(v);
  if (Array.isArray(v)) return (key === 'args' && !sensitive ? hideArgs(v) : v).map((x) => hideSensitive(x, sensitive));
  if (!isJsonObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = hideSensitive(v[k], sensitive || SENSITIVE_KEYS.has(k), k);
  return out;
}

/**
 * How the actual value at `segments` is shown: hidden where the desired value
 * is a secret; under `env` or `headers`, hidden unless it is compared with a
 * plain desired string (then the difference is the point).
 */
export function shownActual(segments: readonly string[], expected: unknown, actual: unknown): unknown {
  if (actual === undefined) return null;
  if (containsSecret(expected)) return hideSensitive(actual, true);
  return hideSensitive(actual, typeof expected !== 'string' && segments.some((s) => SENSITIVE_KEYS.has(s)), segments[segments.length - 1]);
}

export interface ContentSummary {
  readonly sha256: string;
  readonly bytes: number;
  /** Only when the file mode differs from the one wanted (`0755`). */
  readonly mode?: string;
}

export function summarize(content: string, encoding: 'utf8' | 'base64' = 'utf8'): ContentSummary {
  const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
  return { sha256: sha256(bytes), bytes: bytes.length };
}

export const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** A JSON file's top-level object, or why it is not one. Empty text counts as `{}`, as for Claude Code. */
export type Parsed = { readonly ok: true; readonly value: Record<string, Json> | undefined } | { readonly ok: false; readonly reason: string };

export function parseObject(content: string | undefined): Parsed {
  if (content === undefined) return { ok: true, value: undefined };
  if (content.trim() === '') return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  return isJsonObject(v) ? { ok: true, value: v } : { ok: false, reason: 'not a JSON object' };
}

/** Key paths as one string each, to look them up (segments may hold dots). */
const pathKey = (segments: readonly string[]): string => segments.join('\0');

/** A set of managed key paths and every folder above them. */
export class PathSet {
  private readonly leaves = new Set<string>();
  private readonly folders = new Set<string>();
  constructor(paths: Iterable<readonly string[]>) {
    for (const p of paths) {
      this.leaves.add(pathKey(p));
      for (let i = 1; i < p.length; i++) this.folders.add(pathKey(p.slice(0, i)));
    }
  }
  has(p: readonly string[]): boolean {
    return this.leaves.has(pathKey(p));
  }
  /** `p` is one of the paths, or above or below one of them. */
  touches(p: readonly string[]): boolean {
    if (this.folders.has(pathKey(p))) return true;
    for (let i = 1; i <= p.length; i++) if (this.leaves.has(pathKey(p.slice(0, i)))) return true;
    return false;
  }
  /**
   * The topmost keys of `actual` (an object found at `base`) that are neither
   * managed paths nor folders of one: what the user added.
   */
  uncovered(actual: Record<string, Json>, base: readonly string[] = []): Array<[string[], Json]> {
    const out: Array<[string[], Json]> = [];
    for (const k of Object.keys(actual)) {
      const p = [...base, k];
      const v = actual[k]!;
      if (this.has(p)) continue;
      if (this.folders.has(pathKey(p))) {
        if (isJsonObject(v)) out.push(...this.uncovered(v, p));
      } else out.push([p, v]);
    }
    return out;
  }
}
