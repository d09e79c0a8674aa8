#!/usr/bin/env node
// `npm run bench`: claude-env against its floor and its peers, side by side in
// one run, on a generated org (bench/generate-org.mjs; default 200 teams,
// 2,000 projects, 20,000 users).
//
//   (a) render every target of one environment (20,000 targets) with our API,
//       vs the floor: read + `yaml` parseDocument of every YAML file once +
//       JSON.stringify of the very output objects our render made;  goal <= 1.5x
//   (b) `claude-env validate --format json` (whole process, stdout to /dev/null)
//       vs yamllint + ajv-cli on the same files, run one after the other;
//       goal: faster than both together
//   (c) `claude-env explain settings.model ...` (whole process) vs `node -e 0`;
//       goal <= 2x
//   (d) peak memory (maxRSS) of (a), ours and the floor's: reported
//
// Ours and the peer alternate (A B A B ...) so that a drift in the machine's
// speed hits both; the ratio quoted is the median of the per-round ratios.
// Figures go to bench/.out/results.json and a Markdown table is printed.
//
// Options: --runs N (rounds of (a) and (b), default 3), --explain-runs N
// (default 10), --env E (default production), --teams/--projects/--users N,
// --only a,b,c (stages to run), --force (regenerate the org).
// Environment: BENCH_DIST=DIR and BENCH_BIN=FILE use another build than ./dist and
// bin/claude-env.js (for testing the bench itself).

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, assignmentOf, generateOrg } from './generate-org.mjs';
import { BIN, DIST, HERE, NODE, OUT, ROOT, fmtMs, fmtX, log, median, parseArgs } from './common.mjs';

const AJV = join(ROOT, 'node_modules', 'ajv-cli', 'dist', 'index.js');
// Our CLI keeps a cache of parsed documents keyed by content hash
// ($CLAUDE_ENV_CACHE). The bench gives it a folder of its own, and measures
// each CLI stage with that folder emptied before the run (a fresh machine or
// CI: every document parsed, the cache filled) and warm; validate also with
// the cache off (every document parsed, nothing written).
const DOC_CACHE = join(OUT, 'doc-cache');
// Node's own compile cache (bin/claude-env.js enables it) in a folder of the bench's too, so that a fresh machine can be had.
const NODE_COMPILE_CACHE = join(OUT, 'node-compile-cache');
const CLI_ENV = { ...process.env, CLAUDE_ENV_CACHE: DOC_CACHE, NODE_COMPILE_CACHE };
const CLI_ENV_NO_CACHE = { ...process.env, CLAUDE_ENV_CACHE: 'off', NODE_COMPILE_CACHE };
const emptyDocCache = () => rmSync(DOC_CACHE, { recursive: true, force: true });
/** Every entry but the parser's code cache (v8/): documents changed since the last run on a machine that has run claude-env. */
const emptyDocEntries = () => {
  if (!existsSync(DOC_CACHE)) return;
  for (const e of readdirSync(DOC_CACHE)) if (e !== 'v8') rmSync(join(DOC_CACHE, e), { recursive: true, force: true });
};

// ---------------------------------------------------------------- arguments


// ---------------------------------------------------------------- measuring

const min = (xs) => Math.min(...xs);
const stats = (xs) => ({ min: min(xs), median: median(xs), max: Math.max(...xs), samples: xs });

let devNull;
let captureSeq = 0;
/**
 * Run a whole command; its stdout goes to /dev/null unless `capture`, then to a
 * file (not a pipe: a CLI that calls process.exit() may lose piped output).
 * Returns {ms (wall, measured here), status, stdout, stderr}.
 */
function run(cmd, args, { capture = false, cwd = ROOT, env = process.env } = {}) {
  devNull ??= openSync('/dev/null', 'w');
  const outPath = join(OUT, `capture-${process.pid}-${captureSeq++}.txt`);
  const outFd = capture ? openSync(outPath, 'w') : devNull;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', outFd, 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let stdout = '';
  if (capture) {
    closeSync(outFd);
    stdout = readFileSync(outPath, 'utf8');
    rmSync(outPath, { force: true });
  }
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { ms, status: r.status, signal: r.signal, stdout, stderr: r.stderr ?? '' };
}

/** A child of bench/render-child.mjs; returns its JSON line plus the wall time. */
function renderChild(mode, ...args) {
  const r = run(NODE, [join(HERE, 'render-child.mjs'), mode, ...args], { capture: true });
  if (r.status !== 0) throw new Error(`render-child ${mode} exited ${r.status ?? r.signal}: ${r.stderr.trim().slice(0, 2000)}`);
  const line = r.stdout.trim().split('\n').at(-1);
  return { ...JSON.parse(line), wallMs: r.ms };
}

const fmtMb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------- stages

function apiReady() {
  const need = [join(DIST, 'src', 'index.js'), join(DIST, 'src', 'blocking', 'sources.js')];
  const missing = need.filter((p) => !existsSync(p));
  // The CLI may load a bundle rather than dist/src: ask it, rather than look for files.
  const probe = run(NODE, [BIN, '--help'], { capture: true });
  if (probe.status !== 0) missing.push(`a working ${BIN} (\`--help\` exited ${probe.status}: ${probe.stderr.trim().split('\n')[0]})`);
  return missing;
}

function stageRender(org, opts) {
  const outFile = join(OUT, `outputs-${opts.env}.ndjson`);
  log(`    untimed: our render writes the output objects for the floor to ${outFile}`);
  const prep = renderChild('prep', org.dir, opts.env, outFile);
  log(`    ${prep.targets} targets (${prep.api}), ${prep.outputs} outputs, ${(prep.bytes / 1e6).toFixed(1)} MB of output text, ${prep.findings} findings`);
  const ours = [];
  const floor = [];
  for (let i = 0; i < opts.runs; i++) {
    ours.push(renderChild('ours', org.dir, opts.env));
    floor.push(renderChild('floor', org.dir, opts.env, outFile));
    log(`    round ${i + 1}: ours ${fmtMs(ours.at(-1).ms)} (${fmtMb(ours.at(-1).maxRssKb)}), floor ${fmtMs(floor.at(-1).ms)} (${fmtMb(floor.at(-1).maxRssKb)})`);
  }
  rmSync(outFile, { force: true });
  const sameWork = ours.every((o) => o.targets === prep.targets && o.outputs === prep.outputs) && floor.every((f) => f.targets === prep.targets && f.outputs === prep.outputs);
  return {
    env: opts.env,
    api: prep.api,
    targets: prep.targets,
    outputs: prep.outputs,
    outputBytes: prep.bytes,
    renderFindings: prep.findings,
    jsonOutputs: prep.jsonOutputs,
    jsonOutputsWithIndent2: prep.jsonOutputsWithIndent2,
    sameWork,
    yamlFiles: floor[0].files,
    time: {
      ours: stats(ours.map((o) => o.ms)),
      floor: stats(floor.map((f) => f.ms)),
      floorParse: stats(floor.map((f) => f.parseMs)),
      floorStringify: stats(floor.map((f) => f.stringifyMs)),
      ratio: stats(ours.map((o, i) => o.ms / floor[i].ms)),
    },
    maxRssKb: {
      ours: stats(ours.map((o) => o.maxRssKb)),
      floor: stats(floor.map((f) => f.maxRssKb)),
      ratio: stats(ours.map((o, i) => o.maxRssKb / floor[i].maxRssKb)),
    },
  };
}

function yamlFileList(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The finding ids our validate can report, read from the build's rule registry
 * (informational only: the registry is internal, so any shape change gives null).
 */
async function ourRuleIds() {
  try {
    const reg = await import(join(DIST, 'src', 'validate', 'registry.js'));
    if (!Array.isArray(reg.RULES)) return null;
    const ids = new Set();
    for (const r of reg.RULES) {
      if (r.findings && typeof r.findings === 'object') for (const id of Object.keys(r.findings)) ids.add(id);
      else if (Array.isArray(r.ids)) for (const id of r.ids) ids.add(id);
      else if (typeof r.id === 'string') ids.add(r.id);
    }
    return ids.size ? { rules: reg.RULES.length, findingIds: [...ids] } : null;
  } catch {
    return null;
  }
}

function stageValidate(org, opts, ruleIds) {
  const schema = join(OUT, 'trivial.schema.json');
  // ajv-cli 5 picks the parser by extension: .yml/.yaml data files go through js-yaml.
  writeFileSync(schema, `${JSON.stringify({ $comment: 'trivial schema: every YAML document of the repo is a mapping, a list or empty', type: ['object', 'array', 'null'] })}\n`);
  const validateArgs = [BIN, 'validate', '--repo', org.dir, '--format', 'json'];
  const ours = () => run(NODE, validateArgs, { env: CLI_ENV });
  const ajv = () => run(NODE, [AJV, 'validate', '--spec=draft7', '-s', schema, '-d', `${org.dir}/**/*.{yml,yaml}`]);
  const yamllint = () => run('yamllint', ['-f', 'parsable', org.dir]);

  // Untimed: what each one reports, to show what was checked.
  emptyDocCache();
  const first = run(NODE, validateArgs, { capture: true, env: CLI_ENV });
  let summary = null;
  let rules = {};
  try {
    const parsed = JSON.parse(first.stdout);
    summary = parsed.summary;
    for (const f of parsed.findings ?? []) rules[`${f.severity} ${f.rule}`] = (rules[`${f.severity} ${f.rule}`] ?? 0) + 1;
  } catch {
    summary = { unparsable: first.stdout.slice(0, 200), stderr: first.stderr.slice(0, 500) };
  }
  log(`    ours: exit ${first.status}, summary ${JSON.stringify(summary)}${Object.keys(rules).length ? `, ${JSON.stringify(rules)}` : ''}`);
  const ajvFirst = run(NODE, [AJV, 'validate', '--spec=draft7', '-s', schema, '-d', `${org.dir}/**/*.{yml,yaml}`], { capture: true });
  const ajvValid = (ajvFirst.stdout.match(/ valid$/gm) ?? []).length;
  const ajvInvalid = (ajvFirst.stdout + ajvFirst.stderr).match(/ invalid$/gm)?.length ?? 0;
  log(`    ajv-cli: exit ${ajvFirst.status}, ${ajvValid} files valid, ${ajvInvalid} invalid`);
  let hasYamllint = true;
  try {
    run('yamllint', ['--version'], { capture: true });
  } catch {
    hasYamllint = false;
    log('    yamllint is not installed (Debian: apt-get update && apt-get install -y yamllint): the peer is ajv-cli alone and the goal is not judged');
  }
  let yamllintInfo = { installed: false };
  if (hasYamllint) {
    const ylFirst = run('yamllint', ['-f', 'parsable', org.dir], { capture: true });
    const ylLines = ylFirst.stdout.split('\n').filter(Boolean);
    const ylErrors = ylLines.filter((l) => l.includes('[error]')).length;
    log(`    yamllint: exit ${ylFirst.status}, ${ylErrors} errors, ${ylLines.length - ylErrors} warnings (default config)`);
    yamllintInfo = { installed: true, version: run('yamllint', ['--version'], { capture: true }).stdout.trim(), exitCode: ylFirst.status, errors: ylErrors, warnings: ylLines.length - ylErrors, config: 'default' };
  }

  const cold = [];
  const off = [];
  const a = [];
  const y = [];
  for (let i = 0; i < opts.runs; i++) {
    emptyDocCache();
    cold.push(ours());
    off.push(run(NODE, validateArgs, { env: CLI_ENV_NO_CACHE }));
    a.push(ajv());
    if (hasYamllint) y.push(yamllint());
    log(`    round ${i + 1}: ours ${fmtMs(cold.at(-1).ms)} (empty cache), ${fmtMs(off.at(-1).ms)} (cache off), ajv-cli ${fmtMs(a.at(-1).ms)}${hasYamllint ? `, yamllint ${fmtMs(y.at(-1).ms)}` : ''}`);
  }
  const peer = a.map((x, i) => x.ms + (hasYamllint ? y[i].ms : 0));
  return {
    files: yamlFileList(org.dir).length,
    ours: { exitCodes: [...new Set([...cold, ...off].map((r) => r.status))], summary, findingsByRule: rules, ruleIds },
    ajv: { exitCode: ajvFirst.status, valid: ajvValid, invalid: ajvInvalid, schema: 'trivial (object | array | null)' },
    yamllint: yamllintInfo,
    time: {
      oursCold: stats(cold.map((r) => r.ms)),
      oursOff: stats(off.map((r) => r.ms)),
      ajv: stats(a.map((r) => r.ms)),
      yamllint: hasYamllint ? stats(y.map((r) => r.ms)) : null,
      peers: stats(peer),
      ratioCold: stats(cold.map((r, i) => r.ms / peer[i])),
      ratioOff: stats(off.map((r, i) => r.ms / peer[i])),
    },
  };
}

function stageExplain(org, opts) {
  // A user with a shared user layer that sets the model, so every layer is read.
  const usersDir = join(org.dir, 'users');
  const users = existsSync(usersDir) ? readdirSync(usersDir).sort() : [];
  const u = users.find((name) => /^\s*model:/m.test(readFileSync(join(usersDir, name, 'overrides.yml'), 'utf8'))) ?? users[0] ?? 'u00001';
  const t = assignmentOf(Number(u.slice(1)) - 1, org.opts);
  const args = [BIN, 'explain', 'settings.model', '--repo', org.dir, '--env', opts.env, '--team', t.team, '--project', t.project, '--user', t.user];
  emptyDocCache();
  const check = run(NODE, args, { capture: true, env: CLI_ENV });
  log(`    ${t.user} (${t.team}, ${t.project}) exit ${check.status}: ${check.stdout.trim().split('\n').slice(0, 3).join(' | ').slice(0, 300)}${check.stderr ? ` stderr: ${check.stderr.trim().slice(0, 300)}` : ''}`);
  run(NODE, ['-e', '0']); // warm-up of both
  run(NODE, args, { env: CLI_ENV });
  const cold = [];
  const warm = [];
  const changed = [];
  const n = [];
  for (let i = 0; i < opts.explainRuns; i++) {
    // a fresh machine: no cache of any kind (documents, the parser's code cache, Node's compile cache)
    emptyDocCache();
    rmSync(NODE_COMPILE_CACHE, { recursive: true, force: true });
    cold.push(run(NODE, args, { env: CLI_ENV }));
    warm.push(run(NODE, args, { env: CLI_ENV }));
    // documents changed since the last run: compiled code kept, every document parsed
    emptyDocEntries();
    changed.push(run(NODE, args, { env: CLI_ENV }));
    n.push(run(NODE, ['-e', '0']));
  }
  return {
    command: `claude-env explain settings.model --repo ORG --env ${opts.env} --team ${t.team} --project ${t.project} --user ${t.user}`,
    exitCodes: [...new Set([...cold, ...warm].map((r) => r.status))],
    firstLines: check.stdout.trim().split('\n').slice(0, 5),
    time: {
      oursCold: stats(cold.map((r) => r.ms)),
      oursWarm: stats(warm.map((r) => r.ms)),
      oursChanged: stats(changed.map((r) => r.ms)),
      node: stats(n.map((r) => r.ms)),
      ratioCold: stats(cold.map((r, i) => r.ms / n[i].ms)),
      ratioWarm: stats(warm.map((r, i) => r.ms / n[i].ms)),
      ratioChanged: stats(changed.map((r, i) => r.ms / n[i].ms)),
    },
  };
}

// ---------------------------------------------------------------- report

function rows(results) {
  const r = [];
  const { render, validate, explain } = results.stages;
  if (render) {
    r.push({
      stage: `(a) render all ${render.targets.toLocaleString('en-US')} targets of ${render.env} (API, no document cache)`,
      ours: fmtMs(render.time.ours.median),
      peer: `${fmtMs(render.time.floor.median)} (parse ${fmtMs(render.time.floorParse.median)} + stringify ${fmtMs(render.time.floorStringify.median)})`,
      ratio: render.time.ratio.median,
      goal: '<= 1.5x floor',
      met: render.time.ratio.median <= 1.5,
    });
    r.push({
      stage: '(d) peak memory of (a) (maxRSS)',
      ours: fmtMb(render.maxRssKb.ours.median),
      peer: `${fmtMb(render.maxRssKb.floor.median)} (floor)`,
      ratio: render.maxRssKb.ratio.median,
      goal: 'reported',
      met: null,
    });
  }
  if (validate) {
    const v = validate.time;
    const peer = v.yamllint
      ? `${fmtMs(v.peers.median)} (yamllint ${fmtMs(v.yamllint.median)} + ajv-cli ${fmtMs(v.ajv.median)})`
      : `${fmtMs(v.peers.median)} (ajv-cli only: yamllint not installed)`;
    // validate reads the document cache but never fills it (see src/workspace/open.ts), so there is no warm state to time.
    for (const [label, t, ratio] of [['empty document cache', v.oursCold, v.ratioCold], ['document cache off', v.oursOff, v.ratioOff]]) {
      r.push({
        stage: `(b) validate ${validate.files.toLocaleString('en-US')} files, ${label}`,
        ours: fmtMs(t.median),
        peer,
        ratio: ratio.median,
        goal: '< 1x (both together)',
        met: v.yamllint ? ratio.median < 1 : null,
      });
    }
  }
  if (explain) {
    const e = explain.time;
    for (const [label, t, ratio] of [
      ['fresh machine (no cache of any kind)', e.oursCold, e.ratioCold],
      ['documents not cached (changed since the last run; compiled code kept)', e.oursChanged, e.ratioChanged],
      ['warm document cache', e.oursWarm, e.ratioWarm],
    ]) {
      r.push({
        stage: `(c) explain one key, one target, ${label}`,
        ours: fmtMs(t.median),
        peer: `${fmtMs(e.node.median)} (node -e 0)`,
        ratio: ratio.median,
        goal: '<= 2x',
        met: ratio.median <= 2,
      });
    }
  }
  return r;
}

function textTable(rs) {
  const head = ['stage', 'ours', 'peer / floor', 'ratio', 'goal', 'met?'];
  const body = rs.map((x) => [x.stage, x.ours, x.peer, fmtX(x.ratio), x.goal, x.met === null ? '-' : x.met ? 'yes' : 'NO']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

function markdownTable(rs) {
  const head = '| stage | ours | peer / floor | ratio | goal | met? |\n| --- | ---: | --- | ---: | --- | --- |';
  return [head, ...rs.map((x) => `| ${x.stage} | ${x.ours} | ${x.peer} | ${fmtX(x.ratio)} | ${x.goal} | ${x.met === null ? '—' : x.met ? 'yes' : 'no'} |`)].join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    script: import.meta.url,
    defaults: { runs: 3, explainRuns: 10, env: 'production', only: new Set(['a', 'b', 'c']) },
    values: { '--runs': ['runs', Number], '--explain-runs': ['explainRuns', Number], '--env': ['env', String], '--only': ['only', (v) => new Set(v.split(','))] },
  });
  mkdirSync(OUT, { recursive: true });
  const started = performance.now();
  log(`node ${process.version} (${NODE}), ${cpus().length} cpus, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  if (Number(process.versions.node.split('.')[0]) < 24) log(`warning: this is node ${process.version}; run through npm (node@24 devDependency) for the figures that count`);

  const org = generateOrg(join(OUT, 'org'), { ...opts.org, force: opts.force });
  log(`org: ${org.reused ? 'reused' : 'generated'} ${org.dir} (${org.opts.teams} teams, ${org.opts.projects} projects, ${org.opts.users} users; ${org.files} files, ${(org.bytes / 1e6).toFixed(2)} MB; sha256 ${org.hash.slice(0, 16)}…) in ${fmtMs(org.ms)}`);

  const missing = apiReady();
  if (missing.length) {
    log(`claude-env is not built yet (missing ${missing.join(', ')}): run \`npm run build\` (or \`npm run bench\`, which builds first)`);
    return 2;
  }

  const results = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    org: { dir: org.dir, ...org.opts, files: org.files, bytes: org.bytes, sha256: org.hash },
    runs: opts.runs,
    explainRuns: opts.explainRuns,
    stages: {},
  };
  const failures = [];
  const stage = (letter, name, fn) => {
    if (!opts.only.has(letter)) return;
    log(`(${letter}) ${name}`);
    try {
      results.stages[name] = fn();
    } catch (err) {
      failures.push(`(${letter}) ${name}: ${err.message}`);
      results.stages[name] = { error: err.message };
      log(`    FAILED: ${err.message}`);
    }
  };
  stage('a', 'render', () => stageRender(org, opts));
  const ruleIds = await ourRuleIds();
  stage('b', 'validate', () => stageValidate(org, opts, ruleIds));
  stage('c', 'explain', () => stageExplain(org, opts));
  results.seconds = (performance.now() - started) / 1000;

  const ok = Object.fromEntries(Object.entries(results.stages).filter(([, v]) => !v.error));
  const rs = rows({ stages: ok });
  results.table = rs;
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const out = [];
  out.push('');
  out.push(`claude-env bench: ${org.opts.teams} teams, ${org.opts.projects} projects, ${org.opts.users} users (${org.files} YAML files, ${(org.bytes / 1e6).toFixed(2)} MB); node ${process.version}, ${cpus().length} cpus; medians of ${opts.runs} rounds ((c): ${opts.explainRuns}), ratio = median of per-round ratios`);
  out.push('');
  out.push(textTable(rs));
  if (ok.validate) {
    const v = ok.validate;
    out.push('');
    const yl = v.yamllint.installed ? `; yamllint ${v.yamllint.errors} errors / ${v.yamllint.warnings} warnings (style rules, default config)` : '';
    const ids = v.ours.ruleIds ? ` from ${v.ours.ruleIds.rules} rules that report ${v.ours.ruleIds.findingIds.length} kinds of finding (${v.ours.ruleIds.findingIds.join(', ')})` : '';
    out.push(`validate: ours ${JSON.stringify(v.ours.summary)}${ids}; ajv-cli ${v.ajv.valid} of ${v.files} files valid against a trivial schema${yl}`);
  }
  if (ok.render && !ok.render.sameWork) out.push('WARNING: ours and the floor did not process the same number of targets/outputs');
  out.push('');
  out.push('Markdown (for README):');
  out.push('');
  out.push(markdownTable(rs));
  out.push('');
  out.push(`figures: ${join(OUT, 'results.json')} (${results.seconds.toFixed(0)} s in all)`);
  for (const f of failures) out.push(`FAILED ${f}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (devNull !== undefined) closeSync(devNull);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  },
);
