/**
 * YAML text → layer value tree with an origin for every value. Parsed once
 * with `yaml` (positions kept); tags `!delete`, `!secret`, `!encrypted` are
 * ours. Syntax errors, duplicate keys and bad tags become findings with
 * file:line:col; a document with errors yields no tree.
 *
 * A layer is written by someone with fewer rights than the machines that read
 * it, so one document is bounded (YAML_LIMITS): its size, and what its aliases
 * add when they are expanded (nine levels of nine aliases are a billion
 * nodes in 500 bytes). Past a bound the document is a finding and yields no
 * tree; every check is linear in what it has read so far.
 */
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node as YamlNode, ScalarTag } from 'yaml';
import type { Finding, LayerName, Origin, RepoPath } from '../vocabulary.js';
import { DELETE, SecretValue, UNSAFE_KEYS, setOrigins, type LayerMap, type LayerValue, type SecretProvider } from '../provenance/tree.js';

/** The `yaml` package's API. */
export type YamlModule = typeof import('yaml');

/**
 * The YAML library as a capability that a caller passes in (a Repo's options,
 * a function's argument): how it is loaded is the caller's choice (the CLI
 * loads its one-file copy through V8's code cache, blocking/code-cache.ts), and
 * a document whose parse the document cache holds (doc-cache.ts) never loads
 * it at all.
 */
export interface Yaml {
  /** The library, loaded on first use. */
  lib(): YamlModule;
  /** Told of each document parsed with it (a code cache is kept when a run used it more than the one that made it). */
  parsed?(): void;
}

/** A Yaml that loads the library with `load` on first use (once), telling `parsed` of each document parsed. */
export function lazyYaml(load: () => YamlModule, parsed?: () => void): Yaml {
  let module: YamlModule | undefined;
  return { lib: () => (module ??= load()), ...(parsed ? { parsed } : {}) };
}

const require = createRequire(import.meta.url);

/**
 * The `yaml` package (the bundled CLI ships it as one file beside it,
 * build.mjs), loaded on first use. An immutable library: one copy serves every
 * caller of the process.
 */
export const PACKAGE_YAML: Yaml = lazyYaml(() => require((globalThis as { CLAUDE_ENV_YAML_BUNDLE?: string }).CLAUDE_ENV_YAML_BUNDLE ?? 'yaml') as YamlModule);

/** What one document may cost (see the top of this file). */
export const YAML_LIMITS = Object.freeze({
  /**
   * The document's text, in UTF-8 bytes (`document-too-large`), checked before it is parsed: the parser's syntax tree
   * costs about 1 KB of memory a node, and a dense flow list holds a node every 2 bytes.
   */
  documentBytes: 512 * 1024,
  /** The document's own nodes: keys, values, list items (`document-too-large`). */
  documentNodes: 100_000,
  /** Nodes that aliases add, all aliases of a document together, each alias counting itself (`yaml-alias-limit`). */
  aliasNodes: 100_000,
  /** Characters of the strings (values and keys) that aliases add (`yaml-alias-limit`). */
  aliasChars: 4 * 1024 * 1024,
});

const identity = (s: string): string => s;
const CUSTOM_TAGS: ScalarTag[] = [
  { tag: '!delete', resolve: identity },
  { tag: '!secret', resolve: identity },
  { tag: '!encrypted', resolve: identity },
];

/**
 * The converted tree and the findings of one document. The YAML syntax tree
 * itself is not kept (it is many times the size of the text); `parseAst`
 * makes it again when a finding needs to point into the document.
 */
export interface ParsedYaml {
  /** The converted tree; undefined when the document has errors. */
  readonly value: LayerValue | undefined;
  readonly findings: Finding[];
  /** Where the document's top node starts. */
  readonly rootOrigin: Origin;
}

export interface YamlAst {
  readonly doc: Document;
  readonly lines: LineCounter;
}

export function parseAst(text: string, yaml: Yaml = PACKAGE_YAML): YamlAst {
  const { LineCounter, parseDocument } = yaml.lib();
  yaml.parsed?.();
  const lines = new LineCounter();
  // Duplicate keys are found by the Converter, in one pass: the parser's own check compares each key with every
  // key before it (a 500 KB mapping took 26 s).
  const doc = parseDocument(text, { lineCounter: lines, customTags: CUSTOM_TAGS, prettyErrors: false, uniqueKeys: false });
  return { doc, lines };
}

/** UTF-8 length of a text, counted only as far as it matters (`limit + 1`). */
function utf8Length(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length; // cannot be over, whatever it holds
  let n = 0;
  for (let i = 0; i < text.length && n <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const size = (bytes: number): string => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${Math.round(bytes / 1024)} KiB`);

/** An upper bound of half a document's nodes, from one pass over its characters: every node but the first stands after one of these. */
function roughNodes(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // , [ { : - ? newline
    if (c === 0x2c || c === 0x5b || c === 0x7b || c === 0x3a || c === 0x2d || c === 0x3f || c === 0x0a) n++;
  }
  return n;
}

/**
 * Where a document's nodes pass `max`, counted by the parser's lexer without
 * building its syntax tree (scalars, quoted scalars, aliases, flow
 * collections: fewer than the nodes, never more); undefined when they do not.
 */
function nodeLimitOffset(text: string, max: number, yaml: Yaml): number | undefined {
  const { Lexer } = yaml.lib();
  let offset = 0;
  let nodes = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    // The lexer's own markers (document start, flow end, scalar) stand for no text.
    if (token === '\x02' || token === '\x18') continue;
    if (token === '\x1f') {
      scalarNext = true;
      continue;
    }
    const c = token[0];
    if (scalarNext || c === '"' || c === "'" || c === '*' || token === '[' || token === '{') {
      if (++nodes > max) return offset;
    }
    scalarNext = false;
    offset += token.length;
  }
  return undefined;
}

/** Whether a text is within the size and the (dense) node bound of one document: only such a text is ever given to the parser. */
export function withinYamlLimits(text: string, yaml: Yaml = PACKAGE_YAML): boolean {
  if (utf8Length(text, YAML_LIMITS.documentBytes) > YAML_LIMITS.documentBytes) return false;
  return !(roughNodes(text) > YAML_LIMITS.documentNodes / 2 && nodeLimitOffset(text, YAML_LIMITS.documentNodes, yaml) !== undefined);
}

export function parseYaml(text: string, file: RepoPath, layer: LayerName, yaml: Yaml = PACKAGE_YAML): ParsedYaml {
  const max = YAML_LIMITS.documentBytes;
  if (utf8Length(text, max) > max) {
    // Not parsed at all (see YAML_LIMITS).
    const at = { line: 1, column: 1 };
    return {
      value: undefined,
      findings: [{ rule: 'document-too-large', severity: 'error', file, ...at, message: `the document is larger than ${size(max)}, the limit for one document; split it, or move long text into files/` }],
      rootOrigin: { layer, file, ...at },
    };
  }
  // A document dense with nodes (a flow list of numbers holds one every 2 bytes) is counted before it is parsed: the
  // parser's syntax tree costs about 1 KB a node. Most documents have too few separators to need counting.
  const nodes = YAML_LIMITS.documentNodes;
  const past = roughNodes(text) > nodes / 2 ? nodeLimitOffset(text, nodes, yaml) : undefined;
  if (past !== undefined) {
    const lines = text.slice(0, past).split('\n');
    const at = { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
    return { value: undefined, findings: [{ rule: 'document-too-large', severity: 'error', file, ...at, message: tooManyNodes() }], rootOrigin: { layer, file, line: 1, column: 1 } };
  }
  const { doc, lines } = parseAst(text, yaml);
  const findings: Finding[] = [];
  for (const err of doc.errors) findings.push(yamlFinding(err, 'error', file, lines));
  for (const w of doc.warnings) findings.push(yamlFinding(w, 'warning', file, lines));
  const conv = new Converter(yaml.lib(), doc, text, file, layer, lines, findings);
  const rootOrigin = conv.origin(doc.contents?.range?.[0] ?? 0);
  if (doc.errors.length > 0) return { value: undefined, findings, rootOrigin };
  let value: LayerValue;
  try {
    value = doc.contents === null ? null : conv.node(doc.contents as YamlNode);
  } catch (err) {
    if (!(err instanceof Unbounded)) throw err;
    findings.push(err.finding);
    return { value: undefined, findings, rootOrigin };
  }
  return { value: conv.duplicateKeys ? undefined : value, findings, rootOrigin };
}

const tooManyNodes = (): string => `the document has more than ${YAML_LIMITS.documentNodes.toLocaleString('en-US')} nodes (keys, values and list items; passed here), the limit for one document; split it`;

/** A document past one of its bounds: conversion stops at once, with this finding. */
class Unbounded extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
  }
}

function yamlFinding(err: { code: string; message: string; pos: [number, number] }, severity: 'error' | 'warning', file: RepoPath, lines: LineCounter): Finding {
  const { line, col } = lines.linePos(err.pos[0]);
  const rule = err.code === 'DUPLICATE_KEY' ? 'yaml-duplicate-key' : err.code === 'TAG_RESOLVE_FAILED' ? 'yaml-tag' : 'yaml-syntax';
  const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return { rule, severity, file, line, column: col, message: first };
}

/** How a secret shows everywhere but the written files (SecretValue.describe). */
const SECRET_MARK = '«secret:';
const SECRET_PROVIDERS: ReadonlySet<string> = new Set(['env', 'file', 'cmd']);

class Converter {
  /** A mapping had a key twice: the document yields no tree. */
  duplicateKeys = false;
  /** How deep in alias expansions the conversion is, and the outermost alias (where a bound is reported). */
  private aliasDepth = 0;
  private outerAlias: YamlNode | undefined;
  /** The document's own nodes, and what alias expansions added, so far (YAML_LIMITS). */
  private ownNodes = 0;
  private aliasNodes = 0;
  private aliasChars = 0;
  /** Each alias node → the node it stands for, found in one pass over the document on the first alias. */
  private anchors: Map<YamlNode, YamlNode | undefined> | undefined;
  /** The collections being converted (an alias to one of them is a cycle). */
  private readonly open = new Set<YamlNode>();

  constructor(
    private readonly yaml: YamlModule,
    private readonly doc: Document,
    private readonly text: string,
    private readonly file: RepoPath,
    private readonly layer: LayerName,
    private readonly lines: LineCounter,
    private readonly findings: Finding[],
  ) {}

  origin(offset: number): Origin {
    const { line, col } = this.lines.linePos(offset);
    return { layer: this.layer, file: this.file, line, column: col };
  }

  /** Where a scalar starts; for an empty tagged scalar (`!delete`), where its tag starts. */
  valueStart(v: YamlNode): number {
    const [start, end] = v.range!;
    if (v.tag !== undefined && start === end) {
      const bang = this.text.lastIndexOf('!', start);
      if (bang >= 0) return bang;
    }
    return start;
  }

  /**
   * The node an alias stands for: the last node before it with its anchor (as
   * the parser's own `Alias.resolve`, which walks the whole document for
   * each alias it resolves).
   */
  private anchorOf(alias: YamlNode): YamlNode | undefined {
    if (!this.anchors) {
      const { visit, isAlias } = this.yaml;
      const anchors = new Map<YamlNode, YamlNode | undefined>();
      const latest = new Map<string, YamlNode>();
      visit(this.doc, {
        Node: (_key, node) => {
          if (isAlias(node)) anchors.set(node as YamlNode, latest.get(node.source));
          else if ((node as { anchor?: string }).anchor) latest.set((node as { anchor: string }).anchor, node as YamlNode);
        },
      });
      this.anchors = anchors;
    }
    return this.anchors.get(alias);
  }

  private bound(rule: string, at: YamlNode, message: string): Unbounded {
    const o = this.origin(at.range?.[0] ?? 0);
    return new Unbounded({ rule, severity: 'error', file: this.file, line: o.line, column: o.column, message });
  }

  /** Count what an alias expansion adds; past YAML_LIMITS the document stops here, reported at the outermost alias. */
  private grow(at: YamlNode, chars: number): void {
    if (this.aliasDepth === 0) {
      if (++this.ownNodes > YAML_LIMITS.documentNodes) {
        throw this.bound('document-too-large', at, tooManyNodes());
      }
      return;
    }
    this.aliasNodes++;
    this.aliasChars += chars;
    if (this.aliasNodes > YAML_LIMITS.aliasNodes || this.aliasChars > YAML_LIMITS.aliasChars) {
      const alias = this.outerAlias!;
      const what = this.aliasNodes > YAML_LIMITS.aliasNodes ? `${YAML_LIMITS.aliasNodes.toLocaleString('en-US')} nodes` : `${size(YAML_LIMITS.aliasChars)} of text`;
      throw this.bound('yaml-alias-limit', alias, `aliases expand to more than ${what} in this document (passed at this alias, *${(alias as import('yaml').Alias).source}); write the values out, or use fewer levels of aliases`);
    }
  }

  node(n: YamlNode | null): LayerValue {
    if (n === null) return null;
    const { isAlias, isMap, isPair, isScalar, isSeq } = this.yaml;
    if (isAlias(n)) {
      this.grow(n, 0);
      const target = this.anchorOf(n);
      if (!target) return null;
      const source = (n as import('yaml').Alias).source;
      if (this.open.has(target)) throw this.bound('yaml-alias-cycle', n, `alias *${source} stands for a node that contains it: it would expand without end`);
      if (this.aliasDepth === 0) this.outerAlias = n;
      this.aliasDepth++;
      try {
        return this.node(target);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isMap(n)) {
      this.grow(n, 0);
      this.open.add(n);
      const out: LayerMap = {};
      const keys: Record<string, Origin> = {};
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const k = pair.key as YamlNode | null;
        if (!isScalar(k) || (k.value !== null && typeof k.value === 'object')) {
          const at = this.origin((k as YamlNode | null)?.range?.[0] ?? n.range?.[0] ?? 0);
          this.findings.push({ rule: 'yaml-key', severity: 'error', file: this.file, line: at.line, column: at.column, message: 'keys must be plain scalars' });
          continue;
        }
        const key = String(k.value);
        if (key.includes(SECRET_MARK)) this.lookalike(k);
        if (UNSAFE_KEYS.has(key)) {
          const at = this.origin(k.range?.[0] ?? 0);
          this.findings.push({ rule: 'unsafe-key', severity: 'error', file: this.file, line: at.line, column: at.column, message: `key "${key}" is not allowed` });
          continue;
        }
        this.grow(k, key.length);
        if (Object.hasOwn(keys, key)) {
          // Reported once, where the mapping is written (an alias to it repeats the mapping, not the mistake).
          if (this.aliasDepth === 0) {
            const at = this.origin(k.range?.[0] ?? 0);
            this.findings.push({ rule: 'yaml-duplicate-key', severity: 'error', file: this.file, line: at.line, column: at.column, message: `duplicate key "${key}": it is first set at line ${keys[key]!.line}; a key may appear once in a mapping` });
            this.duplicateKeys = true;
          }
          continue;
        }
        const v = pair.value as YamlNode | null;
        out[key] = this.node(v);
        // Scalars point at their value; containers and empty values at their key.
        const pos = v !== null && isScalar(v) && v.range && !(v.value === null && v.tag === undefined) ? this.valueStart(v) : (k.range?.[0] ?? 0);
        keys[key] = this.origin(pos);
      }
      this.open.delete(n);
      return setOrigins(Object.freeze(out), { self: this.origin(n.range?.[0] ?? 0), keys: Object.freeze(keys) });
    }
    if (isSeq(n)) {
      this.grow(n, 0);
      this.open.add(n);
      const out: LayerValue[] = [];
      const items: Origin[] = [];
      for (const item of n.items) {
        const it = item as YamlNode | null;
        out.push(this.node(it));
        items.push(this.origin(it?.range?.[0] ?? n.range?.[0] ?? 0));
      }
      this.open.delete(n);
      return setOrigins(Object.freeze(out) as LayerValue[], { self: this.origin(n.range?.[0] ?? 0), items: Object.freeze(items) });
    }
    if (isScalar(n)) {
      this.grow(n, typeof n.value === 'string' ? n.value.length : 0);
      const tag = n.tag;
      if (tag === '!delete') return DELETE;
      if (tag === '!secret' || tag === '!encrypted') return this.secret(tag, n);
      const v = n.value;
      if (v === null || v === undefined) return null;
      if (typeof v === 'string' && v.includes(SECRET_MARK)) this.lookalike(n);
      if (typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      return String(v);
    }
    return null;
  }

  /**
   * Plain text that reads like a secret's description: only a tagged value
   * (`!secret`, `!encrypted`) is ever resolved, so such text is refused rather
   * than let it stand where apply puts a secret's value.
   */
  lookalike(n: YamlNode): void {
    const at = this.origin(n.range?.[0] ?? 0);
    this.findings.push({
      rule: 'secret-lookalike',
      severity: 'error',
      file: this.file,
      line: at.line,
      column: at.column,
      message: `plain text with "${SECRET_MARK}" looks like where apply puts a secret's value; only !secret and !encrypted values are secrets: write the reference as a tagged value`,
    });
  }

  secret(tag: string, n: YamlNode & { value: unknown }): LayerValue {
    const text = String(n.value ?? '').trim();
    const at = this.origin(n.range?.[0] ?? 0);
    if (tag === '!encrypted') {
      if (!text.includes('BEGIN AGE ENCRYPTED FILE')) {
        this.findings.push({ rule: 'secret-ref', severity: 'error', file: this.file, line: at.line, column: at.column, message: '!encrypted value is not an age armored ciphertext' });
      }
      return new SecretValue('age', text);
    }
    const colon = text.indexOf(':');
    const provider = colon > 0 ? text.slice(0, colon) : '';
    if (!SECRET_PROVIDERS.has(provider) || text.length === colon + 1) {
      this.findings.push({
        rule: 'secret-ref',
        severity: 'error',
        file: this.file,
        line: at.line,
        column: at.column,
        message: `!secret needs "env:NAME", "file:PATH" or "cmd:COMMAND"${provider ? ` (unknown provider "${provider}")` : ''}`,
      });
    }
    return new SecretValue((SECRET_PROVIDERS.has(provider) ? provider : 'env') as SecretProvider, colon > 0 ? text.slice(colon + 1) : text);
  }
}
