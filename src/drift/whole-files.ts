/**
 * Drift of the outputs that are one leaf each: the managed block of
 * `.claude/CLAUDE.md` (`instructions`), and the whole files of personas,
 * workflows and `files/` overlays. They are shown as `{sha256, bytes}`
 * summaries, never their contents. Also the outputs claude-env wrote before
 * and no longer renders (apply removes them).
 */
import { findBlock } from '../render/shared-files.js';
import { joinKeyPath } from '../provenance/tree.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { ActualFile, FileResult, Finding, MachineState, ManagedOutput } from './types.js';
import { octal, sameText, summarize, type SecretCheck } from './values.js';

const NONE: FileResult = Object.freeze({ findings: [], managed: 1, drifted: 0 });
const one = (finding: Finding): FileResult => ({ findings: [finding], managed: 1, drifted: 1 });

const stem = (path: string, folder: string): string => {
  const at = path.lastIndexOf(`/${folder}/`);
  const rest = at >= 0 ? path.slice(at + folder.length + 2) : path;
  return rest.endsWith('.md') ? rest.slice(0, -3) : rest;
};

/** The merged-tree key an output is rendered from: `personas.<name>`, `workflows.<name>`, `files.<path under .claude/>`. */
export function outputSegments(kind: OutputKind, path: string): string[] {
  switch (kind) {
    case 'settings-json':
      return ['settings'];
    case 'claude-json':
    case 'mcp-json':
    case 'agent-mcp':
      return ['mcpServers'];
    case 'claude-md':
      return ['instructions'];
    case 'agent':
      return ['personas', stem(path, 'agents')];
    case 'command':
      return ['workflows', stem(path, 'commands')];
    case 'file':
      return ['files', path.startsWith('.claude/') ? path.slice('.claude/'.length) : path];
    case 'managed-settings':
      return ['security', 'managed-settings'];
  }
}

export const itemPath = (segments: readonly string[]): string => joinKeyPath(segments);

/** The managed block of CLAUDE.md is one leaf: missing (no file, no block) or modified; `check`: see values.ts `sameText`. */
export function compareInstructions(o: Output, actual: ActualFile | undefined, check?: SecretCheck): FileResult {
  const segments = ['instructions'];
  const text = actual?.content;
  const at = text === undefined ? undefined : findBlock(text);
  if (at && sameText(o.content, text!.slice(at.start, at.end), check)) return NONE;
  // Summaries hash the content: only for items that are reported.
  const expected = summarize(o.content);
  if (!at) return one({ segments, file: o.path, kind: 'missing', expected, actual: null, value: expected });
  const block = text!.slice(at.start, at.end);
  return one({ segments, file: o.path, kind: 'modified', expected, actual: summarize(block), value: expected });
}

/** The mode apply gives a whole file (secrets are private). */
const wantedMode = (o: Output): number => (o.secret ? 0o600 : o.mode) & 0o777;

/**
 * A persona, workflow or overlay file. A file in the way that claude-env
 * never wrote (not in `managed`) is drift apply will not fix without --force.
 * A binary overlay (`encoding: base64`) is compared with the actual content
 * read as base64 too.
 */
export function compareWholeFile(o: Output, actual: ActualFile | undefined, managed: ManagedOutput | undefined, check?: SecretCheck): FileResult {
  const segments = outputSegments(o.kind, o.path);
  const content = actual?.content;
  const same = content !== undefined && (o.encoding === 'base64' ? o.content === content : sameText(o.content, content, check));
  const mode = actual?.mode === undefined ? undefined : actual.mode & 0o777;
  if (same && (mode === undefined || mode === wantedMode(o))) return NONE;
  // Summaries hash the content: only for items that are reported.
  const expected = summarize(o.content, o.encoding);
  if (content === undefined) return one({ segments, file: o.path, kind: 'missing', expected, actual: null, value: expected });
  if (!same) {
    const finding: Finding = { segments, file: o.path, kind: 'modified', expected, actual: summarize(content, o.encoding), value: expected };
    return one(managed ? finding : { ...finding, unmanaged: true });
  }
  return one({ segments, file: o.path, kind: 'modified', expected: { ...expected, mode: octal(wantedMode(o)) }, actual: { ...expected, mode: octal(mode!) }, value: expected });
}

/**
 * The outputs claude-env wrote before and no longer renders, with what it
 * recorded of each, in the state's order: what apply removes, diff shows
 * going and drift reports. The one place that says which they are.
 */
export function noLongerRendered(desired: ReadonlyArray<{ readonly path: string }>, state: MachineState): Array<[string, ManagedOutput]> {
  const rendered = new Set(desired.map((o) => o.path));
  return Object.entries(state.outputs).filter(([path]) => !rendered.has(path));
}

/** An output claude-env wrote before and no longer renders: one item while it is still there. */
export function compareRemoved(path: string, record: ManagedOutput, actual: ActualFile | undefined): FileResult {
  if (actual?.content === undefined) return { findings: [], managed: 0, drifted: 0 };
  const segments = outputSegments(record.kind, path);
  const shown = summarize(actual.content);
  return one({ segments, file: path, kind: 'modified', expected: null, actual: shown, value: shown });
}
