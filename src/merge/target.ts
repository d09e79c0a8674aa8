/**
 * The merged tree of a target: fold its chain of layer documents with the
 * Merger, reusing the merged prefix shared by many targets (base+environment,
 * +team, +project) from a cache, so rendering every target of a big org
 * merges each shared prefix once.
 */
import type { Finding, Target } from '../vocabulary.js';
import { originsOf, setOrigins, type LayerMap, type TreeMap } from '../provenance/tree.js';
import { DerivedKey, chainErrorToThrow, type LayerDocument, type Repo } from '../repo/repo.js';
import { Merger } from './merge.js';
import { parseStrategy, strategyLookup, type ArrayStrategy } from './strategy.js';

export interface MergedTarget {
  readonly target: Target;
  readonly tree: TreeMap;
  /** Every document merged, lowest priority first. */
  readonly chain: readonly LayerDocument[];
  /** Merge findings (kind changes, misplaced `$delete`). */
  readonly findings: readonly Finding[];
}

interface Step {
  readonly tree: TreeMap;
  readonly findings: readonly Finding[];
  readonly chain: readonly LayerDocument[];
}

/** Merged prefixes of targets, keyed by `env|team|project`. One per repo. */
export interface MergeCache {
  readonly repo: Repo;
  readonly steps: Map<string, Step>;
}

const EMPTY: TreeMap = Object.freeze({}) as TreeMap;
/** The Merger of a repo's array rules, kept with the repo. */
const MERGER = new DerivedKey<Merger>('merger');

export function mergerFor(repo: Repo): Merger {
  return repo.derived(MERGER, () => {
    const rules: Array<readonly [string, ArrayStrategy]> = [];
    for (const [glob, raw] of repo.settings.arrayRules) {
      const s = parseStrategy(raw);
      if (s) rules.push([glob, s]);
    }
    return new Merger(strategyLookup(rules, repo.artifactCache));
  });
}

export function createMergeCache(repo: Repo): MergeCache {
  return { repo, steps: new Map() };
}

export interface MergeOptions {
  cache?: MergeCache;
  /** Layers above the repo's, such as the machine's `user_local` document. */
  extra?: readonly LayerDocument[];
  /** Merge only this top-level section (explain needs one); the rest of the tree stays empty. */
  section?: string;
}

export function mergeTarget(repo: Repo, target: Target, opts: MergeOptions = {}): MergedTarget {
  const cache = opts.cache && opts.cache.repo === repo ? opts.cache : createMergeCache(repo);
  const merger = mergerFor(repo);
  const sec = opts.section;
  // A merge of one section keeps its prefixes apart from whole merges.
  const at = sec === undefined ? '' : `${sec}#`;
  const levels: Array<[string, () => LayerDocument[]]> = [[`${at}${target.env}`, () => [...repo.layerDocuments('base', {}, sec), ...repo.layerDocuments('environment', { env: target.env }, sec)]]];
  if (target.team !== undefined) {
    levels.push([`${at}${target.env}|${target.team}`, () => [...repo.layerDocuments('environment-team', { env: target.env, team: target.team }, sec), ...repo.layerDocuments('team', { team: target.team }, sec)]]);
  }
  if (target.project !== undefined) levels.push([`${at}${target.env}|${target.team ?? ''}|${target.project}`, () => repo.layerDocuments('project', { project: target.project }, sec)]);
  let step: Step = { tree: EMPTY, findings: [], chain: [] };
  for (const [key, docs] of levels) {
    const hit = cache.steps.get(key);
    if (hit) {
      step = hit;
      continue;
    }
    step = fold(repo, merger, step, docs(), opts.section);
    cache.steps.set(key, step);
  }
  const top: LayerDocument[] = target.user !== undefined ? repo.layerDocuments('user', { user: target.user }, sec) : [];
  if (opts.extra) top.push(...opts.extra);
  if (top.length > 0) step = fold(repo, merger, step, top, opts.section);
  return { target, tree: step.tree, chain: step.chain, findings: step.findings };
}

function fold(repo: Repo, merger: Merger, from: Step, docs: readonly LayerDocument[], section: string | undefined): Step {
  const errors = repo.chainErrors(docs);
  if (errors.length > 0) throw chainErrorToThrow(errors);
  const findings = [...from.findings];
  let tree = from.tree;
  for (const d of docs) tree = merger.apply(tree, section === undefined ? d.root : sectionOf(d.root, section), findings);
  return { tree, findings, chain: [...from.chain, ...docs] };
}

/** A layer root with only one top-level section, origins kept. */
function sectionOf(root: LayerMap | undefined, section: string): LayerMap | undefined {
  if (!root || !Object.hasOwn(root, section)) return undefined;
  const o = originsOf(root)!;
  return setOrigins(Object.freeze({ [section]: root[section]! }), { self: o.self, keys: Object.freeze({ [section]: o.keys![section]! }) });
}
