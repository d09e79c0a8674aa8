/**
 * A validation rule: an id, what it checks, and a check over the repo that
 * reports findings. Rules are data in a registry (registry.ts); the driver
 * (index.ts) runs every registered rule and never needs to know them.
 */
import type { Node as YamlNode } from 'yaml';
import { DELETE, SecretValue, type LayerValue } from '../provenance/tree.js';
import type { MergeCache } from '../merge/target.js';
import type { Repo, RepoDocument } from '../repo/repo.js';
import { PACKAGE_YAML, parseAst, type Yaml, type YamlAst } from '../repo/yaml.js';
import type { SchemaContext } from '../schema/index.js';
import type { Finding, Severity } from '../vocabulary.js';

export interface RuleContext {
  readonly repo: Repo;
  /** Every YAML document of the repo, parsed, in path order. */
  readonly documents: readonly RepoDocument[];
  /** Documents without YAML errors, by kind. */
  ofKind(kind: RepoDocument['place']['kind']): readonly RepoDocument[];
  report(f: Finding): void;
  /** Whether an error was already reported at this place (so later rules need not repeat it). */
  hasErrorAt(file: string, line: number, column: number): boolean;
  /** Line and column of a key path in a document (see `locate`). */
  locate(doc: RepoDocument, path: readonly (string | number)[], atKey?: boolean): { line: number; column: number };
  /** The schemas of this validation: ours, and the org's from `schemas/` (added by the org-schema rule). */
  readonly schemas: SchemaContext;
  /** Report at a key path inside a document (at the key itself with `atKey`). */
  reportAt(doc: RepoDocument, path: readonly (string | number)[], rule: string, severity: Severity, message: string, atKey?: boolean): void;
  /** Merged prefixes of targets, shared by the rules that merge every target (one merge of each prefix per run). */
  readonly mergeCache: MergeCache;
  /** The secret scanner (secretlint, src/secrets/scan.ts), when scanning is on. */
  readonly secretScanner?: SecretScanner | undefined;
}

/** A text to scan for secrets; `id` names it in the hits (one id per distinct content). */
export interface ScanInput {
  readonly id: string;
  /** A file name the text came from (some scanner rules look at the name: `.npmrc`, `*.json`). */
  readonly path: string;
  readonly text: string;
}

/**
 * A secret found in a text. It never carries the secret itself: only where it
 * starts and a fingerprint (`sha256:` + 16 hex digits of sha256 over the
 * scanner rule id, a NUL and the matched text) that an allowlist can name.
 */
export interface SecretHit {
  readonly id: string;
  /** The scanner's rule id, such as `@secretlint/secretlint-rule-github`. */
  readonly rule: string;
  /** What the rule found, such as `GITHUB_TOKEN`. */
  readonly kind: string;
  /** UTF-16 offset of the secret in the text. */
  readonly offset: number;
  readonly fingerprint: string;
}

/** The port to a secret scanner: the core decides what to scan and what a hit means. */
export type SecretScanner = (inputs: readonly ScanInput[]) => Promise<SecretHit[]>;

export interface Rule {
  /** The finding rule ids this rule reports, each with what it means (SARIF rule descriptions). */
  readonly findings: Readonly<Record<string, string>>;
  readonly description: string;
  check(ctx: RuleContext): void | Promise<void>;
}

/**
 * The YAML syntax trees of the documents findings point into, parsed again
 * when a finding needs one (a tree is many times the size of its text, so a
 * Repo keeps none): the last `max` kept, for one validation.
 */
export class YamlAsts {
  private readonly kept = new Map<RepoDocument, YamlAst>();
  constructor(
    readonly yaml: Yaml = PACKAGE_YAML,
    private readonly max = 32,
  ) {}

  of(doc: RepoDocument): YamlAst {
    let ast = this.kept.get(doc);
    if (ast) {
      // Most recently used last: the first key is the one to let go.
      this.kept.delete(doc);
    } else {
      ast = parseAst(doc.text, this.yaml);
      if (this.kept.size >= this.max) this.kept.delete(this.kept.keys().next().value!);
    }
    this.kept.set(doc, ast);
    return ast;
  }
}

/** Line and column of a key path in a YAML document: the deepest node found on the way. */
export function locate(doc: RepoDocument, path: readonly (string | number)[], atKey = false, asts: YamlAsts = new YamlAsts()): { line: number; column: number } {
  const ast = asts.of(doc);
  const { isMap: isYamlMap, isSeq: isYamlSeq, isPair, isScalar } = asts.yaml.lib();
  let node = ast.doc.contents as YamlNode | null;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isYamlMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as YamlNode;
      const value = pair.value as YamlNode | null;
      if (last && (atKey || value === null || !value.range)) {
        offset = key.range?.[0] ?? offset;
        break;
      }
      node = value;
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
    } else if (isYamlSeq(node)) {
      const item = node.items[Number(seg)] as YamlNode | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else break;
  }
  const { line, col } = ast.lines.linePos(offset);
  return { line, column: col };
}

/**
 * A layer value as plain data for JSON Schema: `null` and `!delete` keys are
 * dropped (they are merge markers, not values), secrets become strings, and
 * the `$delete` key of list items is dropped.
 */
export function schemaInput(v: LayerValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (v === DELETE) return null;
  if (v instanceof SecretValue) return v.describe();
  if (Array.isArray(v)) return v.map((item) => {
    const plain = schemaInput(item);
    if (plain && typeof plain === 'object' && !Array.isArray(plain)) delete (plain as Record<string, unknown>)['$delete'];
    return plain;
  });
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      if (child === null || child === DELETE) continue;
      out[k] = schemaInput(child);
    }
    return out;
  }
  return v;
}

/** JSON pointer → path segments. */
export function pointerPath(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
