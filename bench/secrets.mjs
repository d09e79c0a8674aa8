#!/usr/bin/env node
// `npm run bench` stage for secret scanning, on the generated org of
// bench/generate-org.mjs (reused from bench/.out/org when bench/run.mjs made it):
//
//   (s1) `claude-env validate --format json` with secret scanning (the default)
//        vs `--no-secret-scan`: what scanning every file costs, as a ratio;
//   (s1b) the scanning rule alone, timed in process (its CPU time);
//   (s2) the `secretlint` CLI (recommended preset) on the same files, vs the
//        time scanning adds to our validate, and vs our whole validate.
//
// Ours with and without scanning alternate (A B A B ...) so that a drift in
// the machine's speed hits both; ratios are medians of per-round ratios. The
// document cache is off for ours (every file read and parsed). Figures go to
// bench/.out/secrets.json and a Markdown table is printed.
//
// Options: --runs N (rounds of s1, default 3), --cli-runs N (secretlint CLI
// runs, default 1: it is the slow one), --skip-cli, --teams/--projects/--users N,
// --force (regenerate the org).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOrg } from './generate-org.mjs';
import { BIN, NODE, OUT, ROOT, fmtX, log, median, parseArgs, stats } from './common.mjs';

const SECRETLINT = join(ROOT, 'node_modules', 'secretlint', 'bin', 'secretlint.js');
const ENV_NO_CACHE = { ...process.env, CLAUDE_ENV_CACHE: 'off' };


const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/**
 * GNU time, when installed, gives the CPU time (user + sys) of a command: on a
 * machine shared with other work the wall time swings far more than the CPU
 * time does, so ratios use CPU time when there is one.
 */
const GNU_TIME = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/time' : undefined;
const TIMES = join(OUT, `time-${process.pid}.txt`);
const TIME_KIND = GNU_TIME ? 'cpu time' : 'wall time';

/** Run a command to completion: wall ms measured here, cpu ms (user + sys) from GNU time. stdout is kept (validate's JSON is small). */
function run(cmd, args, { cwd = ROOT, env = process.env } = {}) {
  const argv = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', TIMES, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv[1], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  let cpu;
  if (GNU_TIME) {
    const [user, sys] = readFileSync(TIMES, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    cpu = (user + sys) * 1000;
    rmSync(TIMES, { force: true });
  }
  return { ms: cpu ?? wall, wall, cpu, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function validate(org, scan) {
  const args = [BIN, 'validate', '--repo', org.dir, '--format', 'json', ...(scan ? [] : ['--no-secret-scan'])];
  const r = run(NODE, args, { env: ENV_NO_CACHE });
  if (r.status !== 0 && r.status !== 1) throw new Error(`validate exited ${r.status}: ${r.stderr.trim().slice(0, 500)}`);
  return r;
}

function stageScanCost(org, opts) {
  const first = validate(org, true);
  const summary = JSON.parse(first.stdout).summary;
  log(`    ours: exit ${first.status}, summary ${JSON.stringify(summary)}`);
  const on = [];
  const off = [];
  const wall = { on: [], off: [] };
  for (let i = 0; i < opts.runs; i++) {
    const a = validate(org, true);
    const b = validate(org, false);
    on.push(a.ms);
    off.push(b.ms);
    wall.on.push(a.wall);
    wall.off.push(b.wall);
    log(`    round ${i + 1}: scanning ${fmtMs(a.ms)}, --no-secret-scan ${fmtMs(b.ms)} (${TIME_KIND}; wall ${fmtMs(a.wall)} and ${fmtMs(b.wall)})`);
  }
  return { timeKind: TIME_KIND, summary, on: stats(on), off: stats(off), ratio: stats(on.map((x, i) => x / off[i])), added: stats(on.map((x, i) => x - off[i])), wall: { on: stats(wall.on), off: stats(wall.off) } };
}

function stageCli(org, opts) {
  const rc = join(OUT, 'secretlintrc.json');
  writeFileSync(rc, `${JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] })}\n`);
  const version = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'secretlint', 'package.json'), 'utf8')).version;
  const times = [];
  let status;
  for (let i = 0; i < opts.cliRuns; i++) {
    // Every file of the org, as our validate scans them.
    const r = run(NODE, [SECRETLINT, '--secretlintrc', rc, '**/*'], { cwd: org.dir });
    if (r.status !== 0 && r.status !== 1) throw new Error(`secretlint exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
    status = r.status;
    times.push(r.ms);
    log(`    secretlint ${version} CLI run ${i + 1}: ${fmtMs(r.ms)} ${TIME_KIND} (wall ${fmtMs(r.wall)}, exit ${r.status})`);
  }
  return { version, exitCode: status, time: stats(times) };
}

/**
 * In a child process: open the org, read and parse every document (untimed),
 * then time the secret-scanning rule alone (read the other files, scan each
 * distinct content once with secretlint, map the hits). Prints one JSON line.
 */
async function childScan(dir) {
  const dist = join(ROOT, 'dist', 'src');
  const { Repo } = await import(join(dist, 'repo', 'repo.js'));
  const { worktreeSource } = await import(join(dist, 'blocking', 'sources.js'));
  const { validateRepo } = await import(join(dist, 'validate', 'index.js'));
  const { secretsRule } = await import(join(dist, 'validate', 'rules', 'secrets.js'));
  const { scanForSecrets } = await import(join(dist, 'secrets', 'scan.js'));
  const repo = new Repo(worktreeSource(dir));
  repo.allDocuments();
  let texts = 0;
  const counting = (inputs) => {
    texts = inputs.length;
    return scanForSecrets(inputs);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await validateRepo(repo, { rules: [secretsRule], secretScanner: counting });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, texts, findings: r.findings.length })}\n`);
}

function stageInProcess(org, opts) {
  const out = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = run(NODE, [fileURLToPath(import.meta.url), '--child-scan', org.dir]);
    if (r.status !== 0) throw new Error(`scan child exited ${r.status}: ${r.stderr.trim().slice(0, 500)}`);
    out.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
    log(`    round ${i + 1}: the scan rule ${fmtMs(out.at(-1).cpuMs)} cpu (wall ${fmtMs(out.at(-1).ms)}), ${out.at(-1).texts} distinct contents of ${org.files} files`);
  }
  return { texts: out[0].texts, findings: out[0].findings, cpuMs: stats(out.map((o) => o.cpuMs)), wallMs: stats(out.map((o) => o.ms)) };
}

async function main() {
  if (process.argv[2] === '--child-scan') {
    await childScan(process.argv[3]);
    return 0;
  }
  const opts = parseArgs(process.argv.slice(2), {
    script: import.meta.url,
    defaults: { runs: 3, cliRuns: 1, skipCli: false },
    values: { '--runs': ['runs', Number], '--cli-runs': ['cliRuns', Number] },
    switches: { '--skip-cli': 'skipCli' },
  });
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) {
    log('claude-env is not built yet: run `npm run build` (or `npm run bench`, which builds first)');
    return 2;
  }
  const org = generateOrg(join(OUT, 'org'), { ...opts.org, force: opts.force });
  log(`org: ${org.reused ? 'reused' : 'generated'} ${org.dir} (${org.files} files, ${(org.bytes / 1e6).toFixed(2)} MB)`);
  const results = { node: process.version, cpus: cpus().length, org: { files: org.files, bytes: org.bytes, ...org.opts }, runs: opts.runs };
  log('(s1) validate with secret scanning vs --no-secret-scan');
  results.scanCost = stageScanCost(org, opts);
  log('(s1b) the scanning rule alone, in process');
  results.inProcess = stageInProcess(org, opts);
  if (!opts.skipCli) {
    log('(s2) secretlint CLI on the same files');
    results.cli = stageCli(org, opts);
  }
  writeFileSync(join(OUT, 'secrets.json'), `${JSON.stringify(results, null, 2)}\n`);

  const s = results.scanCost;
  const rows = [
    ['validate, scanning every file (ours)', fmtMs(s.on.median), `validate --no-secret-scan: ${fmtMs(s.off.median)}`, fmtX(s.ratio.median), `cost of scanning: +${fmtMs(s.added.median)}`],
  ];
  const ip = results.inProcess;
  rows.push([`the scanning rule alone, in process (${ip.texts} distinct contents)`, `${fmtMs(ip.cpuMs.median)} cpu`, `validate --no-secret-scan: ${fmtMs(s.off.median)}`, fmtX(ip.cpuMs.median / s.off.median), 'share of a validate']);
  if (results.cli) {
    const cli = results.cli.time.median;
    rows.push([`secretlint ${results.cli.version} CLI, recommended preset, same ${org.files} files`, fmtMs(cli), `time scanning adds to our validate: ${fmtMs(s.added.median)}`, s.added.median > 0 ? fmtX(cli / s.added.median) : 'n/a', 'CLI / our added time']);
    rows.push(['', '', `our scanning rule alone, in process: ${fmtMs(ip.cpuMs.median)}`, fmtX(cli / ip.cpuMs.median), 'CLI / our scan']);
    rows.push(['', '', `our whole validate with scanning: ${fmtMs(s.on.median)}`, fmtX(cli / s.on.median), 'CLI / our whole validate']);
  }
  const table = ['| stage | time | compared with | ratio | note |', '| --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  process.stdout.write(`\n${table}\n\n(${TIME_KIND}; ${org.files} files, ${(org.bytes / 1e6).toFixed(2)} MB; medians of ${opts.runs} rounds; node ${process.version}, ${cpus().length} cpus)\n`);
  return 0;
}

process.exitCode = await main();
