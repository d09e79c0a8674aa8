/**
 * Drift of the two JSON files claude-env shares, compared the way apply
 * merges them (src/apply/merge-files.ts), leaf by leaf:
 * - `.claude/settings.json`: every rendered leaf; the leaves claude-env wrote
 *   before and no longer renders (apply removes them); the keys the user
 *   added (extras, kept by apply).
 * - `.claude.json`: `mcpServers` only, parsed, never the bytes (Claude Code
 *   rewrites the rest). A managed server's entry is rewritten whole by apply,
 *   so a key the user added inside it is drift; a server the user added is
 *   an extra.
 */
import { getAt, isJsonObject, jsonLeaves, type Json } from '../render/shared-files.js';
import { agentMcpView } from '../render/agent-files.js';
import { splitKeyPath } from '../provenance/tree.js';
import type { Output } from '../render/outputs.js';
import type { ActualFile, FileResult, Finding } from './types.js';
import { PathSet, parseObject, sameJson, shownActual, summarize, type Parsed, type SecretCheck } from './values.js';

type Leaf = [string[], Json];

/** A managed leaf: missing, modified, or in sync (undefined). */
function leafFinding(file: string, segments: string[], expected: Json, actual: Json | undefined, check: SecretCheck | undefined): Finding | undefined {
  if (actual === undefined) return { segments, file, kind: 'missing', expected, actual: null, value: expected };
  if (sameJson(expected, actual, check)) return undefined;
  return { segments, file, kind: 'modified', expected, actual: shownActual(segments, expected, actual), value: expected };
}

/** Something apply will take away: claude-env wrote it and no longer renders it. */
const removal = (file: string, segments: string[], actual: Json): Finding => ({
  segments,
  file,
  kind: 'modified',
  expected: null,
  actual: shownActual(segments, undefined, actual),
  value: actual,
});

const extra = (file: string, segments: string[], actual: Json): Finding => ({
  segments,
  file,
  kind: 'extra',
  expected: null,
  actual: shownActual(segments, undefined, actual),
  value: actual,
});

/** A file that no longer parses: one item, and every managed leaf in it counts as drifted. */
function corrupt(file: string, root: string, reason: string, content: string, leaves: number, expected: string): FileResult {
  const finding: Finding = { segments: [root], file, kind: 'corrupt', expected, actual: { error: reason, ...summarize(content) }, value: undefined };
  return { findings: [finding], managed: leaves, drifted: leaves };
}

function compareLeaves(file: string, root: string, leaves: readonly Leaf[], actual: Json | undefined, check: SecretCheck | undefined): Finding[] {
  const out: Finding[] = [];
  for (const [p, v] of leaves) {
    const f = leafFinding(file, [root, ...p], v, getAt(actual, p), check);
    if (f) out.push(f);
  }
  return out;
}

/** `.claude/settings.json` against the rendered settings and the leaves claude-env owned (`state.outputs[…].owned`); `check`: see values.ts `sameText`. */
export function compareSettings(o: Output, actual: ActualFile | undefined, owned: readonly string[], check?: SecretCheck): FileResult {
  const file = o.path;
  const leaves = jsonLeaves(JSON.parse(o.content) as Json);
  const parsed = parseObject(actual?.content);
  if (!parsed.ok) return corrupt(file, 'settings', parsed.reason, actual!.content!, leaves.length, 'a JSON object');
  const have = parsed.value;
  const findings = compareLeaves(file, 'settings', leaves, have, check);
  const managed = new PathSet(leaves.map(([p]) => p));
  // Owned leaves under or above a rendered leaf are rewritten with it, not removed.
  const stale = owned.map(splitKeyPath).filter((p) => !managed.touches(p));
  const removals = stale.flatMap((p) => {
    const v = getAt(have, p);
    return v === undefined ? [] : [removal(file, ['settings', ...p], v)];
  });
  const known = new PathSet([...leaves.map(([p]) => p), ...stale]);
  const extras = have ? known.uncovered(have).map(([p, v]) => extra(file, ['settings', ...p], v)) : [];
  return { findings: [...findings, ...removals, ...extras], managed: leaves.length + removals.length, drifted: findings.length + removals.length };
}

/** One rendered server against the entry on disk. */
function compareServer(file: string, name: string, want: Json, have: Json | undefined, check: SecretCheck | undefined): FileResult {
  const leaves = jsonLeaves(want, [name]);
  const findings = compareLeaves(file, 'mcpServers', leaves, have === undefined ? undefined : { [name]: have }, check);
  const added = isJsonObject(have) ? new PathSet(leaves.map(([p]) => p)).uncovered(have, [name]).map(([p, v]) => removal(file, ['mcpServers', ...p], v)) : [];
  return { findings: [...findings, ...added], managed: leaves.length + added.length, drifted: findings.length + added.length };
}

/** `.claude.json` `mcpServers` against the rendered servers and the servers claude-env wrote before (`owned`); `check`: see values.ts `sameText`. */
export function compareClaudeJson(o: Output, actual: ActualFile | undefined, owned: readonly string[], check?: SecretCheck): FileResult {
  return compareServers(o, actual, owned, check, parseObject, 'a JSON object');
}

/**
 * Another agent's MCP file (src/render/harnesses.ts) as `.claude.json`'s
 * servers: read in its own format (Codex's TOML, JSON with comments), then
 * compared entry by entry; a file that does not parse is one corrupt item.
 */
export function compareAgentMcp(o: Output, actual: ActualFile | undefined, owned: readonly string[], check?: SecretCheck): FileResult {
  const read = (content: string | undefined): Parsed => {
    if (content === undefined) return { ok: true, value: undefined };
    try {
      return { ok: true, value: agentMcpView(o.path, content) };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  };
  return compareServers(o, actual, owned, check, read, o.path.endsWith('.toml') ? 'a TOML document' : 'a JSON object');
}

/** A file's `mcpServers`, read by `read`, against the rendered servers and the servers claude-env wrote before (`owned`). */
function compareServers(o: Output, actual: ActualFile | undefined, owned: readonly string[], check: SecretCheck | undefined, read: (content: string | undefined) => Parsed, expected: string): FileResult {
  const file = o.path;
  const want = ((JSON.parse(o.content) as { mcpServers?: Record<string, Json> }).mcpServers ?? {}) as Record<string, Json>;
  const parsed = read(actual?.content);
  if (!parsed.ok) {
    const leaves = Object.keys(want).reduce((n, name) => n + jsonLeaves(want[name]!, [name]).length, 0);
    return corrupt(file, 'mcpServers', parsed.reason, actual!.content!, leaves, expected);
  }
  const servers = parsed.value?.['mcpServers'];
  const have: Record<string, Json> = isJsonObject(servers) ? servers : {};
  const results = Object.keys(want).map((name) => compareServer(file, name, want[name]!, Object.hasOwn(have, name) ? have[name] : undefined, check));
  const ours = new Set(owned);
  const others = Object.keys(have).filter((name) => !Object.hasOwn(want, name));
  const removals = others.filter((name) => ours.has(name)).map((name) => removal(file, ['mcpServers', name], have[name]!));
  const extras = others.filter((name) => !ours.has(name)).map((name) => extra(file, ['mcpServers', name], have[name]!));
  return {
    findings: [...results.flatMap((r) => r.findings), ...removals, ...extras],
    managed: results.reduce((n, r) => n + r.managed, removals.length),
    drifted: results.reduce((n, r) => n + r.drifted, removals.length),
  };
}
