/**
 * Who may make a developer's machine run what (SPEC.md "Executable content
 * and the trust boundary"), checked on layer documents, pure:
 * - a `!secret cmd:` value runs a command at apply; it is accepted only from
 *   the layers `claude-env.yml` `secrets.commands_from` names (default: base
 *   and environments, the ones only the org's admins write);
 * - the security policy (`security`) is set only in the admins' layers: a
 *   team, project or user layer cannot loosen the policy it is checked against;
 * - a `files/` overlay never writes the files claude-env or Claude Code keep
 *   for themselves (`local-overrides.yml` is the machine's own top layer,
 *   `.credentials.json` Claude's login, the rendered settings and memory).
 * validate reports these (rules/trust.ts), and apply refuses a target that
 * has any (src/validate/target.ts).
 */
import { isMap, originAt, originsOf, SecretValue, type LayerValue } from '../provenance/tree.js';
import { ADMIN_LAYERS, LAYERS_OF_TRUST_NAME, TRUST_LAYERS, type Finding, type LayerName, type Origin, type TrustLayer } from '../vocabulary.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The layers whose `!secret cmd:` values may run: `secrets.commands_from` of claude-env.yml, else base and environments. */
export function commandLayers(settings: Readonly<Record<string, unknown>>): { layers: ReadonlySet<LayerName>; names: readonly string[] } {
  const secrets = settings['secrets'];
  const list = isPlainObject(secrets) ? secrets['commands_from'] : undefined;
  if (!Array.isArray(list)) return { layers: ADMIN_LAYERS, names: ['base', 'environments'] };
  const names = list.filter((n): n is TrustLayer => typeof n === 'string' && (TRUST_LAYERS as readonly string[]).includes(n));
  return { layers: new Set(names.flatMap((n) => LAYERS_OF_TRUST_NAME[n])), names };
}

/** Names a `files/` overlay may not take: they are the machine's own layer, Claude Code's login and state, or rendered by claude-env. */
export const RESERVED_OVERLAY_PATHS: ReadonlySet<string> = new Set([
  'local-overrides.yml',
  '.credentials.json',
  '.claude.json',
  '.config.json',
  'settings.json',
  'settings.local.json',
  'CLAUDE.md',
  'managed-settings.json',
]);

export interface TrustDocument {
  readonly layer: LayerName;
  readonly file: string;
  /** The document's tree (placed at its section or not: only what it holds counts). */
  readonly value: LayerValue | undefined;
  /** The document's text, when known: a document that does not mention `cmd:` is not walked for commands. */
  readonly text?: string;
  /** The document is root-shaped (it may hold `security`). */
  readonly rootShaped: boolean;
}

const finding = (rule: string, at: Origin | undefined, file: string, message: string): Finding => ({
  rule,
  severity: 'error',
  file: at?.file ?? file,
  line: at?.line ?? 1,
  column: at?.column ?? 1,
  message,
});

/** Every `!secret cmd:` value in a layer value, with where it is set. */
function commandSecrets(v: LayerValue | undefined, out: Array<{ value: SecretValue; at: Origin | undefined }> = []): typeof out {
  if (v === null || v === undefined || typeof v !== 'object' || v instanceof SecretValue) return out;
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (item instanceof SecretValue) {
        if (item.provider === 'cmd') out.push({ value: item, at: originAt(v, i) });
      } else commandSecrets(item, out);
    });
    return out;
  }
  for (const k of Object.keys(v)) {
    const item = (v as Record<string, LayerValue>)[k];
    if (item instanceof SecretValue) {
      if (item.provider === 'cmd') out.push({ value: item, at: originAt(v, k) });
    } else commandSecrets(item, out);
  }
  return out;
}

/** What the trust rules find in one layer document. */
export function documentTrustFindings(doc: TrustDocument, commands: { layers: ReadonlySet<LayerName>; names: readonly string[] }): Finding[] {
  const out: Finding[] = [];
  if (!commands.layers.has(doc.layer) && (doc.text === undefined || doc.text.includes('cmd:'))) {
    const from = commands.names.length ? commands.names.join(', ') : 'none';
    for (const { value, at } of commandSecrets(doc.value)) {
      out.push(
        finding(
          'secret-cmd-layer',
          at,
          doc.file,
          `${value.describe()} runs a command on every machine of this layer's targets, and the ${doc.layer} layer may not: only the layers that claude-env.yml secrets.commands_from names may (${from}); use !secret env:NAME, file:PATH or !encrypted here`,
        ),
      );
    }
  }
  if (doc.rootShaped && !ADMIN_LAYERS.has(doc.layer) && isMap(doc.value) && Object.hasOwn(doc.value, 'security')) {
    const at = originAt(doc.value, 'security') ?? originsOf(doc.value)?.self;
    out.push(finding('security-layer', at, doc.file, `the ${doc.layer} layer sets "security": the security policy is set only in base/security/ and environments/<env>/security.yml, so no layer can loosen the policy it is checked against`));
  }
  return out;
}

/** A `files/` overlay path that takes a name claude-env or Claude Code keeps for itself. */
export function reservedOverlay(target: string): string | undefined {
  return RESERVED_OVERLAY_PATHS.has(target) ? `files/${target} would be written to .claude/${target}, which ${target === 'local-overrides.yml' ? "is the machine's own top layer" : target === '.credentials.json' ? "holds Claude Code's login" : 'claude-env renders or Claude Code keeps for itself'}; a files/ overlay may not write it` : undefined;
}
