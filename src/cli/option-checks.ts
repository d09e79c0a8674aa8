/** The table of every numeric or enumerated option and what it takes, and the check of one value (cli/options.ts applies it). */
import { ClaudeEnvError } from '../errors.js';
import { MAX_WAIT_SECONDS } from './wait.js';

export type Check =
  /** A whole number from `min` to `max`, written with digits only. */
  | { kind: 'whole'; min: 0 | 1; max: number; expects: string }
  /** A number of seconds, fractions allowed, from 0 to `max`. */
  | { kind: 'seconds'; max: number; expects: string }
  /** One of a fixed set of words, which may depend on the command. */
  | { kind: 'choice'; values: Readonly<Record<string, readonly string[]>> };

/** The longest timer Node keeps (setTimeout's limit, about 24.8 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every numeric or enumerated option of every command, by its long name. */
export const OPTION_CHECKS: Readonly<Record<string, Check>> = {
  wait: { kind: 'seconds', max: MAX_WAIT_SECONDS, expects: `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}` },
  timeout: { kind: 'whole', min: 1, max: MAX_TIMER_MS, expects: `must be a whole number above 0 (milliseconds, at most ${MAX_TIMER_MS})` },
  concurrency: { kind: 'whole', min: 1, max: Number.MAX_SAFE_INTEGER, expects: 'must be a whole number above 0' },
  'max-fixes': { kind: 'whole', min: 0, max: Number.MAX_SAFE_INTEGER, expects: 'needs a whole number' },
  limit: { kind: 'whole', min: 0, max: Number.MAX_SAFE_INTEGER, expects: 'must be a whole number (0 for no limit)' },
  format: { kind: 'choice', values: { validate: ['text', 'json', 'sarif'], render: ['yaml', 'json'] } },
  include: { kind: 'choice', values: { remediate: ['medium'] } },
};

const refuse = (name: string, expects: string, got: string): ClaudeEnvError => new ClaudeEnvError('usage', `--${name} ${expects} (got "${got}")`);

/** The value in its normal form, or a usage error naming the option. */
export function checked(name: string, check: Check, text: string, command: string): string {
  switch (check.kind) {
    case 'whole': {
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(Number.isSafeInteger(n) && n >= check.min && n <= check.max)) throw refuse(name, check.expects, text);
      return String(n);
    }
    case 'seconds': {
      const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
      if (!(n >= 0 && n <= check.max)) throw refuse(name, check.expects, text);
      return String(n);
    }
    case 'choice': {
      const allowed = check.values[command];
      if (allowed === undefined || allowed.includes(text)) return text;
      throw allowed.length === 1 ? refuse(name, `takes only "${allowed[0]}"`, text) : refuse(name, `must be one of: ${allowed.join(', ')}`, text);
    }
  }
}
