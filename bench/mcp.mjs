#!/usr/bin/env node
// The MCP half of `npm run bench`, on real stdio servers (server-memory, run with this node from node_modules):
//   (m1) `claude-env mcp check` of a target with 20 stdio servers, whole process: --concurrency 20 vs --concurrency 1
//   (m2) our check of one server (spawn in its own process group, initialize, tools/list, close that ends the group)
//        vs a bare SDK client (StdioClientTransport, connect, listTools, close) on the same server, in process
// Ours and the peer alternate; each figure is the median of its rounds, the ratio the median of per-round ratios.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, NODE, OUT, ROOT, log, median } from './common.mjs';

const SERVERS = 20;
const ROUNDS_M1 = 3;
const ROUNDS_M2 = 15;
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const require = createRequire(import.meta.url);
const memoryPkg = require.resolve('@modelcontextprotocol/server-memory/package.json');
const memoryEntry = resolve(dirname(memoryPkg), JSON.parse(readFileSync(memoryPkg, 'utf8')).bin['mcp-server-memory']);

const box = join(OUT, 'mcp');
rmSync(box, { recursive: true, force: true });
mkdirSync(join(box, 'repo', 'base', 'mcp'), { recursive: true });
mkdirSync(join(box, 'repo', 'teams', 'web'), { recursive: true });
mkdirSync(join(box, 'home'), { recursive: true });
writeFileSync(join(box, 'repo', 'claude-env.yml'), 'version: 1\nenvironments: [development]\n');
writeFileSync(join(box, 'repo', 'teams', 'web', 'members.yml'), '- { user: ann, role: developer }\n');
for (let i = 0; i < SERVERS; i++) {
  const file = join(box, `memory-${i}.jsonl`);
  writeFileSync(join(box, 'repo', 'base', 'mcp', `memory-${String(i).padStart(2, '0')}.yml`), `command: ${JSON.stringify(NODE)}\nargs: [${JSON.stringify(memoryEntry)}]\nenv: { MEMORY_FILE_PATH: ${JSON.stringify(file)} }\n`);
}
const target = ['--repo', join(box, 'repo'), '--env', 'development', '--team', 'web', '--user', 'ann', '--home', join(box, 'home')];
const env = { PATH: process.env.PATH, HOME: join(box, 'home'), CLAUDE_ENV_CACHE: join(OUT, 'doc-cache') };

function check(concurrency) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(NODE, [BIN, 'mcp', 'check', ...target, '--concurrency', String(concurrency), '--json'], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`mcp check --concurrency ${concurrency} failed (${r.status}): ${r.stdout}${r.stderr}`);
  const up = JSON.parse(r.stdout).servers.filter((s) => s.up).length;
  if (up !== SERVERS) throw new Error(`only ${up} of ${SERVERS} servers up`);
  return ms;
}

const rows = [];
const results = {};

// (m1) 20 stdio servers, concurrently vs one at a time
{
  check(SERVERS); // warm the caches
  const par = [];
  const seq = [];
  const ratios = [];
  for (let i = 0; i < ROUNDS_M1; i++) {
    const s = check(1);
    const p = check(SERVERS);
    seq.push(s);
    par.push(p);
    ratios.push(s / p);
    log(`m1 round ${i + 1}: one at a time ${fmt(s)}, concurrently ${fmt(p)}`);
  }
  results.m1 = { servers: SERVERS, sequential_ms: median(seq), concurrent_ms: median(par), speedup: median(ratios) };
  rows.push([`mcp check, ${SERVERS} stdio servers (server-memory)`, `--concurrency ${SERVERS}: ${fmt(median(par))}`, `--concurrency 1: ${fmt(median(seq))}`, `${median(ratios).toFixed(2)}× faster concurrently`]);
}

// (m2) one server: our check vs a bare SDK client
{
  const { checkServer } = await import(join(ROOT, 'dist', 'src', 'mcp', 'check.js'));
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const memEnv = { MEMORY_FILE_PATH: join(box, 'memory-bare.jsonl') };
  const spec = { name: 'memory', transport: 'stdio', command: NODE, args: [memoryEntry], env: memEnv, timeoutMs: 20_000, secrets: [] };
  const ours = async () => {
    const t0 = performance.now();
    const r = await checkServer(spec, { env: { PATH: process.env.PATH }, cwd: box });
    const total = performance.now() - t0;
    if (!r.up) throw new Error(`our check failed: ${r.error}`);
    return { total, ready: r.latency_ms };
  };
  const bare = async () => {
    const t0 = performance.now();
    const client = new Client({ name: 'bench', version: '0' });
    const transport = new StdioClientTransport({ command: NODE, args: [memoryEntry], env: { PATH: process.env.PATH, ...memEnv }, stderr: 'pipe' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    const ready = performance.now() - t0;
    await client.close();
    if (tools.length === 0) throw new Error('bare SDK client listed no tools');
    return { total: performance.now() - t0, ready };
  };
  await ours();
  await bare(); // warm up both
  const o = [];
  const b = [];
  const readyRatios = [];
  const totalRatios = [];
  for (let i = 0; i < ROUNDS_M2; i++) {
    const x = await ours();
    const y = await bare();
    o.push(x);
    b.push(y);
    readyRatios.push(x.ready / y.ready);
    totalRatios.push(x.total / y.total);
  }
  const med = (xs, k) => median(xs.map((v) => v[k]));
  results.m2 = {
    ours_ready_ms: med(o, 'ready'),
    bare_ready_ms: med(b, 'ready'),
    ready_ratio: median(readyRatios),
    ours_total_ms: med(o, 'total'),
    bare_total_ms: med(b, 'total'),
    total_ratio: median(totalRatios),
  };
  rows.push(['one stdio server: spawn + initialize + tools/list', `ours: ${fmt(results.m2.ours_ready_ms)}`, `bare SDK client: ${fmt(results.m2.bare_ready_ms)}`, `${results.m2.ready_ratio.toFixed(2)}×`]);
  rows.push(['the same, including close (ours ends the process group)', `ours: ${fmt(results.m2.ours_total_ms)}`, `bare SDK client: ${fmt(results.m2.bare_total_ms)}`, `${results.m2.total_ratio.toFixed(2)}×`]);
}

const table = ['| what | ours | peer | ratio |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
process.stdout.write(`\n${table}\n`);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'mcp.json'), `${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
rmSync(box, { recursive: true, force: true });
