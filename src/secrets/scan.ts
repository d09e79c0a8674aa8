/**
 * Secret scanning with secretlint's core and its recommended rule preset
 * (`@secretlint/secretlint-rule-preset-recommend`): the validate rule
 * (validate/rules/secrets.ts) decides what to scan and what a hit means; this
 * edge runs secretlint over texts and returns where each secret starts and its
 * fingerprint, never the secret itself.
 *
 * secretlint is loaded on the first scan, so only `validate` pays for it.
 * Its profiler is turned off: it records a performance mark per rule and file
 * and measures between them, which makes a run over thousands of files
 * quadratic (the `secretlint` CLI takes minutes on a big repo because of it).
 */
import type { ScanInput, SecretHit, SecretScanner } from '../validate/rule.js';
import { sha256 } from '../provenance/hash.js';

interface Engine {
  lintSource: typeof import('@secretlint/core').lintSource;
  config: import('@secretlint/types').SecretLintCoreConfig;
}

let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const [{ lintSource }, { secretLintProfiler }, { creator }] = await Promise.all([
      import('@secretlint/core'),
      import('@secretlint/profiler'),
      import('@secretlint/secretlint-rule-preset-recommend'),
    ]);
    secretLintProfiler.setEnabled(false);
    return { lintSource, config: { rules: [{ id: creator.meta.id, rule: creator }] } };
  })();
  return engine;
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

/** Scan texts one by one (each distinct content once: the caller dedupes). */
export const scanForSecrets: SecretScanner = async (inputs: readonly ScanInput[]): Promise<SecretHit[]> => {
  if (inputs.length === 0) return [];
  const { lintSource, config } = await loadEngine();
  const hits: SecretHit[] = [];
  for (const input of inputs) {
    const result = await lintSource({
      source: { content: input.text, filePath: input.path, ext: extensionOf(input.path), contentType: 'text' },
      options: { config, noPhysicFilePath: true },
    });
    for (const m of result.messages) {
      if (m.type !== 'message') continue;
      const { offset, matched } = locateSecret(input.text, m.range, m.data as Record<string, unknown> | undefined);
      hits.push({ id: input.id, rule: m.ruleId, kind: m.messageId, offset, fingerprint: secretFingerprint(m.ruleId, matched) });
    }
  }
  return hits;
};
