/**
 * The impact use case: two revisions of the config repo read together
 * (through the `Revisions` port: git at the edge, src/history/git.ts), each
 * opened as a Repo that shares parses with the other, then `computeImpact`.
 * `openRevisions` is also how `access check` looks at a change's executable
 * content.
 */
import { Repo } from '../repo/repo.js';
import type { DocumentCache } from '../repo/doc-cache.js';
import type { RepoSource } from '../repo/source.js';
import type { ParsedYaml } from '../repo/yaml.js';
import type { Target } from '../vocabulary.js';
import { scopesOf, type ChangedFile } from './changes.js';
import { computeImpact, scopePaths, type Impact } from './impact.js';

/** A revision as the user named it, and the flag that named it (for the error when it names no commit). */
export interface RevisionArg {
  readonly rev: string;
  readonly flag: string;
}

/** Two revisions read together: the commits, a RepoSource for each, and the files that differ. */
export interface RevisionPair {
  readonly baseCommit: string;
  readonly headCommit: string;
  readonly base: RepoSource;
  readonly head: RepoSource;
  readonly changes: readonly ChangedFile[];
}

/** Where revisions of a config repo come from. */
export interface Revisions {
  pair(base: RevisionArg, head: RevisionArg): Promise<RevisionPair>;
  /** The caller's document cache, if any: read and filled, or with `fill: false` only read. */
  documentCache(fill: boolean): DocumentCache | undefined;
}

export interface OpenedRevisions extends RevisionPair {
  readonly baseRepo: Repo;
  readonly headRepo: Repo;
}

/**
 * Both revisions as Repos: each document version parsed once (`shared`), and
 * what the change's scopes read fetched first at both revisions in one batch.
 * The document cache is filled with what a change reads (a few dozen
 * documents for a team's change), and only read for a change that reaches
 * every target: writing thousands of entries costs more than it saves.
 */
export async function openRevisions(revs: Revisions, base: RevisionArg, head: RevisionArg): Promise<OpenedRevisions> {
  const pair = await revs.pair(base, head);
  const scopes = scopesOf(pair.changes);
  const cache = revs.documentCache(!scopes.some((s) => s.kind === 'all'));
  const shared = new Map<string, ParsedYaml>();
  const first = scopePaths(pair.base, scopes, pair.changes);
  const open = (source: RepoSource): Repo => new Repo(source, { shared, prefetch: first, ...(cache ? { cache } : {}) });
  return { ...pair, baseRepo: open(pair.base), headRepo: open(pair.head) };
}

/** How many targets' diffs `impact` shows unless told otherwise. */
export const DEFAULT_LIMIT = 20;

export interface ImpactRun extends Impact {
  readonly base: { readonly rev: string; readonly commit: string };
  readonly head: { readonly rev: string; readonly commit: string };
}

export interface ImpactRunOptions {
  readonly filter?: Partial<Target>;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The impact of the change from `base` to `head` (revisions: commits, branches, tags). */
export async function impactBetween(revs: Revisions, base: string, head: string, opts: ImpactRunOptions = {}): Promise<ImpactRun> {
  const r = await openRevisions(revs, { rev: base, flag: '--base' }, { rev: head, flag: '--head' });
  const impact = computeImpact(r.baseRepo, r.headRepo, r.changes, { filter: opts.filter ?? {}, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  return { ...impact, base: { rev: base, commit: r.baseCommit }, head: { rev: head, commit: r.headCommit } };
}
