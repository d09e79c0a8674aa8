/** Render a target: merge its layers, then compile the merged tree into outputs. */
import type { Finding, Target } from '../vocabulary.js';
import type { TreeMap } from '../provenance/tree.js';
import type { Repo } from '../repo/repo.js';
import { mergeTarget, type MergedTarget, type MergeOptions } from '../merge/target.js';
import { byPath, renderManagedSettings, renderOutputs, renderProjectMcp, type Output, type SecretUse } from './outputs.js';
import { DELETE, SecretValue, isMap, originAt, type LayerValue, type Value } from '../provenance/tree.js';
import type { LayerDocument } from '../repo/repo.js';
import { VERSION } from '../version.js';
import { harnessesOf, renderHarnesses } from './harnesses.js';

export interface Rendered {
  readonly target: Target;
  readonly tree: TreeMap;
  readonly outputs: readonly Output[];
  readonly findings: readonly Finding[];
}

export interface RenderOptions extends MergeOptions {
  /** Render the project's `.mcp.json` too (`--project-dir`): the servers the project layer names go there. */
  projectMcp?: boolean;
  /** Render Claude Code's managed settings too (`--managed DIR`): the enforced part of the security policy. */
  managed?: boolean;
  /** As a `managed-settings.d/` fragment of its own, beside whatever `managed-settings.json` the machine has. */
  managedFragment?: boolean;
}

export function renderTarget(repo: Repo, target: Target, opts: RenderOptions = {}): Rendered {
  return renderMerged(repo, mergeTarget(repo, target, opts), opts);
}

function renderMerged(repo: Repo, merged: MergedTarget, opts: RenderOptions): Rendered {
  const target = merged.target;
  let outputs = renderOutputs(repo, merged.tree);
  if (opts.projectMcp && target.project !== undefined) {
    const split = renderProjectMcp(merged.tree['settings'], merged.tree['mcpServers'], projectServerNames(repo, target.project));
    const replaced = new Set(split.map((o) => o.path as string));
    outputs = [...outputs.filter((o) => !replaced.has(o.path)), ...split].sort(byPath);
  }
  if (opts.managed) outputs = [...outputs, renderManagedSettings(merged.tree['security'], opts.managedFragment === true)].sort(byPath);
  const harnesses = harnessesOf(repo.settings, target.env);
  if (harnesses.length > 0) outputs = [...outputs, ...renderHarnesses(harnesses, merged.tree).outputs].sort(byPath);
  return { target, tree: merged.tree, outputs: withSecretUses(outputs, merged.tree), findings: merged.findings };
}

/** Every secret of a merged tree by its description, with where the repo sets it. */
function secretsOf(tree: Value, out = new Map<string, SecretUse>()): Map<string, SecretUse> {
  if (tree === null || typeof tree !== 'object' || tree instanceof SecretValue) return out;
  const keys: Array<string | number> = Array.isArray(tree) ? tree.map((_, i) => i) : Object.keys(tree);
  for (const k of keys) {
    const v = (tree as Record<string | number, Value>)[k]!;
    if (v instanceof SecretValue) {
      const placeholder = v.describe();
      if (!out.has(placeholder)) {
        const at = originAt(tree, k);
        out.set(placeholder, { placeholder, provider: v.provider, ref: v.ref, ...(at ? { file: at.file, line: at.line, column: at.column } : {}) });
      }
    } else secretsOf(v, out);
  }
  return out;
}

/** Outputs that hold secrets, each with the secrets it holds (what apply resolves). */
function withSecretUses(outputs: readonly Output[], tree: TreeMap): readonly Output[] {
  if (!outputs.some((o) => o.secret)) return outputs;
  const all = secretsOf(tree);
  return outputs.map((o) => {
    if (!o.secret) return o;
    const secrets = [...all.values()].filter((u) => o.content.includes(u.placeholder));
    return Object.freeze({ ...o, secrets: Object.freeze(secrets) });
  });
}

/** The MCP servers a project's own layer names (defines or changes): they belong in its `.mcp.json`. */
export function projectServerNames(repo: Repo, project: string): string[] {
  const names = new Set<string>();
  for (const doc of repo.layerDocuments('project', { project })) {
    const servers = doc.root?.['mcpServers'];
    if (isMap(servers)) for (const name of Object.keys(servers)) names.add(name);
  }
  return [...names];
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * A layer value as text for a cache key: secrets, `!delete` and null told
 * apart from look-alike strings. Unlike merge's `canonical`, map key order
 * counts (it is the order of the rendered files) and null is a value.
 */
function keyText(v: LayerValue | undefined): string {
  if (v === undefined) return '~u';
  if (v === DELETE) return '~d';
  if (v instanceof SecretValue) return `~s${JSON.stringify([v.provider, v.ref])}`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(keyText).join(',')}]`;
  const m = v as Record<string, LayerValue>;
  return `{${Object.keys(m)
    .map((k) => `${JSON.stringify(k)}:${keyText(m[k])}`)
    .join(',')}}`;
}

interface CachedOutputs {
  key: string;
  outputs: Output[];
  findings?: Finding[];
}

/** The outputs of a target and the errors that keep apply from writing them (see `admittedOutputs`). */
export interface Admitted {
  readonly outputs: readonly Output[];
  readonly findings: readonly Finding[];
}

/**
 * The outputs of a target, as `renderTarget` makes them, kept between runs in
 * the repo's artefact cache under everything they are made from
 * (claude-env's version, the target, the text of every document of its chain,
 * every overlay file and its mode, the machine's extra layers, the options).
 * A warm one-target command (drift, diff, a no-change apply) then decodes no
 * document and merges nothing. A chain with errors is never stored: it throws
 * in `renderTarget` every time.
 */
export function targetOutputs(repo: Repo, target: Target, opts: RenderOptions = {}): readonly Output[] {
  return cachedRender(repo, target, opts).outputs;
}

/**
 * The outputs of a target with what `admit` finds in its merged tree (the
 * checks apply makes before it writes: src/validate/target.ts), both kept in
 * the artefact cache under the same inputs as `targetOutputs`: a warm apply
 * neither merges nor checks again. `admit` must be a pure function of the
 * merged tree and the repo settings.
 */
export function admittedOutputs(repo: Repo, target: Target, opts: RenderOptions, admit: (merged: MergedTarget) => Finding[]): Admitted {
  return cachedRender(repo, target, opts, admit);
}

function cachedRender(repo: Repo, target: Target, opts: RenderOptions, admit?: (merged: MergedTarget) => Finding[]): Admitted {
  const fresh = (): Admitted => {
    const merged = mergeTarget(repo, target, opts);
    return { outputs: renderMerged(repo, merged, opts).outputs, findings: admit ? admit(merged) : [] };
  };
  const store = repo.artifactCache;
  if (!store || opts.section !== undefined) return fresh();
  const parts = repo.chainParts(target);
  const head = `outputs\0${VERSION}\0${JSON.stringify(target)}\0${opts.projectMcp ? 'project-mcp' : ''}${opts.managed ? (opts.managedFragment ? ' managed-fragment' : ' managed') : ''}\0${(opts.extra ?? []).map((d: LayerDocument) => `${d.layer}\0${d.file}\0${keyText(d.root)}`).join('\0')}`;
  // The key is the inputs themselves (the store files it under a short hash of them): a hit is checked against every byte.
  const key = head + parts.map(([name, content]) => `\0${name}\0${typeof content === 'string' ? `${content.length}\0${content}` : `b${base64(content)}`}`).join('');
  const name = `${admit ? 'admitted' : 'outputs'}\0${key}`;
  const hit = store.get(name);
  if (hit !== undefined) {
    try {
      const entry = JSON.parse(hit) as CachedOutputs;
      if (entry.key === key && (!admit || Array.isArray(entry.findings))) return { outputs: entry.outputs.map((o) => Object.freeze(o)), findings: entry.findings ?? [] };
    } catch {
      /* a damaged entry is a miss */
    }
  }
  const got = fresh();
  store.set(name, JSON.stringify({ key, outputs: [...got.outputs], ...(admit ? { findings: [...got.findings] } : {}) } satisfies CachedOutputs));
  return got;
}
