/**
 * The programmatic API of claude-env's pure core: load a config repo from a
 * RepoSource, merge and render targets, explain keys, validate. Nothing here
 * reads the machine: sources with I/O (a working tree or a git revision as a
 * snapshot loaded without blocking, `openWorktree` and `openRevision`) live
 * in `system/repo-source.ts`; the CLI's lazy, blocking ones in
 * `blocking/sources.ts`.
 *
 * Every call keeps its state to itself, so many may run at once in one
 * process: a Repo owns what is derived from it (parsed documents, compiled
 * outputs), a validation owns the org's schemas (SchemaContext), and the YAML
 * library is a capability a Repo is given (`RepoOptions.yaml`).
 */
export { ClaudeEnvError } from './errors.js';
export type { Target, Finding, Origin, LayerName, Severity, DocumentKind } from './vocabulary.js';
export { Repo as ConfigRepo, type Member, type LayerDocument, type RepoOptions } from './repo/repo.js';
export { PACKAGE_YAML, lazyYaml, type Yaml, type YamlModule } from './repo/yaml.js';
export { memorySource, snapshotSource, type RefusedEntry, type RepoSource, type SnapshotFile } from './repo/source.js';
export { mergeTarget, createMergeCache, type MergeCache, type MergedTarget } from './merge/target.js';
export { explain, type Explanation } from './merge/explain.js';
export type { Rendered } from './render/index.js';
export { outputsAsRecord, type Output } from './render/outputs.js';
export { SecretValue } from './provenance/tree.js';
export { validateRepo, type ValidateOptions, type ValidationResult } from './validate/index.js';
export { SchemaContext, ShippedSchemas, shippedSchemas, type SchemaValidator } from './schema/index.js';
export { ExecutableReader, type ExecutableItem } from './render/executable.js';
export { compareDrift, type DriftInput } from './drift/compare.js';
export type { DriftReport, DriftItem, DriftSeverity, RiskLevel, SeverityRule } from './drift/types.js';
export { planApply, type Plan } from './apply/plan.js';

import { Repo, type RepoOptions } from './repo/repo.js';
import type { RepoSource } from './repo/source.js';
import type { Target } from './vocabulary.js';
import { createMergeCache, type MergeCache } from './merge/target.js';
import { renderTarget as renderTargetOutputs } from './render/index.js';
import { outputsAsRecord } from './render/outputs.js';
import { fileText } from './render/agent-files.js';

export function loadRepo(source: RepoSource, opts: RepoOptions = {}): Repo {
  return new Repo(source, opts);
}

export function repoTargets(repo: Repo, filter: { env?: string; team?: string } = {}): Target[] {
  return repo.targets(filter);
}

/** A cache of merged prefixes to pass to renderTarget when rendering many targets. */
export function createRenderCache(repo: Repo): MergeCache {
  return createMergeCache(repo);
}

/** Render one target: `{tree, outputs: {path relative to home: content}, findings}`. */
export function renderTarget(repo: Repo, target: Target, cache?: MergeCache): { tree: object; outputs: Record<string, string>; findings: unknown[] } {
  const r = renderTargetOutputs(repo, target, cache ? { cache } : {});
  return { tree: r.tree, outputs: outputsAsRecord(r.outputs, fileText), findings: [...r.findings] };
}
