/** Inputs that cost far more than their size, for the bounds tests and the attack rows. */

/** Nine levels of nine aliases: 9^9 (387 million) strings from about 500 bytes of YAML. */
export function billionLaughs(levels = 9): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}
