/**
 * Plain-text secrets in any file of the config repo (YAML, Markdown, scripts
 * under files/, CI workflows…), found by the secret scanner the caller passes
 * (secretlint's recommended rules, src/secrets/scan.ts). Each distinct file
 * content is scanned once. A value tagged `!secret` or `!encrypted` is not
 * plain text: a hit inside one is dropped (an age armored block is not a
 * leaked key). `secrets.allow` in claude-env.yml accepts known secrets by the
 * fingerprint each finding shows; the finding itself never shows the secret.
 */
import type { Node as YamlNode } from 'yaml';
import { positionAt } from '../../errors.js';
import { isYamlPath } from '../../repo/layout.js';
import { parseAst, withinYamlLimits, type Yaml } from '../../repo/yaml.js';
import type { Rule, RuleContext, ScanInput, SecretHit } from '../rule.js';

const decoder = new TextDecoder('utf-8', { fatal: false });

/** A NUL byte in the first 8 KiB: binary (images, archives), not scanned as text. */
function isBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * What of a file's name the scanner's rules look at (`.json` files are read as
 * GCP keys, `.npmrc` and `package.json` have rules of their own): two files
 * with the same content and the same class need one scan.
 */
function nameClass(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === '.npmrc' || name === 'package.json' || name === 'package-lock.json') return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** [start, end) of every scalar tagged !secret or !encrypted in a YAML text. */
function taggedRanges(text: string, yaml: Yaml): Array<readonly [number, number]> {
  if (!text.includes('!secret') && !text.includes('!encrypted')) return [];
  // A document past its bounds is never parsed (it is a finding of its own): none of its hits is taken for a tagged value.
  if (!withinYamlLimits(text, yaml)) return [];
  const { visit, isScalar } = yaml.lib();
  const out: Array<readonly [number, number]> = [];
  visit(parseAst(text, yaml).doc, {
    Scalar(_key, node) {
      if (isScalar(node) && (node.tag === '!secret' || node.tag === '!encrypted') && (node as YamlNode).range) {
        const [start, , end] = (node as YamlNode).range!;
        out.push([start, end]);
      }
    },
  });
  return out;
}

const shortRule = (id: string): string => id.replace(/^@secretlint\/secretlint-rule-/, '');

interface Content {
  readonly input: ScanInput;
  readonly paths: string[];
}

function readTexts(ctx: RuleContext): Map<string, Content> {
  const paths = ctx.repo.files();
  ctx.repo.source.prefetch?.(paths.filter((p) => !isYamlPath(p)));
  const byKey = new Map<string, Content>();
  for (const path of paths) {
    let text: string | undefined;
    if (isYamlPath(path)) text = ctx.repo.document(path)?.text;
    else {
      const bytes = ctx.repo.source.read(path);
      if (bytes !== undefined && !isBinary(bytes)) text = decoder.decode(bytes);
    }
    if (text === undefined || text.length === 0) continue;
    const key = `${nameClass(path)}\0${text}`;
    const seen = byKey.get(key);
    if (seen) seen.paths.push(path);
    else byKey.set(key, { input: { id: String(byKey.size), path, text }, paths: [path] });
  }
  return byKey;
}

/** The fingerprints of claude-env.yml `secrets.allow`, each with its index there. */
function allowList(ctx: RuleContext): Map<string, number> {
  const secrets = ctx.repo.settings.raw['secrets'];
  const allow = secrets && typeof secrets === 'object' ? (secrets as Record<string, unknown>)['allow'] : undefined;
  const out = new Map<string, number>();
  if (!Array.isArray(allow)) return out;
  allow.forEach((entry, i) => {
    const fp = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['fingerprint'] : undefined;
    if (typeof fp === 'string' && !out.has(fp)) out.set(fp, i);
  });
  return out;
}

export const secretsRule: Rule = {
  findings: {
    'secret-detected': 'a plain-text secret in a file of the config repo (secretlint recommended rules); use !secret or !encrypted',
    'secret-allow-unused': 'a claude-env.yml secrets.allow fingerprint that matches no secret in the repo',
  },
  description: 'secret scanning of every file of the repo with secretlint; !secret and !encrypted values are not plain text',
  async check(ctx) {
    const scan = ctx.secretScanner;
    if (!scan) return;
    const contents = readTexts(ctx);
    const byId = new Map([...contents.values()].map((c) => [c.input.id, c]));
    const hits = await scan([...contents.values()].map((c) => c.input));
    const hitsById = new Map<string, SecretHit[]>();
    for (const h of hits) {
      const list = hitsById.get(h.id) ?? [];
      list.push(h);
      hitsById.set(h.id, list);
    }
    const allowed = allowList(ctx);
    const used = new Set<string>();
    for (const [id, list] of hitsById) {
      const content = byId.get(id);
      if (!content) continue;
      const { text } = content.input;
      let tagged: Array<readonly [number, number]> | undefined;
      for (const path of content.paths) {
        for (const hit of list) {
          if (allowed.has(hit.fingerprint)) {
            used.add(hit.fingerprint);
            continue;
          }
          if (isYamlPath(path)) {
            tagged ??= taggedRanges(text, ctx.repo.yaml);
            if (tagged.some(([start, end]) => hit.offset >= start && hit.offset < end)) continue;
          }
          const { line, column } = positionAt(text, hit.offset);
          ctx.report({
            rule: 'secret-detected',
            severity: 'error',
            file: path,
            line,
            column,
            message: `plain-text secret ${hit.kind} (secretlint ${shortRule(hit.rule)}), fingerprint ${hit.fingerprint}: make it a !secret reference or an !encrypted value (claude-env secret encrypt), or accept it in claude-env.yml secrets.allow with a reason`,
          });
        }
      }
    }
    const settings = ctx.repo.document('claude-env.yml');
    if (!settings) return;
    for (const [fp, i] of allowed) {
      if (used.has(fp)) continue;
      ctx.reportAt(settings, ['secrets', 'allow', i, 'fingerprint'], 'secret-allow-unused', 'warning', `no secret in the repo has fingerprint ${fp}; remove this entry`);
    }
  },
};
