#!/usr/bin/env node
// `npm run bench`, impact stage: `claude-env impact` against the naive way on
// the generated org (bench/generate-org.mjs; default 200 teams, 2,000
// projects, 20,000 users: 60,000 targets over 3 environments).
//
//   (h) a base-layer change (base/config.yml: every target is altered)
//   (i) a one-team change (teams/team-042/base-config.yml: that team's targets)
//
// ours:  impactBetween() of dist/src/impact/run.js — both revisions read from
//        git, the changed files, the affected targets rendered at base and
//        head and compared, and the diffs of the first 20 altered targets
//        (what the command prints by default)
// naive: the floor of doing it without an index: both revisions read from git
//        (each in one batch), every target of the repo rendered at each
//        (all environments, with createRenderCache, as bench/run.mjs stage (a)
//        does), and the outputs compared
// Both are timed in a child process each (work only, not module loading),
// taking turns; the ratio quoted is the median of the per-round ratios. In a
// round, impact of (i) runs 5 times (--inner) and its median counts: a run
// of a few hundred ms is easily hit by a burst of another process on a shared
// machine, a run of seconds averages that out. All must name the same
// altered targets (checked). Goal for (i): >= 100x faster.
// Like is compared with like: without a document cache on either side, and
// with one on both (the naive way with every document in it, filled by one
// untimed run: no document read from git or parsed). (i) with a cache is
// timed twice: with the cache an earlier change to the same team left
// (branch team-change-earlier, run once untimed into a cache that is copied
// afresh before each timed run: the documents are found by blob id, the base's
// tree listing by tree id and the base side's renders by the blob ids of what
// they read, and the team file as this change makes it is read, parsed and
// its chains rendered), as when a reviewer looks at the team's next change;
// and warm (this change looked at before, as CI's second workflow on it or a
// reviewer's second look: one git run, nothing parsed or rendered).
// Also reported: the whole `claude-env impact` process for (i), wall time, without and with the warm cache.
// (Letters follow bench/run.mjs (a)-(d) and bench/machine.mjs (e)-(g).)
//
// The org is cached under bench/.out/org (shared with bench/run.mjs) and copied
// into a git repo under bench/.out/impact-repo with the three change branches,
// packed as a clone is (re-made when the org changes). Figures go to bench/.out/impact.json.
//
// Options: --runs N (rounds, default 3), --inner N (runs of (i) per round,
// default 5), --teams/--projects/--users N, --force.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateOrg, teamName } from './generate-org.mjs';
import { BIN, DIST, NODE, OUT, fmtMs, log, median, parseArgs, stats } from './common.mjs';

let TEAM = 'team-042';
const NO_CACHE = { ...process.env, CLAUDE_ENV_CACHE: 'off' };
const DOC_CACHE = join(OUT, 'impact-doc-cache');
const EARLIER_CACHE = join(OUT, 'impact-doc-cache-earlier');
const NAIVE_CACHE = join(OUT, 'impact-doc-cache-naive');
const EARLIER_RUN = join(OUT, 'impact-doc-cache-earlier-run');

const fmtX = (x) => (x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`);
const keyOf = (t) => `${t.env}|${t.team ?? ''}|${t.project ?? ''}|${t.user ?? ''}`;

// ---------------------------------------------------------------- children (one measured process each)

/**
 * Module loading is not timed, on either side (as in bench/run.mjs stage (a)): the YAML parser both sides parse
 * with (the package's, PACKAGE_YAML) is loaded before the clock starts.
 */
async function preload() {
  const yaml = await import(pathToFileURL(join(DIST, 'src', 'repo', 'yaml.js')).href);
  yaml.PACKAGE_YAML.lib();
  createRequire(import.meta.url)('node:child_process');
}

async function childImpact(dir, base, head) {
  const { impactBetween, DEFAULT_LIMIT } = await import(pathToFileURL(join(DIST, 'src', 'impact', 'run.js')).href);
  const { gitReader } = await import(pathToFileURL(join(DIST, 'src', 'history', 'git.js')).href);
  const { OutputDiffs } = await import(pathToFileURL(join(DIST, 'src', 'impact', 'impact.js')).href);
  await preload();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await impactBetween(gitReader(dir, process.env), base, head);
  const diffs = new OutputDiffs();
  let diffBytes = 0;
  for (const t of r.targets.slice(0, DEFAULT_LIMIT)) for (const f of t.files) diffBytes += diffs.diff(f).length;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { mode: 'impact', ms, cpuMs: (cpu.user + cpu.system) / 1000, altered: r.targets.length, rendered: r.rendered, diffBytes, keys: r.targets.map((t) => keyOf(t.target)) };
}

async function childNaive(dir, base, head) {
  const api = await import(pathToFileURL(join(DIST, 'src', 'index.js')).href);
  const { gitSource } = await import(pathToFileURL(join(DIST, 'src', 'blocking', 'sources.js')).href);
  const { Repo } = await import(pathToFileURL(join(DIST, 'src', 'repo', 'repo.js')).href);
  const { diskDocumentCache } = await import(pathToFileURL(join(DIST, 'src', 'blocking', 'doc-cache-store.js')).href);
  await preload();
  // With CLAUDE_ENV_CACHE set (the warm naive way), documents come from the same document cache impact uses: by blob id,
  // neither read from git nor parsed. Without it, every file of the revision is read in one git batch (not one git run
  // per document) and every document parsed.
  const docCache = diskDocumentCache(process.env);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const renderAll = (rev) => {
    const source = gitSource(dir, rev);
    const repo = new Repo(source, { prefetch: source.list(''), ...(docCache ? { cache: docCache } : {}) });
    const cache = api.createRenderCache(repo);
    const out = new Map();
    for (const t of api.repoTargets(repo)) out.set(keyOf(t), api.renderTarget(repo, t, cache).outputs);
    return out;
  };
  const a = renderAll(base);
  const b = renderAll(head);
  const keys = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (!x || !y) {
      keys.push(k);
      continue;
    }
    const paths = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const p of paths) {
      if (x[p] !== y[p]) {
        keys.push(k);
        break;
      }
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { mode: 'naive', ms, cpuMs: (cpu.user + cpu.system) / 1000, altered: keys.length, rendered: { base: a.size, head: b.size }, keys: keys.sort() };
}

// ---------------------------------------------------------------- the repo with the two changes

function git(dir, ...args) {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function impactRepo(org) {
  const dir = join(OUT, 'impact-repo');
  const metaPath = `${dir}.meta.json`;
  const key = { org: org.hash, team: TEAM, script: 4 };
  if (existsSync(metaPath) && existsSync(join(dir, '.git'))) {
    try {
      if (JSON.stringify(JSON.parse(readFileSync(metaPath, 'utf8')).key) === JSON.stringify(key)) return { dir, reused: true };
    } catch {
      // remake it
    }
  }
  rmSync(dir, { recursive: true, force: true });
  cpSync(org.dir, dir, { recursive: true });
  git(dir, 'init', '-q', '--initial-branch=main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'org');
  const edit = (branch, file, from, to) => {
    git(dir, 'checkout', '-q', '-b', branch, 'main');
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
    writeFileSync(path, text.replace(from, to));
    git(dir, 'commit', '-q', '-am', `${branch}: ${file}`);
    git(dir, 'checkout', '-q', 'main');
  };
  edit('base-change', 'base/config.yml', 'cleanupPeriodDays: 30', 'cleanupPeriodDays: 14');
  edit('team-change', `teams/${TEAM}/base-config.yml`, 'settings:\n', 'settings:\n  cleanupPeriodDays: 21\n');
  // An earlier change to the same team (another value): what a reviewer's cache holds from the last review.
  edit('team-change-earlier', `teams/${TEAM}/base-config.yml`, 'settings:\n', 'settings:\n  cleanupPeriodDays: 22\n');
  // Packed, as a clone of the config repo is (commits made here leave ~6,600 loose objects, and git
  // reads a tree of loose objects ~10x slower: 40 ms for ls-tree of this org instead of < 5 ms).
  git(dir, 'gc', '-q');
  writeFileSync(metaPath, `${JSON.stringify({ key }, null, 2)}\n`);
  return { dir, reused: false };
}

// ---------------------------------------------------------------- main

function child(mode, dir, head, env = NO_CACHE) {
  const r = spawnSync(NODE, [fileURLToPath(import.meta.url), '--child', mode, dir, 'main', head], { encoding: 'utf8', maxBuffer: 1 << 28, env });
  if (r.status !== 0) throw new Error(`child ${mode} ${head} exited ${r.status ?? r.signal}: ${r.stderr.trim().slice(0, 2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** The median run of `n` (a short run is easily hit by a burst of another process on a shared machine). */
function medianChild(n, ...args) {
  const rs = Array.from({ length: n }, () => child(...args)).sort((a, b) => a.ms - b.ms);
  return rs[rs.length >> 1];
}

/** One run of impact with the cache an earlier review left (copied afresh: the run adds the change's own documents to it). */
function earlierChild(dir, head) {
  rmSync(EARLIER_RUN, { recursive: true, force: true });
  cpSync(EARLIER_CACHE, EARLIER_RUN, { recursive: true });
  return child('impact', dir, head, { ...process.env, CLAUDE_ENV_CACHE: EARLIER_RUN });
}

function stage(dir, head, runs, inner, withWarm) {
  const ours = [];
  const naive = [];
  const naiveWarm = [];
  const warm = [];
  const earlier = [];
  const naiveCacheEnv = { ...process.env, CLAUDE_ENV_CACHE: NAIVE_CACHE };
  const cacheEnv = { ...process.env, CLAUDE_ENV_CACHE: DOC_CACHE };
  rmSync(DOC_CACHE, { recursive: true, force: true });
  rmSync(EARLIER_CACHE, { recursive: true, force: true });
  rmSync(NAIVE_CACHE, { recursive: true, force: true });
  if (withWarm) {
    child('naive', dir, head, naiveCacheEnv); // untimed: fills the naive way's document cache
    // untimed: fills the document caches, one with this change, one with the earlier change to the same team
    child('impact', dir, head, cacheEnv);
    child('impact', dir, 'team-change-earlier', { ...process.env, CLAUDE_ENV_CACHE: EARLIER_CACHE });
  }
  for (let i = 0; i < runs; i++) {
    ours.push(medianChild(inner, 'impact', dir, head));
    naive.push(child('naive', dir, head));
    if (withWarm) {
      naiveWarm.push(child('naive', dir, head, naiveCacheEnv));
      warm.push(medianChild(inner, 'impact', dir, head, cacheEnv));
      const rs = Array.from({ length: inner }, () => earlierChild(dir, head)).sort((a, b) => a.ms - b.ms);
      earlier.push(rs[rs.length >> 1]);
    }
    log(`    round ${i + 1}: no cache: impact ${fmtMs(ours.at(-1).ms)}, naive ${fmtMs(naive.at(-1).ms)}${withWarm ? `; warm: impact ${fmtMs(warm.at(-1).ms)}, after an earlier change ${fmtMs(earlier.at(-1).ms)}, naive ${fmtMs(naiveWarm.at(-1).ms)}` : ''}`);
  }
  if (!withWarm) {
    warm.push(...ours);
    earlier.push(...ours);
    naiveWarm.push(...naive);
  }
  const sameAnswer = [...ours, ...warm, ...earlier, ...naiveWarm].every((o) => JSON.stringify([...o.keys].sort()) === JSON.stringify(naive[0].keys));
  if (!sameAnswer) throw new Error(`impact and the naive way disagree on ${head}: ${ours[0].altered} vs ${naive[0].altered} targets`);
  return {
    head,
    altered: ours[0].altered,
    rendered: { impact: ours[0].rendered, naive: naive[0].rendered },
    sameAnswer,
    time: {
      impact: stats(ours.map((o) => o.ms)),
      impactWarm: stats(warm.map((o) => o.ms)),
      impactEarlier: stats(earlier.map((o) => o.ms)),
      naive: stats(naive.map((n) => n.ms)),
      naiveWarm: stats(naiveWarm.map((n) => n.ms)),
      speedup: stats(ours.map((o, i) => naive[i].ms / o.ms)),
      // like for like: impact with a cache against the naive way with the same kind of cache (every document in it)
      speedupWarm: stats(warm.map((o, i) => naiveWarm[i].ms / o.ms)),
      speedupEarlier: stats(earlier.map((o, i) => naiveWarm[i].ms / o.ms)),
      // impact with a cache against the naive way without
      speedupWarmVsCold: stats(warm.map((o, i) => naive[i].ms / o.ms)),
    },
    cpuMs: { impact: stats(ours.map((o) => o.cpuMs)), naive: stats(naive.map((n) => n.cpuMs)) },
  };
}


async function main() {
  if (process.argv[2] === '--child') {
    const [, , , mode, dir, base, head] = process.argv;
    const r = mode === 'impact' ? await childImpact(dir, base, head) : await childNaive(dir, base, head);
    r.maxRssKb = process.resourceUsage().maxRSS;
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  const opts = parseArgs(process.argv.slice(2), { script: import.meta.url, defaults: { runs: 3, inner: 5 }, values: { '--runs': ['runs', Number], '--inner': ['inner', Number] } });
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(join(DIST, 'src', 'cli', 'impact.js'))) {
    log('claude-env is not built yet: run `npm run build` (or `npm run bench`, which builds first)');
    return 2;
  }
  const org = generateOrg(join(OUT, 'org'), { ...opts.org, force: opts.force });
  log(`impact bench: org ${org.reused ? 'reused' : 'generated'} (${org.opts.teams} teams, ${org.opts.projects} projects, ${org.opts.users} users, ${org.files} files)`);
  TEAM = teamName(Math.min(41, org.opts.teams - 1));
  const repo = impactRepo(org);
  log(`  git repo ${repo.reused ? 'reused' : 'made'}: ${repo.dir} (branches main, base-change, team-change)`);

  log('  (h) base-layer change');
  const base = stage(repo.dir, 'base-change', opts.runs, 1, false);
  log(`  (i) one-team change (${TEAM})`);
  const team = stage(repo.dir, 'team-change', opts.runs, opts.inner, true);
  // The whole command, as a reviewer runs it (wall time, stdout to a pipe that is dropped), without and with the warm
  // cache, beside Node's own start (node -e 0).
  const wall = (args, env) => {
    const t0 = performance.now();
    const r = spawnSync(NODE, args, { encoding: 'utf8', maxBuffer: 1 << 28, env });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return performance.now() - t0;
  };
  const cliArgs = [BIN, 'impact', '--repo', repo.dir, '--base', 'main', '--head', 'team-change'];
  const cliRuns = [];
  const cliWarm = [];
  const nodeRuns = [];
  for (let i = 0; i < opts.runs; i++) {
    cliRuns.push(wall(cliArgs, NO_CACHE));
    cliWarm.push(wall(cliArgs, { ...process.env, CLAUDE_ENV_CACHE: DOC_CACHE }));
    nodeRuns.push(wall(['-e', '0'], process.env));
  }
  const results = { node: process.version, org: { teams: org.opts.teams, projects: org.opts.projects, users: org.opts.users, files: org.files }, runs: opts.runs, stages: { base, team, cli: stats(cliRuns), cliWarm: stats(cliWarm), nodeStart: stats(nodeRuns) } };
  writeFileSync(join(OUT, 'impact.json'), `${JSON.stringify(results, null, 2)}\n`);

  const count = (n) => n.toLocaleString('en-US');
  const row = (label, s, t, naiveLabel, naiveT, ratio, goal) =>
    `| ${label} | ${count(s.altered)} | ${count(s.rendered.impact.base)} + ${count(s.rendered.impact.head)} | ${fmtMs(t.median)} | ${naiveLabel} | ${fmtMs(naiveT.median)} | ${fmtX(ratio.median)} | ${goal} | ${goal === 'reported' ? '—' : ratio.median >= 100 ? 'yes' : 'no'} |`;
  const { time: h } = base;
  const { time: i } = team;
  const table = [
    '| change | targets altered | impact renders (base + head) | impact | naive way (render all 60,000 targets at base and at head) | naive | naive / impact | goal | met? |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |',
    row('(h) base layer (`base/config.yml`), no document cache', base, h.impact, 'no document cache', h.naive, h.speedup, 'reported'),
    row(`(i) one team (\`teams/${TEAM}/base-config.yml\`), no document cache`, team, i.impact, 'no document cache', i.naive, i.speedup, '>= 100x'),
    row('(i) same, with the cache an earlier change to the team left', team, i.impactEarlier, 'every document in the cache', i.naiveWarm, i.speedupEarlier, '>= 100x'),
    row('(i) same, warm cache (this change looked at before)', team, i.impactWarm, 'every document in the cache', i.naiveWarm, i.speedupWarm, '>= 100x'),
    row('(i) same, warm cache', team, i.impactWarm, 'no document cache', i.naive, i.speedupWarmVsCold, 'reported'),
  ].join('\n');
  process.stdout.write(`\n${table}\n\nWhole \`claude-env impact\` process for (i), wall, median of ${opts.runs}: ${fmtMs(median(cliRuns))} without a cache, ${fmtMs(median(cliWarm))} with the warm cache; \`node -e 0\` ${fmtMs(median(nodeRuns))}.\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench/impact: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  },
);
