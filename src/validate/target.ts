/**
 * What apply checks before it writes anything for a target (SPEC.md: "apply
 * writes nothing for a target whose merged tree fails its schema or its
 * security policy"): the trust rules on every document of the target's
 * chain (the machine's own layer included), its `files/` overlay names, the
 * schema of the merged tree, and the security policy against it. The same
 * checks as `validate`, for one target; no flag overrides them.
 */
import type { MergedTarget } from '../merge/target.js';
import type { Finding } from '../vocabulary.js';
import type { SchemaValidator } from '../schema/index.js';
import { mergedSchemaIssues } from './rules/merged.js';
import { collisionFinding, overlayCollisions } from './overlays.js';
import { policyFindings } from './rules/policy.js';
import { commandLayers, documentTrustFindings, reservedOverlay } from './trust.js';

export interface AdmitInput {
  readonly merged: MergedTarget;
  /** claude-env.yml as plain data (for `secrets.commands_from`). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The text of a chain document, when it comes from the repo (a document that never mentions `cmd:` is not walked). */
  readonly textOf?: (file: string) => string | undefined;
  /** Whether a repo file is executable (its mode): an executable overlay is executable content. */
  readonly isExecutableFile?: (source: string) => boolean;
  /** Our schemas as the caller loads them (default: `shippedSchemas()`). */
  readonly schemas?: SchemaValidator;
}

/** Every error that keeps apply from writing this target, in file order. */
export function admitTarget(input: AdmitInput): Finding[] {
  const { merged } = input;
  const commands = commandLayers(input.settings);
  const out: Finding[] = [];
  for (const doc of merged.chain) {
    if (doc.file.endsWith('/files/')) continue;
    const text = input.textOf?.(doc.file);
    // Placed roots hold `security` only for root-shaped documents and the security documents (which exist in admin layers only).
    out.push(...documentTrustFindings({ layer: doc.layer, file: doc.file, value: doc.root, ...(text !== undefined ? { text } : {}), rootShaped: true }, commands));
  }
  const files = merged.tree['files'];
  if (files && typeof files === 'object' && !Array.isArray(files)) {
    for (const [target, source] of Object.entries(files)) {
      const why = reservedOverlay(target);
      if (why) out.push({ rule: 'files-reserved', severity: 'error', file: String(source), line: 1, column: 1, message: why });
    }
  }
  out.push(...overlayCollisions(merged.tree).map(collisionFinding));
  for (const { at, message } of mergedSchemaIssues(merged.tree, undefined, input.schemas)) {
    out.push({ rule: 'merged-schema', severity: 'error', file: at?.file ?? 'claude-env.yml', line: at?.line ?? 1, column: at?.column ?? 1, message });
  }
  out.push(...policyFindings(merged.tree, input.isExecutableFile));
  const seen = new Set<string>();
  return out
    .filter((f) => {
      const id = `${f.file}:${f.line}:${f.column}\0${f.rule}\0${f.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}
