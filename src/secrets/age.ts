/**
 * age encryption of repo values (`!encrypted`), with the `age-encryption`
 * library (typage, by age's author). Armored ASCII, so a value round-trips
 * with the `age` CLI (`age -d -a`, `age -e -a -r`) in both directions.
 */
import { ClaudeEnvError } from '../errors.js';

type AgeLib = typeof import('age-encryption');
/** The library, loaded on first use: the module loader keeps it, so later calls cost a lookup. */
const age = (): Promise<AgeLib> => import('age-encryption');

const RECIPIENT = /^age1[0-9a-z]+$/;
const IDENTITY = /^AGE-SECRET-KEY-1[0-9A-Z]+$/;

/** The identities of an age identity file: `AGE-SECRET-KEY-1…` lines; `#` comments and blank lines skipped. */
export function parseIdentities(text: string, file: string): string[] {
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = ids.findIndex((l) => !IDENTITY.test(l));
  if (ids.length === 0 || bad >= 0) {
    throw new ClaudeEnvError('age-identity', `${file} is not an age identity file (it needs AGE-SECRET-KEY-1… lines)`, { file });
  }
  return ids;
}

/** Encrypt to every recipient; armored, ending in a newline like `age -a`. */
export async function encrypt(plaintext: string, recipients: readonly string[]): Promise<string> {
  if (recipients.length === 0) {
    throw new ClaudeEnvError('age-recipient', 'no age recipients: set secrets.age.recipients in claude-env.yml (or pass --recipient)');
  }
  for (const r of recipients) {
    if (!RECIPIENT.test(r)) throw new ClaudeEnvError('age-recipient', `"${r}" is not an age recipient (age1…)`);
  }
  const { Encrypter, armor } = await age();
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return armor.encode(await e.encrypt(plaintext));
}

/**
 * Decrypt an armored value. `what` names the value in errors (a reference,
 * never the text). Wrong identity and damaged ciphertext are told apart.
 */
export async function decrypt(armored: string, identities: readonly string[], what: string): Promise<string> {
  const { Decrypter, armor } = await age();
  let bytes: Uint8Array;
  try {
    bytes = armor.decode(armored.trim());
  } catch {
    throw new ClaudeEnvError('secret-unresolved', `${what}: the ciphertext is damaged (not valid age armor)`);
  }
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  try {
    return await d.decrypt(bytes, 'text');
  } catch (err) {
    const reason = err instanceof Error ? err.message : '';
    const noMatch = /no identity matched/i.test(reason);
    throw new ClaudeEnvError(
      'secret-unresolved',
      noMatch ? `${what}: none of the given age identities can decrypt it (it was encrypted to other recipients)` : `${what}: the ciphertext is damaged and cannot be decrypted`,
      { hint: noMatch ? 'pass --identity FILE or set $CLAUDE_ENV_AGE_IDENTITY to an identity of one of the recipients in claude-env.yml' : undefined },
    );
  }
}

export async function newIdentity(): Promise<{ identity: string; recipient: string }> {
  const { generateX25519Identity, identityToRecipient } = await age();
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}
