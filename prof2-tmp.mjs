import cp from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
const orig = cp.execFileSync;
let log = [];
cp.execFileSync = (f, a, o) => { const t0 = performance.now(); try { return orig(f, a, o); } finally { log.push(`${(performance.now() - t0).toFixed(1)}ms ${a.slice(2, 6).join(' ')} in=${o?.input?.length ?? 0}`); } };
syncBuiltinESMExports();
const { impactBetween } = await import('/work/wt-impact/dist/src/cli/impact.js');
const env = { ...process.env, CLAUDE_ENV_CACHE: 'off' };
for (let i = 0; i < 2; i++) { log = [];
const t0 = performance.now();
const r = impactBetween(process.argv[2], 'main', process.argv[3], env);
console.log((performance.now() - t0).toFixed(1), r.targets.length); console.log(log.join('\n')); }
