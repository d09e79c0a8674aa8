/** Validation reports: text (like a compiler), JSON, and SARIF 2.1.0 for code scanning. */
import { formatLocation } from '../errors.js';
import type { Finding } from '../vocabulary.js';
import type { ValidationResult } from './index.js';
import type { Rule } from './rule.js';

export function textReport(r: ValidationResult): string {
  const lines = r.findings.map((f) => `${formatLocation(f)}  ${f.severity}  ${f.rule}  ${f.message}`);
  const { errors, warnings } = r.summary;
  lines.push(errors + warnings === 0 ? 'no findings' : `${errors} error(s), ${warnings} warning(s)`);
  return `${lines.join('\n')}\n`;
}

export function jsonReport(r: ValidationResult): { findings: Finding[]; summary: { errors: number; warnings: number } } {
  return { findings: r.findings, summary: r.summary };
}

const LEVEL = { error: 'error', warning: 'warning', note: 'note' } as const;

export function sarifReport(r: ValidationResult, rules: readonly Rule[], version: string): object {
  const describe = new Map<string, string>();
  for (const rule of rules) for (const [id, text] of Object.entries(rule.findings)) if (!describe.has(id)) describe.set(id, text);
  const ids = [...new Set([...describe.keys(), ...r.findings.map((f) => f.rule)])];
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'claude-env',
            version,
            informationUri: 'https://github.com/claude-env/claude-env',
            rules: ids.map((id) => ({ id, shortDescription: { text: describe.get(id) ?? id } })),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: r.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
        })),
      },
    ],
  };
}
