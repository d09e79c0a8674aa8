/**
 * Option values checked when the command line is parsed, before any command
 * starts: one table of every numeric or enumerated option and what it takes.
 * A bad value is a usage error naming the option (exit 2); a good one is
 * handed to the command in one normal form (`--wait 010` → `"10"`).
 *
 * Values are read from the command line as typed: the parser turns anything
 * that looks like a number into one (`0x10` → 16, `""` → 0, `1e3` → 1000),
 * which would let such values through.
 */
import { ClaudeEnvError } from '../errors.js';
import { MAX_WAIT_SECONDS } from './wait.js';

type Check =
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

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The command line with `--opt -1` written as `--opt=-1` for the numeric
 * options, so a negative number reaches the check below as that option's
 * value (the parser would take `-1` for an unknown flag).
 */
export function keepNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...out, ...argv.slice(i)];
    const check = a.startsWith('--') ? OPTION_CHECKS[a.slice(2)] : undefined;
    const next = argv[i + 1];
    if (check && check.kind !== 'choice' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** The last value given for `--name` as typed (`--name V` or `--name=V`), or undefined. */
function typed(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else if (a === `--${name}` && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) value = argv[++i]!;
  }
  return value;
}

const refuse = (name: string, expects: string, got: string): ClaudeEnvError => new ClaudeEnvError('usage', `--${name} ${expects} (got "${got}")`);

/** The value in its normal form, or a usage error naming the option. */
function checked(name: string, check: Check, text: string, command: string): string {
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

/**
 * Check every option of OPTION_CHECKS that `command` was given, and put its
 * normal form into `opts` (as a string, as the commands take them).
 */
export function checkOptionValues(command: string, opts: Record<string, unknown>, argv: readonly string[]): void {
  for (const [name, check] of Object.entries(OPTION_CHECKS)) {
    const key = camel(name);
    if (opts[key] === undefined) continue;
    const text = typed(argv, name) ?? String(opts[key]);
    opts[key] = checked(name, check, text, command);
  }
}
