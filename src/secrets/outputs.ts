/**
 * Put the real values of secrets into the outputs apply writes, and nowhere
 * else. Each `«secret:…»` description in an output's content is replaced by
 * its resolved value, escaped for the file's format; the output keeps its
 * rendered text (`template`, what state hashes) and a keyed hash of each
 * value (`secretHashes`, how drift tells a changed secret without keeping
 * it). If any reference cannot be resolved, this throws before anything is
 * written, naming the reference and where the repo sets it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SecretValue } from '../provenance/tree.js';
import type { Output } from '../render/outputs.js';
import type { MachineState } from '../state/types.js';
import { isLink, type System } from '../system/system.js';
import type { SecretResolver } from './resolve.js';

// node:crypto only when a machine has secrets to hash (drift of one without them starts faster).
const crypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

const JSON_KINDS: ReadonlySet<string> = new Set(['settings-json', 'claude-json', 'mcp-json', 'agent-mcp']);

/** How a value goes into the file: inside a JSON string, escaped; elsewhere as it is. */
const escapeFor = (o: Output, value: string): string => (JSON_KINDS.has(o.kind) ? JSON.stringify(value).slice(1, -1) : value);

export type SecretHasher = (value: string) => string;

/** `hasher` is asked for only once every value is resolved: a failed resolution leaves no key behind. */
/**
 * `runCommands: false` (a dry run): `cmd:` references are not run; their
 * descriptions stay in the content, so the plan shows the file as changing.
 */
export async function resolveOutputs(outputs: readonly Output[], resolve: SecretResolver, hasher: () => SecretHasher | Promise<SecretHasher>, opts: { runCommands?: boolean } = {}): Promise<Output[]> {
  const values = new Map<Output, string[]>();
  for (const o of outputs) {
    if (!o.secrets || o.secrets.length === 0) continue;
    const got: string[] = [];
    for (const use of o.secrets) {
      if (use.provider === 'cmd' && opts.runCommands === false) got.push(use.placeholder);
      else got.push(await resolve(new SecretValue(use.provider, use.ref), use.file === undefined ? undefined : { file: use.file, line: use.line, column: use.column }));
    }
    values.set(o, got);
  }
  if (values.size === 0) return [...outputs];
  const hash = await hasher();
  return outputs.map((o) => {
    const got = values.get(o);
    if (!got) return o;
    let content = o.content;
    const hashes: Record<string, string> = {};
    o.secrets!.forEach((use, i) => {
      if (got[i] === use.placeholder) return; // not resolved (a command in a dry run)
      content = content.split(use.placeholder).join(escapeFor(o, got[i]!));
      hashes[use.placeholder] = hash(got[i]!);
    });
    return Object.freeze({ ...o, content, template: o.content, secretHashes: Object.freeze(hashes) });
  });
}

/**
 * The machine's key for hashing secret values (`$CLAUDE_ENV_HOME/secret.key`,
 * 32 random bytes, mode 0600), made on first use: hashes in state then tell
 * nothing about a value to anyone without the key.
 */
export async function machineKey(sys: System, stateDir: string, create: boolean): Promise<Buffer | undefined> {
  const file = join(stateDir, 'secret.key');
  const found = await sys.read(file).catch(() => undefined);
  if (found !== undefined && !isLink(found)) return found.bytes;
  if (!create) return undefined;
  await sys.mkdirp(stateDir, 0o700);
  const key = crypto().randomBytes(32);
  await sys.writeFile(file, key, 0o600);
  return key;
}

/** A key for one dry run: hashes made with it are never kept. */
export const ephemeralKey = (): Buffer => crypto().randomBytes(32);

export function keyedHasher(key: Buffer): SecretHasher {
  const { createHmac } = crypto();
  return (value) => `hmac-sha256:${createHmac('sha256', key).update(value).digest('hex').slice(0, 32)}`;
}

/** For drift: whether the text at a secret's place is the value apply wrote there, by the hashes in state. */
export async function secretCheckOf(sys: System, stateDir: string, state: MachineState): Promise<((placeholder: string, actual: string) => boolean) | undefined> {
  const want = new Map<string, string>();
  for (const o of Object.values(state.outputs)) for (const [p, h] of Object.entries(o.secrets ?? {})) want.set(p, h);
  if (want.size === 0) return undefined;
  const key = await machineKey(sys, stateDir, false);
  if (!key) return undefined;
  const hash = keyedHasher(key);
  return (placeholder, actual) => {
    const h = want.get(placeholder);
    return h === undefined || hash(actual) === h;
  };
}
