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
import { OPTION_CHECKS, checked } from './option-checks.js';

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
