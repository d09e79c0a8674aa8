/**
 * impact: which targets a change of the config repo alters, and how. From
 * the files changed between two revisions, the target index gives the
 * targets whose chain reads one of them (at either revision: targets added
 * or removed count too); only those are rendered, at base and at head, and
 * their outputs compared file by file. Everything else renders exactly as it
 * did, since its chain reads no changed file.
 */
import { unifiedDiff } from '../drift/diff.js';
import { VERSION } from '../version.js';
import { createMergeCache, type MergeCache } from '../merge/target.js';
import { DELETE, SecretValue, isMap, type LayerMap } from '../provenance/tree.js';
import { mergeTarget } from '../merge/target.js';
import { renderTarget } from '../render/index.js';
import { renderOutputs, type Output, type OutputKind } from '../render/outputs.js';
import { harnessesOf, renderHarnesses } from '../render/harnesses.js';
import { filePlaceOf, isYamlPath, placeOf } from '../repo/layout.js';
import type { TreeMap } from '../provenance/tree.js';
import { chainLayers, type Repo } from '../repo/repo.js';
import type { RepoSource } from '../repo/source.js';
import type { Target } from '../vocabulary.js';
import { scopesOf, type ChangedFile, type Scope } from './changes.js';
import { TargetIndex, targetKey } from './target-index.js';

export interface OutputChange {
  /** Relative to the target home, as render --outputs names it. */
  readonly path: string;
  readonly status: 'added' | 'removed' | 'modified';
  /** The file at base (undefined: the target had no such file). */
  readonly before?: Output;
  /** The file at head (undefined: the target no longer has it). */
  readonly after?: Output;
}

export interface TargetImpact {
  readonly target: Target;
  /** added: a target of head only (a new member or assignment); removed: of base only. */
  readonly change: 'added' | 'removed' | 'modified';
  readonly files: readonly OutputChange[];
}

export interface ImpactCounts {
  /** Targets altered. */
  readonly total: number;
  /** Distinct users among them. */
  readonly developers: number;
  readonly added: number;
  readonly removed: number;
  readonly modified: number;
  readonly by_env: Readonly<Record<string, number>>;
  readonly by_team: Readonly<Record<string, number>>;
  readonly by_project: Readonly<Record<string, number>>;
  readonly by_user: Readonly<Record<string, number>>;
}

export interface Impact {
  readonly changes: readonly ChangedFile[];
  /** The sections of the merged tree the change can reach ('all': claude-env.yml or schemas changed). */
  readonly sections: 'all' | readonly string[];
  /** The parts of the hierarchy the changed files reach. */
  readonly scopes: readonly Scope[];
  /** Targets rendered at each revision: the affected ones only. */
  readonly rendered: { readonly base: number; readonly head: number };
  /** Altered targets, sorted by env, team, user, project. */
  readonly targets: readonly TargetImpact[];
  readonly counts: ImpactCounts;
}

export interface ImpactOptions {
  /** Only targets with these env/team/project/user. */
  readonly filter?: Partial<Target>;
  /** Called as the distinct chains of both revisions are rendered (a change to the base layer renders all of them). */
  readonly onProgress?: (done: number, total: number) => void;
}

interface Candidate {
  readonly target: Target;
  inBase: boolean;
  inHead: boolean;
}

export function computeImpact(base: Repo, head: Repo, changes: readonly ChangedFile[], opts: ImpactOptions = {}): Impact {
  const scopes = refineScopes(base, head, scopesOf(changes));
  const candidates = new Map<string, Candidate>();
  const keep = matcher(opts.filter);
  const collect = (index: TargetIndex, side: 'inBase' | 'inHead'): void => {
    for (const s of scopes) {
      for (const t of index.targets(s)) {
        if (!keep(t)) continue;
        const k = targetKey(t);
        let c = candidates.get(k);
        if (!c) {
          c = { target: t, inBase: false, inHead: false };
          candidates.set(k, c);
        }
        c[side] = true;
      }
    }
  };
  collect(new TargetIndex(base), 'inBase');
  collect(new TargetIndex(head), 'inHead');
  const all = [...candidates.values()];
  // A target of both revisions can differ only in the sections the changed documents reach: only those are merged and compared.
  const sections = changedSections(base, head, changes);
  const sorted = all.sort((a, b) => compareTargets(a.target, b.target));
  // Targets whose chains read the same documents render the same outputs (a member with no user folder renders as
  // the project's prefix): each distinct chain is rendered once per revision, and each pair of renders compared once.
  const partialOf = (c: Candidate): ReadonlySet<string> | undefined => (c.inBase && c.inHead && sections !== 'all' ? sections : undefined);
  const baseChains = new ChainRenders(base);
  const headChains = new ChainRenders(head);
  const kept = sorted.filter((c) => partialOf(c)?.size !== 0);
  const keys = kept.map((c) => ({ before: c.inBase ? baseChains.add(c.target, partialOf(c)) : undefined, after: c.inHead ? headChains.add(c.target, partialOf(c)) : undefined }));
  const total = baseChains.size + headChains.size;
  baseChains.render(opts.onProgress && ((n) => opts.onProgress!(n, total)));
  headChains.render(opts.onProgress && ((n) => opts.onProgress!(baseChains.size + n, total)));
  const compared = new Map<string, OutputChange[]>();
  const rendered = { base: 0, head: 0 };
  const targets: TargetImpact[] = [];
  kept.forEach((c, i) => {
    const { before, after } = keys[i]!;
    if (before !== undefined) rendered.base++;
    if (after !== undefined) rendered.head++;
    const pair = `${before ?? ''}\n${after ?? ''}`;
    let files = compared.get(pair);
    if (!files) {
      files = compareOutputs(before === undefined ? [] : baseChains.outputs(before), after === undefined ? [] : headChains.outputs(after));
      compared.set(pair, files);
    }
    if (files.length === 0 && before !== undefined && after !== undefined) return;
    targets.push({ target: c.target, change: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified', files });
  });
  return { changes, sections: sections === 'all' ? 'all' : [...sections].sort(), scopes, rendered, targets, counts: countTargets(targets) };
}

/** The output files each section of the merged tree is rendered into (`security` is checked, not written); other agents' files too (`harnesses`). */
const SECTION_OUTPUTS: Readonly<Record<string, readonly OutputKind[]>> = {
  settings: ['settings-json'],
  mcpServers: ['claude-json', 'agent-mcp'],
  instructions: ['claude-md'],
  personas: ['agent'],
  workflows: ['command'],
  files: ['file'],
};

/**
 * The output sections a change can reach: those of the documents placed at
 * a section, the top-level keys whose value differs between the two
 * versions of a root-shaped document (each team entry of an environment's
 * teams.yml likewise), and `files` for an overlay. Everything for a change
 * to the repo settings (merge rules) or schemas, or a document that does not
 * parse on either side.
 */
export function changedSections(base: Repo, head: Repo, changes: readonly ChangedFile[]): Set<string> | 'all' {
  const out = new Set<string>();
  for (const c of changes) {
    for (const p of c.oldPath === undefined ? [c.path] : [c.oldPath, c.path]) {
      if (p === 'claude-env.yml' || p.startsWith('schemas/')) return 'all';
      if (filePlaceOf(p)) {
        out.add('files');
        continue;
      }
      if (!isYamlPath(p)) continue;
      const place = placeOf(p);
      if (!place.layer) continue; // members.yml changes the set of targets; access.yml and other YAML render nothing
      if (place.section.length > 0) {
        out.add(place.section[0]!);
        continue;
      }
      const a = rootOf(base, p);
      const b = rootOf(head, p);
      if (a === null || b === null) return 'all';
      const pairs: Array<[LayerMap, LayerMap]> = [];
      if (place.kind === 'environment-teams') {
        for (const team of new Set([...Object.keys(a), ...Object.keys(b)])) {
          const x = entryOf(a[team]);
          const y = entryOf(b[team]);
          if (!x || !y) return 'all';
          pairs.push([x, y]);
        }
      } else pairs.push([a, b]);
      for (const [x, y] of pairs) {
        for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
          if (JSON.stringify(canonical(x[key])) !== JSON.stringify(canonical(y[key]))) out.add(key);
        }
      }
    }
  }
  return new Set([...out].filter((s) => s in SECTION_OUTPUTS));
}

/** A root-shaped document's tree ({} when absent or empty), or null when it has errors or is not a map. */
function rootOf(repo: Repo, path: string): LayerMap | null {
  const doc = repo.document(path);
  if (!doc) return {} as LayerMap;
  if (doc.findings.some((f) => f.severity === 'error')) return null;
  if (doc.value === null || doc.value === undefined) return {} as LayerMap;
  return isMap(doc.value) ? (doc.value as LayerMap) : null;
}

/** A team entry of teams.yml as a map ({} when absent or null), or undefined when it is something else. */
function entryOf(v: unknown): LayerMap | undefined {
  if (v === undefined || v === null) return {} as LayerMap;
  return isMap(v) ? (v as LayerMap) : undefined;
}

/** The outputs of some sections only: each section merged on its own (prefixes cached), then rendered. */
/** Stand-ins for the always-written sections that are not compared: rendered once, then found in render's memo. */
const NOT_COMPARED: Readonly<Record<string, object>> = { settings: Object.freeze({}), mcpServers: Object.freeze({}), instructions: Object.freeze([]) };

function renderSections(repo: Repo, target: Target, sections: ReadonlySet<string>, cache: MergeCache): readonly Output[] {
  const tree: Record<string, unknown> = { ...NOT_COMPARED };
  for (const s of sections) {
    const merged = mergeTarget(repo, target, { cache, section: s });
    if (merged.tree[s] !== undefined) tree[s] = merged.tree[s];
    else delete tree[s];
  }
  const kinds = new Set([...sections].flatMap((s) => SECTION_OUTPUTS[s] ?? []));
  const harnesses = harnessesOf(repo.settings, target.env);
  const outputs = [...renderOutputs(repo, tree as TreeMap), ...(harnesses.length > 0 ? renderHarnesses(harnesses, tree as TreeMap).outputs : [])];
  return outputs.filter((o) => kinds.has(o.kind));
}

/** Output files that differ (content, encoding or mode), by path. */
export function compareOutputs(before: readonly Output[], after: readonly Output[]): OutputChange[] {
  const old = new Map(before.map((o) => [o.path as string, o]));
  const out: OutputChange[] = [];
  const seen = new Set<string>();
  for (const a of after) {
    seen.add(a.path);
    const b = old.get(a.path);
    if (!b) out.push({ path: a.path, status: 'added', after: a });
    else if (b.content !== a.content || b.mode !== a.mode || b.encoding !== a.encoding) out.push({ path: a.path, status: 'modified', before: b, after: a });
  }
  for (const b of before) if (!seen.has(b.path)) out.push({ path: b.path, status: 'removed', before: b });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Diffs of output files, each pair of texts diffed once (many targets share their outputs). */
export class OutputDiffs {
  private readonly memo = new Map<string, Map<string, string>>();

  /** A unified diff (`a/<path>` at base → `b/<path>` at head; /dev/null for a side without the file). */
  diff(f: OutputChange): string {
    const before = f.before?.content;
    const after = f.after?.content;
    const modeLine = f.before && f.after && f.before.mode !== f.after.mode ? `old mode 100${f.before.mode.toString(8)}\nnew mode 100${f.after.mode.toString(8)}\n` : '';
    const key1 = `${f.path}\0${before ?? '\u0001'}`;
    let inner = this.memo.get(key1);
    if (!inner) {
      inner = new Map();
      this.memo.set(key1, inner);
    }
    const key2 = after ?? '\u0001';
    let text = inner.get(key2);
    if (text === undefined) {
      const binary = f.before?.encoding === 'base64' || f.after?.encoding === 'base64';
      text = unifiedDiff([{ path: f.path, desired: after, actual: before, ...(binary ? { binary: true } : {}) }]);
      inner.set(key2, text);
    }
    return modeLine + text;
  }
}

function countTargets(targets: readonly TargetImpact[]): ImpactCounts {
  const by = (key: (t: Target) => string | undefined): Record<string, number> => {
    const m = new Map<string, number>();
    for (const t of targets) {
      const k = key(t.target);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return Object.fromEntries([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  };
  const byUser = by((t) => t.user);
  return {
    total: targets.length,
    developers: Object.keys(byUser).length,
    added: targets.filter((t) => t.change === 'added').length,
    removed: targets.filter((t) => t.change === 'removed').length,
    modified: targets.filter((t) => t.change === 'modified').length,
    by_env: by((t) => t.env),
    by_team: by((t) => t.team),
    by_project: by((t) => t.project),
    by_user: byUser,
  };
}

export function compareTargets(a: Target, b: Target): number {
  for (const k of ['env', 'team', 'user', 'project'] as const) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function matcher(filter: Partial<Target> | undefined): (t: Target) => boolean {
  if (!filter) return () => true;
  const f = Object.entries(filter).filter(([, v]) => v !== undefined) as Array<[keyof Target, string]>;
  return (t) => f.every(([k, v]) => t[k] === v);
}

/**
 * A change to `environments/<env>/teams.yml` reaches only the teams whose
 * entry differs between the revisions (compared as values, positions aside);
 * the whole environment when either side is not a readable map.
 */
function refineScopes(base: Repo, head: Repo, scopes: readonly Scope[]): Scope[] {
  const out: Scope[] = [];
  for (const s of scopes) {
    if (s.kind !== 'env-teams') {
      out.push(s);
      continue;
    }
    const path = `environments/${s.env}/teams.yml`;
    const entries = (repo: Repo): LayerMap | undefined | null => {
      const doc = repo.document(path);
      if (!doc) return {} as LayerMap;
      if (doc.findings.some((f) => f.severity === 'error')) return null;
      return doc.value === null || doc.value === undefined ? ({} as LayerMap) : isMap(doc.value) ? (doc.value as LayerMap) : null;
    };
    const a = entries(base);
    const b = entries(head);
    if (!a || !b) {
      out.push({ kind: 'env', env: s.env });
      continue;
    }
    for (const team of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(canonical(a[team])) !== JSON.stringify(canonical(b[team]))) out.push({ kind: 'env-team', env: s.env, team });
    }
  }
  return out;
}

/**
 * What the scopes read before any chain (Repo's `prefetch`, before the repo
 * is opened): the repo settings, each environment's teams.yml, the members
 * lists the index reads and the changed files. A git source reads them with
 * one `git cat-file` instead of one per document. For a change that reaches
 * every target: every file.
 */
export function scopePaths(src: RepoSource, scopes: readonly Scope[], changes: readonly ChangedFile[]): string[] {
  if (scopes.some((s) => s.kind === 'all')) return src.list('');
  const paths = ['claude-env.yml', ...src.list('environments').filter((p) => p.endsWith('/teams.yml'))];
  if (scopes.some((s) => s.kind === 'env' || s.kind === 'env-teams' || s.kind === 'project' || s.kind === 'user')) paths.push(...src.list('teams').filter((p) => p.endsWith('/members.yml')));
  for (const s of scopes) if (s.kind === 'team' || s.kind === 'env-team') paths.push(`teams/${s.team}/members.yml`);
  for (const c of changes) paths.push(c.path, ...(c.oldPath !== undefined ? [c.oldPath] : []));
  return paths;
}

interface Chain {
  readonly target: Target;
  /** Only these sections are merged and compared (a target of both revisions); undefined: the whole render. */
  readonly only: ReadonlySet<string> | undefined;
  outputs?: readonly Output[];
}

/**
 * The distinct chains of one revision that impact renders, each rendered
 * once. Where the source knows content ids (git), the outputs of a set of
 * chains are kept in the artefact cache as one entry, under every file they
 * are read from by blob id: the base side of a team's next change, or a
 * change looked at again, then renders nothing and reads no document. The
 * chains not found are prefetched in one batch (only the documents that can
 * hold a changed section) and rendered.
 */
class ChainRenders {
  private readonly chains = new Map<string, Chain>();
  /** The files each layer of the chains reads (layerFiles), by `sections|layer|id`. */
  private readonly layers = new Map<string, readonly string[]>();
  constructor(private readonly repo: Repo) {}

  /** The key of a target's chain (targets with the same key render the same outputs). */
  add(t: Target, only: ReadonlySet<string> | undefined): string {
    const user = t.user !== undefined && this.repo.hasSubdir('users', t.user) ? t.user : '';
    const key = `${only ? [...only].join(',') : '*'}|${t.env}|${t.team ?? ''}|${t.project ?? ''}|${user}`;
    if (!this.chains.has(key)) this.chains.set(key, { target: t, only });
    return key;
  }

  outputs(key: string): readonly Output[] {
    return this.chains.get(key)!.outputs!;
  }

  get size(): number {
    return this.chains.size;
  }

  /** The files of every layer of the chains, each layer folder looked at once. */
  private files(chains: readonly Chain[]): Map<string, readonly string[]> {
    for (const c of chains) {
      const only = c.only ? [...c.only].join(',') : '*';
      for (const [layer, id] of chainLayers(c.target)) {
        const k = `${only}|${layer}|${id.env ?? ''}|${id.team ?? ''}|${id.project ?? ''}|${id.user ?? ''}`;
        if (!this.layers.has(k)) this.layers.set(k, this.repo.layerFiles(layer, id, c.only));
      }
    }
    return this.layers;
  }

  /**
   * The cache key of the chains' outputs: the chains, and every file of their
   * layers by path, blob id and mode. None without content ids, or for more
   * chains than are worth one entry.
   */
  private bundleKey(chains: readonly Chain[]): string | undefined {
    const { source } = this.repo;
    const contentId = source.contentId?.bind(source);
    if (!contentId || !this.repo.artifactCache || chains.length > BUNDLE_MAX_CHAINS) return undefined;
    const parts = [`impact-outputs ${VERSION}`, `claude-env.yml ${contentId('claude-env.yml') ?? '-'}`, ...this.chains.keys()];
    for (const [k, paths] of this.files(chains)) parts.push(k, ...paths.map((p) => `${p} ${contentId(p) ?? '-'} ${source.mode(p)}`));
    return parts.join('\n');
  }

  /** Render the chains (or find them in the cache); `onRendered(n)` after every 100 and the last. */
  render(onRendered?: (n: number) => void): void {
    const chains = [...this.chains.values()];
    if (chains.length === 0) return;
    const store = this.repo.artifactCache;
    const key = this.bundleKey(chains);
    if (key !== undefined && fromBundle(store!.get(key), key, chains)) return onRendered?.(chains.length);
    if (this.repo.source.prefetch) this.repo.prefetch([...this.files(chains).values()].flat());
    const merges = createMergeCache(this.repo);
    chains.forEach((c, i) => {
      c.outputs = c.only ? renderSections(this.repo, c.target, c.only, merges) : renderTarget(this.repo, c.target, { cache: merges }).outputs;
      if (onRendered && ((i + 1) % 100 === 0 || i + 1 === chains.length)) onRendered(i + 1);
    });
    if (key !== undefined) store!.set(key, JSON.stringify({ key, outputs: chains.map((c) => c.outputs) }));
  }
}

/** A change that reaches thousands of chains (a base-layer change) renders them: one entry of all their outputs would cost more to key than it saves. */
const BUNDLE_MAX_CHAINS = 2000;

/** Fill the chains' outputs from a bundle entry; false when it is missing, damaged or of other inputs. */
function fromBundle(data: string | undefined, key: string, chains: Chain[]): boolean {
  if (data === undefined) return false;
  try {
    const entry = JSON.parse(data) as { key?: unknown; outputs?: unknown };
    if (entry.key !== key || !Array.isArray(entry.outputs) || entry.outputs.length !== chains.length) return false;
    chains.forEach((c, i) => (c.outputs = (entry.outputs as Output[][])[i]!.map((o) => Object.freeze(o))));
    return true;
  } catch {
    return false;
  }
}

/** A layer value as plain data that keeps `!delete` and secret references apart from any string. */
function canonical(v: unknown): unknown {
  if (v === DELETE) return { '\u0000delete': true };
  if (v instanceof SecretValue) return { '\u0000secret': [v.provider, v.ref] };
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
