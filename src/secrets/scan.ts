/**
 * Secret scanning with secretlint's core and its recommended rule preset
 * (`@secretlint/secretlint-rule-preset-recommend`): the validate rule
 * (validate/rules/secrets.ts) decides what to scan and what a hit means; this
 * edge runs secretlint over texts and returns where each secret starts and its
 * fingerprint, never the secret itself.
 *
 * secretlint is loaded on the first scan, so only `validate` pays for it.
 * Its profiler is turned off: it records a performance mark per rule and file
 * and measures between them (3× slower over the 5,000 files of the bench org).
 * Texts are scanned in batches first, and on their own only when their batch
 * finds something (see `suspects`).
 */
import type { ScanInput, SecretHit, SecretScanner } from '../validate/rule.js';
import { sha256 } from '../provenance/hash.js';

interface Engine {
  lintSource: typeof import('@secretlint/core').lintSource;
  config: import('@secretlint/types').SecretLintCoreConfig;
}

/** secretlint, loaded on the first scan: the module loader keeps its modules, so a later scan costs a lookup. */
async function loadEngine(): Promise<Engine> {
  const [{ lintSource }, { secretLintProfiler }, { creator }] = await Promise.all([
    import('@secretlint/core'),
    import('@secretlint/profiler'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]);
  secretLintProfiler.setEnabled(false);
  return { lintSource, config: { rules: [{ id: creator.meta.id, rule: creator }] } };
}

/** `sha256:` and the first 16 hex digits of sha256(rule id, NUL, matched text). */
export function secretFingerprint(rule: string, matched: string): string {
  return `sha256:${sha256(`${rule}\0${matched}`).slice(0, 16)}`;
}

/**
 * The extension secretlint is told. Some of its rules decide by it: `.json`
 * is parsed as a GCP service-account key, and `.p12` makes the GCP rule read
 * the file from disk by its name, which a git revision source has not got.
 */
function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  return ext === '.p12' ? '' : ext;
}

/**
 * Where the secret of a secretlint message is, and what it is. secretlint puts
 * the matched value(s) in the message data; its range is where the rule
 * matched, which for some rules (AWS secret access keys) starts at the key
 * name. The secret is the longest data value found in the text from the
 * range on; without one, the text of the range.
 */
function locateSecret(text: string, range: readonly [number, number], data: Readonly<Record<string, unknown>> | undefined): { offset: number; matched: string } {
  let best: { offset: number; matched: string } | undefined;
  for (const v of Object.values(data ?? {})) {
    if (typeof v !== 'string' || v.length < 8) continue;
    const at = text.indexOf(v, range[0]);
    if (at < 0 || at > Math.max(range[1], range[0])) continue;
    if (!best || v.length > best.matched.length) best = { offset: at, matched: v };
  }
  return best ?? { offset: range[0], matched: text.slice(range[0], range[1]) };
}

type Messages = Awaited<ReturnType<Engine['lintSource']>>['messages'];

async function lint(e: Engine, text: string, path: string, ext: string): Promise<Messages> {
  const result = await e.lintSource({ source: { content: text, filePath: path, ext, contentType: 'text' }, options: { config: e.config, noPhysicFilePath: true } });
  return result.messages.filter((m) => m.type === 'message');
}

/** The exact scan of one text, as the `secretlint` CLI would scan that file. */
async function scanOne(e: Engine, input: ScanInput): Promise<SecretHit[]> {
  const hits: SecretHit[] = [];
  for (const m of await lint(e, input.text, input.path, extensionOf(input.path))) {
    const { offset, matched } = locateSecret(input.text, m.range, m.data as Record<string, unknown> | undefined);
    hits.push({ id: input.id, rule: m.ruleId, kind: m.messageId, offset, fingerprint: secretFingerprint(m.ruleId, matched) });
  }
  return hits;
}

/**
 * Texts that can be scanned together: not those whose name secretlint's rules
 * look at (`.json` read as a GCP key, `.npmrc`, `package.json`), and not those
 * with `secretlint-disable` comments (which reach to the end of the text).
 */
function batchable(input: ScanInput): boolean {
  const name = input.path.slice(input.path.lastIndexOf('/') + 1);
  if (name === '.npmrc' || name === 'package.json' || name === 'package-lock.json') return false;
  if (name.endsWith('.json') || name.endsWith('.p12')) return false;
  return !input.text.includes('secretlint');
}

/** Characters per batch, and what separates texts in it (a blank line: every pattern of the preset stops at it, as at a file's end). */
const BATCH_CHARS = 512 * 1024;
const SEPARATOR = '\n\n';

/**
 * The texts of a group that may hold a secret: the group is scanned as one
 * text; when that finds nothing, none of them holds one; else each half is
 * scanned the same way, down to single texts, which the caller scans exactly.
 * (secretlint's set-up per scan costs more than scanning a small file: one
 * scan per 512 KiB instead of one per file makes scanning a clean repo ~10×
 * faster, and only the texts with a hit are scanned on their own.)
 */
async function suspects(e: Engine, group: readonly ScanInput[]): Promise<ScanInput[]> {
  if (group.length <= 1) return [...group];
  const text = group.map((i) => i.text).join(SEPARATOR);
  if ((await lint(e, text, 'claude-env-scan-batch.txt', '.txt')).length === 0) return [];
  const half = group.length >> 1;
  return [...(await suspects(e, group.slice(0, half))), ...(await suspects(e, group.slice(half)))];
}

/** Scan texts (each distinct content once: the caller dedupes); every hit is from an exact scan of its own text. */
export const scanForSecrets: SecretScanner = async (inputs: readonly ScanInput[]): Promise<SecretHit[]> => {
  if (inputs.length === 0) return [];
  const e = await loadEngine();
  const alone = inputs.filter((i) => !batchable(i));
  const batches: ScanInput[][] = [];
  let batch: ScanInput[] = [];
  let size = 0;
  for (const input of inputs) {
    if (!batchable(input)) continue;
    if (size + input.text.length > BATCH_CHARS && batch.length > 0) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(input);
    size += input.text.length + SEPARATOR.length;
  }
  if (batch.length > 0) batches.push(batch);
  for (const b of batches) alone.push(...(await suspects(e, b)));
  const order = new Map(inputs.map((input, i) => [input, i]));
  alone.sort((a, b) => order.get(a)! - order.get(b)!);
  const hits: SecretHit[] = [];
  for (const input of alone) hits.push(...(await scanOne(e, input)));
  return hits;
};
