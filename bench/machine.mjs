#!/usr/bin/env node
// The machine half of `npm run bench`, on the org of bench/generate-org.mjs:
//   (e) `claude-env drift` of one target, whole process, vs `node -e 0`; goal <= 2x
//   (f) a re-apply with nothing to change: output bytes written and renames
//       (counted by strace when it is installed, else from apply's own report); goal 0 and 0
//   (g) apply of 1,000 targets into 1,000 sandbox homes (our API, in process:
//       lock, restore point, fsynced temp files, journal, renames, check,
//       state) vs the floor: fs.writeFileSync of the same bytes; ratio reported
//   (h) drift of one target also rendered for Codex, Gemini CLI, Copilot CLI and Cursor vs Claude Code only; goal <= 1.5x
// Ours and the peer alternate; the ratio is the median of per-round ratios.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignmentOf, generateOrg } from './generate-org.mjs';
import { BIN, NODE, OUT, ROOT, log, median } from './common.mjs';

const ENV = 'production';
const HOMES = 1000;
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

function time(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const org = generateOrg(join(OUT, 'org'), {});
const box = join(OUT, 'machine');
rmSync(box, { recursive: true, force: true });
mkdirSync(box, { recursive: true });
const cacheEnv = { ...process.env, CLAUDE_ENV_CACHE: join(OUT, 'doc-cache') };
const a = assignmentOf(34);
const targetFlags = ['--repo', org.dir, '--env', ENV, '--team', a.team, '--project', a.project, '--user', a.user];
const rows = [];

// (e) drift of one target
{
  const home = join(box, 'drift-home');
  mkdirSync(home);
  const env = { ...cacheEnv, HOME: home };
  const applied = time(NODE, [BIN, 'apply', ...targetFlags, '--home', home], env);
  if (applied.status !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  time(NODE, [BIN, 'drift', ...targetFlags, '--home', home], env); // warm the caches
  const ratios = [];
  const ours = [];
  const base = [];
  for (let i = 0; i < 10; i++) {
    const o = time(NODE, [BIN, 'drift', ...targetFlags, '--home', home], env);
    if (o.status !== 0) throw new Error(`drift found drift or failed: ${o.stdout}${o.stderr}`);
    const b = time(NODE, ['-e', '0'], env);
    ours.push(o.ms);
    base.push(b.ms);
    ratios.push(o.ms / b.ms);
  }
  rows.push({ stage: '(e) `drift` of one target, CLI process, warm document cache', ours: fmt(median(ours)), peer: `${fmt(median(base))} (\`node -e 0\`)`, ratio: `${median(ratios).toFixed(2)}x`, goal: '<= 2x', met: median(ratios) <= 2 ? 'yes' : 'no' });
  log(`(e) drift ${fmt(median(ours))} vs node -e 0 ${fmt(median(base))}`);

  // (f) re-apply with nothing to change
  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  let renames = 'n/a';
  let written = 'n/a';
  const again = hasStrace
    ? time('strace', ['-f', '-qq', '-e', 'trace=rename,renameat,renameat2', '-o', join(box, 'strace.txt'), NODE, BIN, 'apply', ...targetFlags, '--home', home, '--json'], env)
    : time(NODE, [BIN, 'apply', ...targetFlags, '--home', home, '--json'], env);
  const report = JSON.parse(again.stdout);
  written = report.written.reduce((n, w) => n + w.bytes, 0);
  if (hasStrace) renames = readFileSync(join(box, 'strace.txt'), 'utf8').split('\n').filter((l) => /rename/.test(l)).length;
  rows.push({ stage: '(f) re-apply with nothing to change', ours: `${written} bytes written, ${renames} renames`, peer: '—', ratio: '—', goal: '0 bytes, 0 renames', met: written === 0 && (renames === 0 || renames === 'n/a') ? 'yes' : 'no' });
  log(`(f) re-apply: ${written} bytes written, ${renames} renames${hasStrace ? ' (strace)' : ''}`);
}

// (h) drift of one target whose environment also renders for Codex, Gemini CLI, Copilot CLI and Cursor (claude-env.yml
// `harnesses`: 7 more files, a TOML and three JSON files with comments read in their own formats) vs the same drift
// with Claude Code's files only, same org otherwise
{
  const orgH = join(box, 'org-harnesses');
  cpSync(org.dir, orgH, { recursive: true });
  writeFileSync(join(orgH, 'claude-env.yml'), `${readFileSync(join(orgH, 'claude-env.yml'), 'utf8')}\nharnesses: [claude-code, codex, gemini-cli, copilot-cli, cursor]\n`);
  const flagsH = ['--repo', orgH, ...targetFlags.slice(2)];
  const homes = { plain: join(box, 'plain-home'), agents: join(box, 'agents-home') };
  for (const [name, home] of Object.entries(homes)) {
    mkdirSync(home);
    const applied = time(NODE, [BIN, 'apply', ...(name === 'agents' ? flagsH : targetFlags), '--home', home], { ...cacheEnv, HOME: home });
    if (applied.status !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  }
  const run = (name) => time(NODE, [BIN, 'drift', ...(name === 'agents' ? flagsH : targetFlags), '--home', homes[name]], { ...cacheEnv, HOME: homes[name] });
  run('plain');
  run('agents'); // warm the caches
  const ratios = [];
  const ours = [];
  const base = [];
  for (let i = 0; i < 10; i++) {
    const o = run('agents');
    if (o.status !== 0) throw new Error(`drift (agents) found drift or failed: ${o.stdout}${o.stderr}`);
    const b = run('plain');
    ours.push(o.ms);
    base.push(b.ms);
    ratios.push(o.ms / b.ms);
  }
  rows.push({ stage: '(h) `drift` of one target rendered for 4 other agents too (7 more files: TOML, JSON with comments)', ours: fmt(median(ours)), peer: `${fmt(median(base))} (the same drift, Claude Code's files only)`, ratio: `${median(ratios).toFixed(2)}x`, goal: '<= 1.5x', met: median(ratios) <= 1.5 ? 'yes' : 'no' });
  log(`(h) drift with 4 other agents ${fmt(median(ours))} vs Claude Code only ${fmt(median(base))}`);
}

// (g) apply of 1,000 targets into 1,000 homes vs writeFileSync of the same bytes
{
  const api = await import(join(ROOT, 'dist', 'src', 'index.js'));
  const { worktreeSource } = await import(join(ROOT, 'dist', 'src', 'blocking', 'sources.js'));
  const { runApply } = await import(join(ROOT, 'dist', 'src', 'apply', 'run.js'));
  const repo = api.loadRepo(worktreeSource(org.dir));
  const cache = api.createRenderCache(repo);
  const { renderTarget } = await import(join(ROOT, 'dist', 'src', 'render', 'index.js'));
  const targets = api.repoTargets(repo, { env: ENV }).filter((_, i) => i % 20 === 0).slice(0, HOMES);
  const rendered = targets.map((t) => ({ t, outputs: renderTarget(repo, t, { cache }).outputs }));
  const ratios = [];
  let last;
  for (let round = 0; round < 3; round++) {
    const oursDir = join(box, `apply-${round}`);
    const floorDir = join(box, `floor-${round}`);
    let t0 = performance.now();
    let bytes = 0;
    for (const [i, { t, outputs }] of rendered.entries()) {
      const home = join(oursDir, String(i));
      mkdirSync(home, { recursive: true });
      const r = await runApply({ locations: { home }, stateDir: join(home, '.claude-env'), target: t, outputs });
      bytes += r.bytesWritten;
    }
    const ours = performance.now() - t0;
    t0 = performance.now();
    rendered.forEach(({ outputs }, i) => {
      for (const o of outputs) {
        const file = join(floorDir, String(i), o.path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, o.encoding === 'base64' ? Buffer.from(o.content, 'base64') : o.content, { mode: o.mode });
      }
    });
    const floor = performance.now() - t0;
    ratios.push(ours / floor);
    last = { ours, floor, bytes };
    log(`(g) round ${round + 1}: ours ${fmt(ours)}, floor ${fmt(floor)} (${(bytes / 1e6).toFixed(1)} MB into ${rendered.length} homes)`);
    rmSync(oursDir, { recursive: true, force: true });
    rmSync(floorDir, { recursive: true, force: true });
  }
  rows.push({
    stage: `(g) apply ${rendered.length.toLocaleString('en-US')} targets into ${rendered.length.toLocaleString('en-US')} sandbox homes, in process`,
    ours: fmt(last.ours),
    peer: `${fmt(last.floor)} (\`fs.writeFileSync\` of the same bytes, no fsync, no restore point)`,
    ratio: `${median(ratios).toFixed(2)}x`,
    goal: 'reported',
    met: '—',
  });
}

rmSync(box, { recursive: true, force: true });
const md = ['| stage | ours | peer / floor | ratio | goal | met? |', '| --- | ---: | --- | ---: | --- | --- |', ...rows.map((r) => `| ${r.stage} | ${r.ours} | ${r.peer} | ${r.ratio} | ${r.goal} | ${r.met} |`)].join('\n');
writeFileSync(join(OUT, 'machine-results.json'), JSON.stringify(rows, null, 2));
process.stdout.write(`\nMachine stages (Markdown, for README):\n\n${md}\n`);
