// What every stage of `npm run bench` shares: where things are, the median of
// per-round figures, how figures are printed, and the command-line options.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const ROOT = resolve(HERE, '..');
/** Generated orgs, repos and figures. */
export const OUT = join(HERE, '.out');
export const NODE = process.execPath;
/** BENCH_DIST and BENCH_BIN point the bench at another build (to test the bench itself). */
export const DIST = resolve(process.env.BENCH_DIST ?? join(ROOT, 'dist'));
export const BIN = resolve(process.env.BENCH_BIN ?? join(ROOT, 'bin', 'claude-env.js'));

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const stats = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), samples: xs });
export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 100 ? 1 : 0)} ms`);
export const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');
export const log = (s) => process.stderr.write(`${s}\n`);

/**
 * The options of a bench script: `values` maps an option to [key, parse],
 * `switches` an option to a key set true; every script takes --force and the
 * org's --teams/--projects/--users/--seed (into `org`), and -h prints the
 * script's header comment (`script`: its import.meta.url).
 */
export function parseArgs(argv, { script, defaults, values = {}, switches = {} }) {
  const o = { force: false, org: {}, ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (values[a]) o[values[a][0]] = values[a][1](val());
    else if (switches[a]) o[switches[a]] = true;
    else if (a === '--force') o.force = true;
    else if (/^--(teams|projects|users|seed)$/.test(a)) o.org[a.slice(2)] = Number(val());
    else if (a === '-h' || a === '--help') {
      const header = readFileSync(fileURLToPath(script), 'utf8').split('\n').filter((l) => l.startsWith('//'));
      process.stdout.write(`${header.map((l) => l.slice(3)).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const [flag, [key]] of Object.entries(values)) if (typeof o[key] === 'number' && !(o[key] >= 1)) throw new Error(`${flag} must be >= 1`);
  return o;
}
