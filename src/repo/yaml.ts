/**
 * YAML text → layer value tree with an origin for every value. Parsed once
 * with `yaml` (positions kept); tags `!delete`, `!secret`, `!encrypted` are
 * ours. Syntax errors, duplicate keys and bad tags become findings with
 * file:line:col; a document with errors yields no tree.
 */
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node as YamlNode, ScalarTag } from 'yaml';
import type { Finding, LayerName, Origin, RepoPath } from '../vocabulary.js';
import { DELETE, SecretValue, UNSAFE_KEYS, setOrigins, type LayerMap, type LayerValue, type SecretProvider } from '../provenance/tree.js';

/**
 * `yaml` is loaded on first use: a command whose documents all come from the
 * document cache (doc-cache.ts) never pays for loading the parser.
 */
const require = createRequire(import.meta.url);
let lib: typeof import('yaml') | undefined;
let loader: (() => typeof import('yaml')) | undefined;
let parses = 0;

export function yamlLib(): typeof import('yaml') {
  if (lib) return lib;
  if (loader) return (lib = loader());
  // The bundled CLI ships yaml as one file beside it (build.mjs); otherwise the package.
  const bundled = (globalThis as { CLAUDE_ENV_YAML_BUNDLE?: string }).CLAUDE_ENV_YAML_BUNDLE;
  return (lib = require(bundled ?? 'yaml') as typeof import('yaml'));
}

/** How the parser is loaded, when it is not loaded yet (the CLI loads its one-file copy through V8's code cache). */
export function useYamlLoader(load: () => typeof import('yaml')): void {
  if (!lib) loader = load;
}

/** How many documents this process has parsed. */
export function yamlParses(): number {
  return parses;
}

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

export function parseAst(text: string): YamlAst {
  const { LineCounter, parseDocument } = yamlLib();
  parses++;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, customTags: CUSTOM_TAGS, prettyErrors: false, uniqueKeys: true });
  return { doc, lines };
}

export function parseYaml(text: string, file: RepoPath, layer: LayerName): ParsedYaml {
  const { doc, lines } = parseAst(text);
  const findings: Finding[] = [];
  for (const err of doc.errors) findings.push(yamlFinding(err, 'error', file, lines));
  for (const w of doc.warnings) findings.push(yamlFinding(w, 'warning', file, lines));
  const conv = new Converter(doc, text, file, layer, lines, findings);
  const rootOrigin = conv.origin(doc.contents?.range?.[0] ?? 0);
  if (doc.errors.length > 0) return { value: undefined, findings, rootOrigin };
  const value = doc.contents === null ? null : conv.node(doc.contents as YamlNode);
  return { value, findings, rootOrigin };
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
  constructor(
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

  node(n: YamlNode | null): LayerValue {
    if (n === null) return null;
    const { isAlias, isMap, isPair, isScalar, isSeq } = yamlLib();
    if (isAlias(n)) {
      const target = (n as import('yaml').Alias).resolve(this.doc);
      return target ? this.node(target as YamlNode) : null;
    }
    if (isMap(n)) {
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
        const v = pair.value as YamlNode | null;
        out[key] = this.node(v);
        // Scalars point at their value; containers and empty values at their key.
        const pos = v !== null && isScalar(v) && v.range && !(v.value === null && v.tag === undefined) ? this.valueStart(v) : (k.range?.[0] ?? 0);
        keys[key] = this.origin(pos);
      }
      return setOrigins(Object.freeze(out), { self: this.origin(n.range?.[0] ?? 0), keys: Object.freeze(keys) });
    }
    if (isSeq(n)) {
      const out: LayerValue[] = [];
      const items: Origin[] = [];
      for (const item of n.items) {
        const it = item as YamlNode | null;
        out.push(this.node(it));
        items.push(this.origin(it?.range?.[0] ?? n.range?.[0] ?? 0));
      }
      return setOrigins(Object.freeze(out) as LayerValue[], { self: this.origin(n.range?.[0] ?? 0), items: Object.freeze(items) });
    }
    if (isScalar(n)) {
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
