/**
 * `claude-env diff`: what apply would change, as a unified diff per file
 * (jsdiff, `a/<path>` → `b/<path>`, 3 lines of context; `/dev/null` for the
 * side where the file does not exist). The new side of every file is what
 * apply's dry run would leave there (src/apply/diff.ts), so the diff is
 * exactly apply's change. Rendered secrets stay `«secret:…»`; an actual line
 * that matches such a line shows as it, so a resolved secret never appears
 * in a diff.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { byPath, type Output } from '../render/outputs.js';
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

/** One file before and after apply: the bytes on disk now, and what apply would leave (undefined: no file). */
export interface FileSides {
  readonly path: string;
  /** The output it is, when the target renders it (how to show it: shared JSON, binary). */
  readonly output?: Output;
  readonly before: Uint8Array | undefined;
  readonly after: Uint8Array | undefined;
}

/**
 * Every file apply would touch, as `diff` shows it, sorted by path. In the
 * JSON files shared with the user, the credentials the user keeps there show
 * as `«hidden»` on both sides (diff-mask.ts); a binary output only says that
 * it differs.
 */
export function diffFiles(files: readonly FileSides[]): FileDiff[] {
  return files
    .map((f): FileDiff => {
      const binary = f.output?.encoding === 'base64';
      const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString(binary ? 'base64' : 'utf8'));
      const [desired, actual] = [text(f.after), text(f.before)];
      if (!f.output) return { path: f.path, desired, actual };
      return { path: f.path, ...shownFileTexts(f.output, desired, actual), ...(binary ? { binary: true } : {}) };
    })
    .sort(byPath);
}
