/**
 * `claude-env diff`: what apply would change, as a unified diff per file
 * (jsdiff, `a/<path>` → `b/<path>`, 3 lines of context; `/dev/null` for the
 * side where the file does not exist). The desired side of a shared file is
 * the whole file as apply would write it (src/apply/merge-files.ts over what
 * is on disk), so the diff is exactly apply's change. Rendered secrets stay
 * `«secret:…»`; an actual line that matches such a line shows as it, so a
 * resolved secret never appears in a diff.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { mergeClaudeJson, mergeClaudeMd, mergeSettingsJson } from '../render/shared-files.js';
import { byPath, type Output } from '../render/outputs.js';
import type { ActualSnapshot, MachineState } from '../state/types.js';
import { SECRET, SECRETS, sameShape, sameText, type SecretCheck } from './values.js';
import { shownFileTexts } from './diff-mask.js';

export interface FileDiff {
  readonly path: string;
  /** The file as apply would leave it; undefined: apply removes it. */
  readonly desired: string | undefined;
  /** The file on disk; undefined: there is none. */
  readonly actual: string | undefined;
  /** Binary content (base64): only say that it differs. */
  readonly binary?: boolean;
}


/** A value as it stands in a line: raw, or inside a JSON string (escaped). */
const rawOrJson =
  (check: SecretCheck) =>
  (placeholder: string, text: string): boolean => {
    if (check(placeholder, text)) return true;
    try {
      return check(placeholder, JSON.parse(`"${text}"`) as string);
    } catch {
      return false;
    }
  };

/**
 * `actual` with each line that matches a secret-bearing desired line replaced
 * by that line: a resolved secret never shows. Where drift can tell (`check`,
 * by the keyed hashes in state) that the value on disk is not the one apply
 * wrote, the line shows `«changed secret:…»` instead, so the diff says so
 * without showing either value.
 */
function maskResolvedSecrets(desired: string, actual: string, check: SecretCheck | undefined): string {
  const secretLines = desired.split('\n').filter((l) => SECRET.test(l));
  if (secretLines.length === 0) return actual;
  const verify = check ? rawOrJson(check) : undefined;
  return actual
    .split('\n')
    .map((line) => {
      const d = secretLines.find((l) => sameShape(l, line));
      if (d === undefined) return line;
      return !verify || sameText(d, line, verify) ? d : d.replace(SECRETS, (p) => p.replace('«secret:', '«changed secret:'));
    })
    .join('\n');
}

function fileDiff(f: FileDiff, check?: SecretCheck): string {
  if (f.desired === f.actual) return '';
  const oldName = f.actual === undefined ? '/dev/null' : `a/${f.path}`;
  const newName = f.desired === undefined ? '/dev/null' : `b/${f.path}`;
  if (f.binary) return `Binary files ${oldName} and ${newName} differ\n`;
  const desired = f.desired ?? '';
  const actual = f.actual === undefined ? '' : maskResolvedSecrets(desired, f.actual, check);
  if (f.desired !== undefined && f.actual !== undefined && desired === actual) return '';
  return createTwoFilesPatch(oldName, newName, actual, desired, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
}

/**
 * One unified diff of every file that differs, in the order given; '' when
 * none does. With `check` (the machine's secret hashes) a secret changed on
 * disk shows as `«changed secret:…»`.
 */
export function unifiedDiff(files: readonly FileDiff[], check?: SecretCheck): string {
  return files.map((f) => fileDiff(f, check)).join('');
}

export interface DesiredFileOptions {
  /** As `apply --force`: an unmanaged file in the way is replaced. */
  readonly force?: boolean;
}

/**
 * The whole file as apply would write it over `actual`. A broken
 * settings.json is rewritten (apply saves it in a restore point first); a
 * broken `.claude.json` throws UnparsableFileError, as apply refuses it. An
 * unmanaged persona, workflow or overlay file in the way stays as it is
 * unless `force`.
 */
export function desiredFileContent(output: Output, actual: string | undefined, state: MachineState, opts: DesiredFileOptions = {}): string {
  const owned = state.outputs[output.path]?.owned ?? [];
  switch (output.kind) {
    case 'settings-json':
      return mergeSettingsJson(output.content, actual, owned, true).content;
    case 'claude-json':
    case 'mcp-json':
      return mergeClaudeJson(output.content, actual, owned).content;
    case 'claude-md':
      return mergeClaudeMd(output.content, actual).content;
    default:
      if (actual !== undefined && !state.outputs[output.path] && !opts.force) return actual;
      return output.content;
  }
}

/**
 * Every file apply would touch, desired beside actual, sorted by path: the
 * desired outputs, and the files claude-env wrote before and no longer
 * renders (apply removes them). In the JSON files shared with the user, the
 * credentials the user keeps there show as `«hidden»` on both sides.
 */
export function diffFiles(desired: readonly Output[], actual: ActualSnapshot, state: MachineState, opts: DesiredFileOptions = {}): FileDiff[] {
  const files: FileDiff[] = desired.map((o) => {
    const now = actual.get(o.path)?.content;
    // Credentials the user keeps in a shared JSON file are hidden on both sides (diff-mask.ts).
    return { path: o.path, ...shownFileTexts(o, desiredFileContent(o, now, state, opts), now), ...(o.encoding === 'base64' ? { binary: true } : {}) };
  });
  const paths = new Set<string>(desired.map((o) => o.path));
  for (const path of Object.keys(state.outputs)) {
    const now = actual.get(path)?.content;
    if (!paths.has(path) && now !== undefined) files.push({ path, desired: undefined, actual: now });
  }
  return files.sort(byPath);
}
