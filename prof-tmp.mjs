const { impactBetween } = await import('/work/wt-impact/dist/src/cli/impact.js');
const env = { ...process.env, CLAUDE_ENV_CACHE: 'off' };
const t0 = performance.now();
const r = impactBetween(process.argv[2], 'main', process.argv[3], env);
console.log((performance.now() - t0).toFixed(1), r.targets.length, r.rendered);
