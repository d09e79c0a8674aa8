/**
 * Which executable content a change adds, alters or removes, per target
 * (SPEC.md "Executable content and the trust boundary"). Judged on the
 * merged result, never on the files touched: the impact machinery finds the
 * targets whose chain reads a changed file and renders only those (and of
 * them only the sections the change reaches); the executable content of
 * each changed output file is compared (src/render/executable.ts).
 *
 * Targets are compared as identities: a target that exists at one revision
 * only (a member or assignment added or removed) is rendered at the other
 * revision too, so adding a member who gets already-approved hooks is no
 * change, while a new project folder with a hook and the assignment that
 * reaches it is one.
 *
 * A quick look first: when no changed key of any layer document can hold
 * executable content (a workflow's description, an instruction, a model),
 * and no overlay file, merge rule or schema changed, nothing is rendered.
 *
 * A removed `!secret cmd:` is not reported: it only stops a command from
 * running at apply. Every other removal is (a hook is also a guard: a
 * PreToolUse hook that blocks, an audit hook).
 */
import { ClaudeEnvError } from '../errors.js';
import type { Impact, TargetImpact } from '../impact/impact.js';
import { createMergeCache, type MergeCache } from '../merge/target.js';
import { toPlain } from '../provenance/tree.js';
import { renderTarget } from '../render/index.js';
import { diffExecutable, executableContent, formatKey, INERT_SETTINGS, isLoaderVariable, type ExecutableDiff, type ExecutableItem } from '../render/executable.js';
import type { Output } from '../render/outputs.js';
import { filePlaceOf, placeOf } from '../repo/layout.js';
import type { Repo } from '../repo/repo.js';
import type { Target } from '../vocabulary.js';
import { commandLayers } from '../validate/trust.js';
import { isLayerDocument } from './keys.js';

export interface ExecutableTarget extends ExecutableDiff {
  readonly target: Target;
}

export interface ExecutableReport {
  /** Targets whose executable content the change adds, alters or removes, in impact's order. */
  readonly targets: readonly ExecutableTarget[];
  /** A change of the repo settings that lets more run (`secrets.commands_from` widened), said in one line. */
  readonly settings?: string;
  /** Why it could not be worked out (a revision whose layers do not render): the change then counts as changing it. */
  readonly unknown?: string;
  /** Targets rendered at each revision; undefined when the quick look found nothing to render. */
  readonly rendered?: { readonly base: number; readonly head: number };
  /** Why the targets were rendered: the first changed file or key that can hold executable content. */
  readonly reason?: string;
}

/** Whether a report makes the change one of executable content. */
export const changesExecutable = (r: ExecutableReport): boolean => r.unknown !== undefined || r.settings !== undefined || r.targets.length > 0;

/**
 * Whether a change of claude-env.yml lets commands run from more layers:
 * `secrets.commands_from` naming a layer it did not (values as parsed; an
 * absent list is the default, base and environments). Narrowing it is no
 * change of executable content.
 */
export function widerCommandLayers(before: unknown, after: unknown): string | undefined {
  const a = commandLayers(isObj(before) ? before : {});
  const b = commandLayers(isObj(after) ? after : {});
  const gained = [...b.layers].filter((l) => !a.layers.has(l));
  if (gained.length === 0) return undefined;
  const list = (n: readonly string[]): string => (n.length ? n.join(', ') : 'none');
  return `claude-env.yml secrets.commands_from: ${list(a.names)} → ${list(b.names)}: !secret cmd: values of more layers run at apply`;
}

/** One changed layer document, both versions as parsed (undefined: absent at that revision); `parsed` false when either does not parse. */
export interface DocumentVersions {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly parsed: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keysOf = (a: unknown, b: unknown): string[] => [...new Set([...(isObj(a) ? Object.keys(a) : []), ...(isObj(b) ? Object.keys(b) : [])])];
const at = (v: unknown, k: string): unknown => (isObj(v) ? v[k] : undefined);
/** Replaced by something that is not a map: `!delete`, null, a scalar. */
const notMap = (v: unknown): boolean => v !== undefined && !isObj(v);

function hasCmdSecret(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('«secret:cmd:');
  if (Array.isArray(v)) return v.some(hasCmdSecret);
  return isObj(v) && Object.values(v).some(hasCmdSecret);
}

/** MCP keys claude-env never writes. */
const MCP_UNWRITTEN: ReadonlySet<string> = new Set(['description', 'expect']);
/** Persona keys Claude Code runs something from. */
const PERSONA_CODE: ReadonlySet<string> = new Set(['hooks', 'mcpServers']);
/** Workflow keys rendered into the command's body (which may hold inline shell), the shell that runs it and the tools that let it. */
const WORKFLOW_BODY: ReadonlySet<string> = new Set(['prompt', 'steps', 'persona', 'shell', 'allowed-tools', 'disallowed-tools']);

/**
 * Whether a change of the merged tree at `path` from `a` to `b` (plain
 * values of one layer document) can add, alter or remove executable content
 * for a target that reads it. Exact in one direction: a false here means no
 * rendering could find such a change, whatever the other layers hold.
 */
export function keyMayRun(path: readonly string[], a: unknown, b: unknown): boolean {
  if (hasCmdSecret(a) || hasCmdSecret(b)) return true;
  const down = (): boolean => notMap(a) || notMap(b) || keysOf(a, b).some((k) => keyMayRun([...path, k], at(a, k), at(b, k)));
  if (path.length === 0) return down();
  const [section, k1, k2] = path as [string, string?, string?];
  switch (section) {
    case 'settings':
      if (k1 === undefined) return down();
      if (INERT_SETTINGS.has(k1)) return false;
      if (k1 === 'env') return k2 === undefined ? notMap(a) || notMap(b) || keysOf(a, b).some(isLoaderVariable) : isLoaderVariable(k2);
      return true;
    case 'mcpServers':
      if (k1 === undefined) return down();
      return k2 === undefined || !MCP_UNWRITTEN.has(k2);
    case 'personas':
    case 'workflows': {
      const code = section === 'personas' ? PERSONA_CODE : WORKFLOW_BODY;
      if (k1 === undefined) return down();
      if (k2 === undefined) return notMap(a) || notMap(b) || keysOf(a, b).some((k) => code.has(k));
      return code.has(k2);
    }
    case 'files':
      return true;
    default:
      // instructions run nothing but their secrets; security and unknown sections are not written by impact's render
      return false;
  }
}

/** Calls `visit(path, a, b)` at each place two plain values differ (where one side is missing or they stop being maps); true as soon as a visit does. */
function someDifference(a: unknown, b: unknown, path: string[], visit: (path: string[], a: unknown, b: unknown) => boolean): boolean {
  if (isObj(a) && isObj(b)) {
    for (const k of keysOf(a, b)) if (someDifference(a[k], b[k], [...path, k], visit)) return true;
    return false;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return false;
  return visit(path, a, b);
}

/**
 * The quick look: the first reason the change may alter executable content
 * (a file or a `file: key`), or undefined when it certainly does not. `paths`
 * are all changed paths (both sides of a rename); `docs` the changed layer
 * documents.
 */
export function mayChangeExecutable(paths: readonly string[], docs: readonly DocumentVersions[], settings?: { readonly before: unknown; readonly after: unknown }): string | undefined {
  const parsed = new Map(docs.map((d) => [d.path, d]));
  for (const p of paths) {
    // Of claude-env.yml, rendering reads only the merge rules (and the environments, which only add or remove targets).
    if (p === 'claude-env.yml' && settings && JSON.stringify(at(settings.before, 'merge')) === JSON.stringify(at(settings.after, 'merge')) && isObj(settings.before) && isObj(settings.after)) continue;
    if (p === 'claude-env.yml') return `${p} (its merge rules reach every target)`;
    if (p.startsWith('schemas/')) return `${p} (schemas reach every target)`;
    if (filePlaceOf(p)) return `${p} (a files/ overlay)`;
    if (isLayerDocument(p) && parsed.get(p)?.parsed !== true) return `${p} (a layer document that does not parse, or is not a file)`;
  }
  for (const d of docs) {
    if (!d.parsed) return `${d.path} (a layer document that does not parse)`;
    const place = placeOf(d.path);
    const before = toPlain(d.before);
    const after = toPlain(d.after);
    let found: string | undefined;
    const visit = (p: string[], a: unknown, b: unknown): boolean => {
      const tree = [...place.section, ...p];
      if (!keyMayRun(tree, a, b)) return false;
      found = `${d.path}: ${tree.length ? formatKey(tree) : '(the whole document)'}`;
      return true;
    };
    if (place.kind === 'environment-teams') {
      // top-level keys are team names, each entry root-shaped
      if (notMap(before) || notMap(after)) return `${d.path} (the whole document)`;
      for (const team of keysOf(before, after)) if (someDifference(at(before, team), at(after, team), [], visit)) return found;
    } else if (someDifference(before, after, [], visit)) return found;
  }
  return undefined;
}

interface Side {
  readonly repo: Repo;
  readonly cache: MergeCache;
  readonly chains: Map<string, readonly ExecutableItem[]>;
  rendered: number;
}

/** The executable content of a target at a revision where impact did not render it (it is a target of the other revision only). */
function contentAt(side: Side, t: Target): readonly ExecutableItem[] {
  const user = t.user !== undefined && side.repo.hasSubdir('users', t.user) ? t.user : '';
  const key = `${t.env}|${t.team ?? ''}|${t.project ?? ''}|${user}`;
  let items = side.chains.get(key);
  if (!items) {
    side.rendered++;
    items = executableContent(renderTarget(side.repo, t, { cache: side.cache }).outputs);
    side.chains.set(key, items);
  }
  return items;
}

const outputsOf = (files: TargetImpact['files'], side: 'before' | 'after'): Output[] => files.flatMap((f) => (f[side] ? [f[side]] : []));

/** A diff without removed `!secret cmd:` values (they only stop a command from running). */
function reported(d: ExecutableDiff): ExecutableDiff | undefined {
  const removed = d.removed.filter((r) => r.kind !== 'secret-cmd');
  if (d.added.length === 0 && d.changed.length === 0 && removed.length === 0) return undefined;
  return removed.length === d.removed.length ? d : { ...d, removed };
}

/**
 * The executable content a change alters, per target, from its impact (both
 * revisions as Repos). A layer that does not render makes the report
 * `unknown` (the change counts as altering executable content).
 */
export function executableChanges(impact: Impact, base: Repo, head: Repo, reason?: string): ExecutableReport {
  const sides = { base: { repo: base, cache: createMergeCache(base), chains: new Map(), rendered: 0 } as Side, head: { repo: head, cache: createMergeCache(head), chains: new Map(), rendered: 0 } as Side };
  // Targets whose renders pair the same way share their `files` list: each pair is compared once.
  const byFiles = new WeakMap<object, ExecutableDiff | undefined>();
  const targets: ExecutableTarget[] = [];
  try {
    for (const t of impact.targets) {
      let diff: ExecutableDiff | undefined;
      if (t.change === 'modified') {
        if (byFiles.has(t.files)) diff = byFiles.get(t.files);
        else {
          diff = reported(diffExecutable(executableContent(outputsOf(t.files, 'before')), executableContent(outputsOf(t.files, 'after'))));
          byFiles.set(t.files, diff);
        }
      } else if (t.change === 'added') {
        diff = reported(diffExecutable(contentAt(sides.base, t.target), executableContent(outputsOf(t.files, 'after'))));
      } else {
        diff = reported(diffExecutable(executableContent(outputsOf(t.files, 'before')), contentAt(sides.head, t.target)));
      }
      if (diff) targets.push({ target: t.target, ...diff });
    }
  } catch (err) {
    if (!(err instanceof ClaudeEnvError)) throw err;
    return { targets, unknown: unknownReason(err), ...(reason ? { reason } : {}) };
  }
  return { targets, rendered: { base: impact.rendered.base + sides.base.rendered, head: impact.rendered.head + sides.head.rendered }, ...(reason ? { reason } : {}) };
}

/** An error that stopped rendering, as a reason. */
export function unknownReason(err: ClaudeEnvError): string {
  const where = err.file ? `${err.file}${err.line ? `:${err.line}` : ''}${err.column ? `:${err.column}` : ''}: ` : '';
  return `${where}${err.message}`;
}
