/** The text forms of an age value in the config repo: the `!encrypted` YAML `secret encrypt` prints, and the armor `secret decrypt` reads. */
import { ClaudeEnvError } from '../errors.js';

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const END = '-----END AGE ENCRYPTED FILE-----';

/** The armored text of an `!encrypted` YAML value, or bare armor. */
export function armorOf(text: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new ClaudeEnvError('secret-unresolved', `the input is not an age armored ciphertext (${BEGIN} … ${END})`);
  return `${text
    .slice(begin, end + END.length)
    .split('\n')
    .map((l) => l.trim())
    .join('\n')}\n`;
}

/** An armored value as the YAML to paste: `!encrypted |` and the armor indented. */
export function encryptedYaml(armored: string): string {
  return `!encrypted |\n${armored
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}
