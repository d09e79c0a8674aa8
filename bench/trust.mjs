#!/usr/bin/env node
// `npm run bench` stage for the trust boundary (issue 12), on the generated
// org of bench/generate-org.mjs (reused from bench/.out/org):
//
//   (t1) validate: the rules that guard the trust boundary (command secrets by
//        layer, the policy's own layers, reserved overlay names, symlinks and
//        unsafe entries of the repo), run in process on a repo whose
//        documents are already parsed, against a whole validate of the same
//        repo (fresh repo, every rule, documents parsed): the share of
//        validate's time the checks cost. Goal <= 5 %.
//   (t2) apply: what apply checks before it writes a target (src/validate/
//        target.ts: the trust rules on its chain, its merged tree's schema, the
//        security policy) for N targets, against applying the same N targets
//        into fresh homes (runApply: lock, restore point, fsynced files,
//        journal, renames, check, state). Goal <= 5 %.
//   (t3) apply: the write port's path checks (each output path under its root,
//        no symbolic link on the way, at plan and at commit) for the same
//        targets, against applying them. Goal <= 5 %. (The repo's own links
//        and unsafe tree entries cost nothing apart: the listing's entry
//        types and the one ls-tree tell them.)
//
// Both sides alternate for --runs rounds; the figure is the median of
// per-round shares. Options: --runs N (default 3), --targets N (default 300).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOrg } from './generate-org.mjs';
import { BIN, NODE, OUT, ROOT, fmtMs, log, median, parseArgs } from './common.mjs';
import { spawnSync } from 'node:child_process';

const opts = parseArgs(process.argv.slice(2), {
  script: import.meta.url,
  defaults: { runs: 3, targets: 300 },
  values: { '--runs': ['runs', Number], '--targets': ['targets', Number] },
});
const RUNS = opts.runs;
const TARGETS = opts.targets;

const dist = (p) => import(join(ROOT, 'dist', 'src', p));
const [{ Repo }, { worktreeSource }, { validateRepo }, { RULES }, { mergeTarget, createMergeCache }, { renderTarget }, { runApply }, { admitTarget }] = await Promise.all([
  dist('repo/repo.js'),
  dist('blocking/sources.js'),
  dist('validate/index.js'),
  dist('validate/registry.js'),
  dist('merge/target.js'),
  dist('render/index.js'),
  dist('apply/run.js'),
  dist('validate/target.js'),
]);

// The rules that exist only for the trust boundary.
const TRUST_FINDINGS = new Set(['secret-cmd-layer', 'repo-symlink', 'repo-path', 'unsafe-path']);
const trustRules = RULES.filter((r) => Object.keys(r.findings).some((id) => TRUST_FINDINGS.has(id)));
if (trustRules.length === 0) throw new Error('no trust rules found in the registry');

const org = generateOrg(join(OUT, 'org'), { ...opts.org, force: opts.force });
const open = () => new Repo(worktreeSource(org.dir));
const rows = [];

// (t1) validate
{
  const parsed = open();
  parsed.allDocuments();
  const shares = [];
  let last;
  for (let round = 0; round < RUNS; round++) {
    let t0 = performance.now();
    const whole = await validateRepo(open(), { rules: RULES });
    const all = performance.now() - t0;
    t0 = performance.now();
    await validateRepo(parsed, { rules: trustRules });
    const checks = performance.now() - t0;
    shares.push(checks / all);
    last = { all, checks, findings: whole.findings.length };
    log(`(t1) round ${round + 1}: trust rules ${fmtMs(checks)}, whole validate ${fmtMs(all)} (${(100 * checks / all).toFixed(2)} %)`);
  }
  const share = median(shares);
  rows.push({
    stage: `(t1) the trust rules of validate (${trustRules.length} rules), in process, documents parsed`,
    ours: fmtMs(last.checks),
    peer: `${fmtMs(last.all)}: a whole validate of the org in process (every rule, documents parsed)`,
    ratio: `${(100 * share).toFixed(2)} %`,
    goal: '<= 5 %',
    met: share <= 0.05 ? 'yes' : 'no',
  });
}

// (t2) apply
{
  const repo = open();
  const cache = createMergeCache(repo);
  const targets = repo.targets({ env: 'production' }).filter((_, i) => i % 50 === 0).slice(0, TARGETS);
  const work = targets.map((t) => {
    const merged = mergeTarget(repo, t, { cache });
    return { t, merged, outputs: renderTarget(repo, t, { cache }).outputs };
  });
  const box = join(OUT, 'trust-homes');
  const shares = [];
  let last;
  for (let round = 0; round < RUNS; round++) {
    rmSync(box, { recursive: true, force: true });
    let t0 = performance.now();
    for (const [i, { t, outputs }] of work.entries()) {
      const home = join(box, String(i));
      mkdirSync(home, { recursive: true });
      await runApply({ locations: { home }, stateDir: join(home, '.claude-env'), target: t, outputs });
    }
    const apply = performance.now() - t0;
    t0 = performance.now();
    let refused = 0;
    for (const { merged } of work) if (admitTarget({ merged, settings: repo.settings.raw, textOf: (f) => repo.document(f)?.text }).length > 0) refused++;
    const checks = performance.now() - t0;
    if (refused > 0) throw new Error(`${refused} targets of the bench org fail the checks`);
    shares.push(checks / apply);
    last = { apply, checks };
    log(`(t2) round ${round + 1}: checks ${fmtMs(checks)}, apply ${fmtMs(apply)} of ${work.length} targets (${(100 * checks / apply).toFixed(2)} %)`);
  }
  rmSync(box, { recursive: true, force: true });
  const share = median(shares);
  rows.push({
    stage: `(t2) apply's checks before writing (trust rules on the chain, merged schema, security policy), ${work.length} targets, in process`,
    ours: fmtMs(last.checks),
    peer: `${fmtMs(last.apply)}: applying the same targets into fresh homes (runApply)`,
    ratio: `${(100 * share).toFixed(2)} %`,
    goal: '<= 5 %',
    met: share <= 0.05 ? 'yes' : 'no',
  });
}

// (t3) the write port's path checks: every output path checked and kept under its root (apply/paths.ts), the
// folders on the way looked at for links (system/links.ts) at plan and again at commit, for the targets of
// (t2) applied into homes that hold them already (folders and files exist: the most the checks can cost).
{
  const [{ outputLocation, outputPlace, outputRoots }, { LinkGuard }] = await Promise.all([dist('apply/paths.js'), dist('system/links.js')]);
  const repo = open();
  const cache = createMergeCache(repo);
  const work = repo
    .targets({ env: 'production' })
    .filter((_, i) => i % 50 === 0)
    .slice(0, TARGETS)
    .map((t) => ({ t, outputs: renderTarget(repo, t, { cache }).outputs }));
  const box = join(OUT, 'trust-homes');
  rmSync(box, { recursive: true, force: true });
  const homes = work.map((_, i) => join(box, String(i)));
  const applyAll = async () => {
    for (const [i, { t, outputs }] of work.entries()) await runApply({ locations: { home: homes[i] }, stateDir: join(homes[i], '.claude-env'), target: t, outputs });
  };
  await applyAll();
  const shares = [];
  let last;
  for (let round = 0; round < RUNS; round++) {
    let t0 = performance.now();
    for (const [i, { outputs }] of work.entries()) {
      const loc = { home: homes[i] };
      const links = new LinkGuard(outputRoots(loc));
      // As apply makes them: the plan's checks of a target at once (apply/run.ts), then the commit's, at once too (apply/switch.ts).
      const places = outputs.map((o) => ({ abs: outputLocation(loc, o.path), root: outputPlace(loc, o.path).root }));
      await Promise.all(places.map(({ abs, root }) => links.problem(abs, root, { file: false })));
      await Promise.all(places.map(({ abs, root }) => links.problem(abs, root)));
    }
    const checks = performance.now() - t0;
    rmSync(box, { recursive: true, force: true });
    t0 = performance.now();
    await applyAll();
    const apply = performance.now() - t0;
    shares.push(checks / apply);
    last = { apply, checks };
    log(`(t3) round ${round + 1}: path checks ${fmtMs(checks)}, apply ${fmtMs(apply)} of ${work.length} targets (${(100 * checks / apply).toFixed(2)} %)`);
  }
  rmSync(box, { recursive: true, force: true });
  const share = median(shares);
  rows.push({
    stage: `(t3) the write port's path checks (paths under their roots, no link on the way: plan and commit), ${work.length} targets, in process`,
    ours: fmtMs(last.checks),
    peer: `${fmtMs(last.apply)}: applying the same targets into fresh homes (runApply)`,
    ratio: `${(100 * share).toFixed(2)} %`,
    goal: '<= 5 %',
    met: share <= 0.05 ? 'yes' : 'no',
  });
}

// (t4) one apply as a developer runs it: the CLI process into a fresh home with the document cache off, against
// the same checks in a fresh process of their own (loading the checks and the merged schema compiled by build.mjs,
// checking the target), timed inside that process: (t4a) on a machine's first run (no code cache), (t4b) once
// V8's code cache of the compiled schema exists (every later run; apply keeps it beside the document cache).
{
  const repo = open();
  const t = repo.targets({ env: 'production' })[34];
  const flags = ['--repo', org.dir, '--env', t.env, '--team', t.team, ...(t.project ? ['--project', t.project] : []), '--user', t.user];
  const codeCache = join(OUT, 'trust-code-cache');
  const probe = `
    const d = (p) => import(${JSON.stringify(join(ROOT, 'dist', 'src'))} + '/' + p);
    const [{ Repo }, { worktreeSource }, { mergeTarget }, { ShippedSchemas }, { requireWithCodeCache }] = await Promise.all([d('repo/repo.js'), d('blocking/sources.js'), d('merge/target.js'), d('schema/index.js'), d('blocking/code-cache.js')]);
    const schemas = new ShippedSchemas((file, use) => requireWithCodeCache(file, ${JSON.stringify(codeCache)}, use));
    const repo = new Repo(worktreeSource(${JSON.stringify(org.dir)}));
    const merged = mergeTarget(repo, ${JSON.stringify(t)});
    const t0 = performance.now();
    const { admitTarget } = await d('validate/target.js');
    const n = admitTarget({ merged, settings: repo.settings.raw, textOf: (f) => repo.document(f)?.text, isExecutableFile: (s) => (repo.source.mode(s) & 0o111) !== 0, schemas }).length;
    process.stdout.write(JSON.stringify({ ms: performance.now() - t0, n }));`;
  const results = { first: [], later: [] };
  for (let round = 0; round < Math.max(RUNS, 5); round++) {
    for (const state of ['first', 'later']) {
      if (state === 'first') rmSync(codeCache, { recursive: true, force: true });
      const home = join(OUT, 'trust-cli-home');
      rmSync(home, { recursive: true, force: true });
      mkdirSync(home, { recursive: true });
      const env = { ...process.env, HOME: home, CLAUDE_ENV_CACHE: 'off' };
      const t0 = performance.now();
      const r = spawnSync(NODE, [BIN, 'apply', ...flags, '--home', home], { env, encoding: 'utf8' });
      const apply = performance.now() - t0;
      if (r.status !== 0) throw new Error(`apply failed: ${r.stderr}`);
      const c = spawnSync(NODE, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`check probe failed: ${c.stderr}`);
      const { ms, n } = JSON.parse(c.stdout);
      if (n !== 0) throw new Error('the bench target fails the checks');
      results[state].push({ share: ms / apply, apply, checks: ms });
      log(`(t4) round ${round + 1}, ${state} run: checks ${fmtMs(ms)}, apply CLI ${fmtMs(apply)} (${(100 * ms / apply).toFixed(2)} %)`);
    }
  }
  rmSync(join(OUT, 'trust-cli-home'), { recursive: true, force: true });
  rmSync(codeCache, { recursive: true, force: true });
  for (const [state, label, goal] of [['first', "(t4a) apply's checks in a fresh process, a machine's first run (no code cache yet), one target", 'reported'], ['later', "(t4b) the same, every later run (V8 code cache of the compiled schema)", 'reported']]) {
    const xs = results[state];
    const share = median(xs.map((x) => x.share));
    rows.push({
      stage: label,
      ours: fmtMs(median(xs.map((x) => x.checks))),
      peer: `${fmtMs(median(xs.map((x) => x.apply)))}: \`claude-env apply\` of that target, CLI process, fresh home, document cache off`,
      ratio: `${(100 * share).toFixed(2)} %`,
      goal,
      met: goal === 'reported' ? '—' : share <= 0.05 ? 'yes' : 'no',
    });
  }
}

const md = ['| stage | ours | compared with | share | goal | met? |', '| --- | ---: | --- | ---: | --- | --- |', ...rows.map((r) => `| ${r.stage} | ${r.ours} | ${r.peer} | ${r.ratio} | ${r.goal} | ${r.met} |`)].join('\n');
writeFileSync(join(OUT, 'trust.json'), JSON.stringify(rows, null, 2));
process.stdout.write(`\nTrust boundary stages (Markdown, for README):\n\n${md}\n`);
