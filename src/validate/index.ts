/**
 * `validate`: one pass over the whole repo, like a compiler. Parses every
 * document once, runs every registered rule, and returns the findings sorted
 * by file, line and column, without duplicates.
 */
import { createMergeCache } from '../merge/target.js';
import type { Repo, RepoDocument } from '../repo/repo.js';
import { SEVERITY_RANK, type Finding } from '../vocabulary.js';
import { RULES } from './registry.js';
import { SchemaContext, type ShippedSchemas } from '../schema/index.js';
import { YamlAsts, locate, type Rule, type RuleContext, type SecretScanner } from './rule.js';

export interface ValidationResult {
  findings: Finding[];
  summary: { errors: number; warnings: number };
}

export interface ValidateOptions {
  rules?: readonly Rule[];
  /** Called as documents are read and parsed (the long part of a big repo). */
  onProgress?: (done: number, total: number) => void;
  /** Scan every file of the repo for plain-text secrets with this scanner (the CLI passes secretlint's). */
  secretScanner?: SecretScanner;
  /** Our compiled schemas (default: the process's, compiled once); the org's are this validation's own. */
  shippedSchemas?: ShippedSchemas;
}

/**
 * Everything a validation keeps is its own (the org's schemas, the syntax
 * trees findings point into, merged prefixes): validations of several repos
 * may run at once in one process.
 */

export async function validateRepo(repo: Repo, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const rules = opts.rules ?? RULES;
  const documents = repo.allDocuments(opts.onProgress);
  const byKind = new Map<string, RepoDocument[]>();
  for (const d of documents) {
    if (d.value === undefined) continue;
    const list = byKind.get(d.place.kind) ?? [];
    list.push(d);
    byKind.set(d.place.kind, list);
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report = (f: Finding): void => {
    const id = `${f.file}\0${f.line}\0${f.column}\0${f.rule}\0${f.message}`;
    if (seen.has(id)) return;
    seen.add(id);
    if (f.severity === 'error') errorsAt.add(`${f.file}:${f.line}:${f.column}`);
    findings.push(f);
  };
  const errorsAt = new Set<string>();
  const asts = new YamlAsts(repo.yaml);
  const ctx: RuleContext = {
    repo,
    schemas: new SchemaContext(opts.shippedSchemas),
    locate: (doc, path, atKey) => locate(doc, path, atKey, asts),
    mergeCache: createMergeCache(repo),
    secretScanner: opts.secretScanner,
    hasErrorAt: (file, line, column) => errorsAt.has(`${file}:${line}:${column}`),
    documents,
    ofKind: (kind) => byKind.get(kind) ?? [],
    report,
    reportAt(doc, path, rule, severity, message, atKey) {
      const { line, column } = locate(doc, path, atKey, asts);
      report({ rule, severity, file: doc.path, line, column, message });
    },
  };
  for (const rule of rules) await rule.check(ctx);
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]));
  return {
    findings,
    summary: { errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length },
  };
}
