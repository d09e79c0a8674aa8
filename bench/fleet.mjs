#!/usr/bin/env node
// `npm run bench` stage for the fleet: the controller (`claude-env serve`, a
// process of its own) on SQLite and on PostgreSQL, beside a bare `node:http`
// JSON hello-world (bench/fleet-server.mjs, a process of its own) on the same
// machine, in the same run. Everything binds 127.0.0.1.
//
//   (k1) check-ins per second from --agents simulated agents (default 10,000),
//        enrolled beforehand straight through the store API (a machine row and
//        its agent token each), spread over the targets of the development
//        environment of `claude-env init`'s seed repo, whose first revision the
//        controller has synced. A check-in is GET
//        /api/v1/machines/:id/assignment with the agent's own token and
//        `If-None-Match` its current etag (learned once per agent, untimed):
//        a 304, the steady state of a fleet. The load is Debian's `wrk` (one
//        thread, --connections, --duration) with a Lua script that sends each
//        request as the next agent; the bare server gets the very same
//        requests and answers 200. Every answer is counted by status, and
//        any that is not the expected one (304; the bare server's 200) is
//        printed. The servers take turns for --rounds rounds; the ratio is the
//        median of per-round ratios (controller / bare).
//        Goal on SQLite: >= 5,000/s and >= 0.5x the bare server.
//   (k2) commit to --agents connected agents: each agent holds a keep-alive
//        connection of its own (opened by a check-in), with a long poll on it
//        (`?wait=60`, `If-None-Match` its etag); once the controller has
//        counted every one (its /metrics), a commit lands in the config repo
//        and the controller is told by its webhook (POST /api/v1/hooks/git,
//        X-Hub-Signature-256). The figure: from that POST until every agent
//        has received a 200 carrying the new revision. Goal <= 5 s.
//   (k3) controller memory with --memory-machines machines in the SQLite
//        store (default 100,000; the --agents ones among them): RSS of a
//        freshly started controller process, after GET /api/v1/fleet/status,
//        after one check-in (a 304) by each of the --agents agents, and after
//        a second such round (steady state). Reported.
//
// Options: --agents N (10000), --connections N (100), --duration SECONDS (6),
// --rounds N (3), --memory-machines N (100000), --only k1,k2,k3,
// --no-postgres, --profile (the SQLite controller runs under
// `node --cpu-prof`: its hottest functions during (k1)'s timed runs and
// (k2) are printed), --keep (leave the work folder: the servers' logs, repos and
// stores). Figures go to bench/.out/fleet.json. Needs `wrk`
// (bench/setup.sh installs it) and, for the PostgreSQL figures, Debian's
// postgresql (test/setup.sh); without it those rows are left out.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BIN, DIST, HERE, NODE, OUT, fmtMs, fmtX, log, median, parseArgs } from './common.mjs';

const opts = parseArgs(process.argv.slice(2), {
  script: import.meta.url,
  defaults: { agents: 10_000, connections: 100, duration: 6, rounds: 3, memoryMachines: 100_000, only: new Set(['k1', 'k2', 'k3']), noPostgres: false, profile: false, keep: false },
  values: {
    '--agents': ['agents', Number],
    '--connections': ['connections', Number],
    '--duration': ['duration', Number],
    '--rounds': ['rounds', Number],
    '--memory-machines': ['memoryMachines', Number],
    '--only': ['only', (v) => new Set(v.split(','))],
  },
  switches: { '--no-postgres': 'noPostgres', '--profile': 'profile', '--keep': 'keep' },
});
const N = opts.agents;
const ENV = 'development';
const SECRET = `bench-${randomUUID()}`;
const WORK = join(OUT, `fleet-${process.pid}`);
const GIT_ENV = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
const dist = (p) => import(join(DIST, p));

// ---------------------------------------------------------------- processes: every one started here is ended here

const children = new Set();
let cluster;
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
});

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child, ms = 15_000) {
  if (exited(child)) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await done;
  clearTimeout(timer);
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stopChild(c).catch(() => {})));
    if (cluster) await cluster.close().catch((err) => log(`    postgres: close failed: ${err.message}`));
    if (opts.keep) log(`fleet: kept ${WORK} (--keep): the servers' logs, repos and stores`);
    else rmSync(WORK, { recursive: true, force: true, maxRetries: 3 });
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`bench: ${sig}: stopping what it started`);
    cleanup().finally(() => process.exit(130));
  });
}

const tailOf = (file) => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
};

/** A server process; resolves when it prints the URL it listens on. Its stderr goes to a file (a full pipe would stall it). */
async function startServer(name, args, { env = process.env, nodeArgs = [] } = {}) {
  const logFile = join(WORK, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(NODE, [...nodeArgs, ...args], { env, stdio: ['pipe', 'pipe', fd] });
  closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not say where it listens within 60 s: ${tailOf(logFile)}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? sig}) before listening: ${tailOf(logFile)}`));
    });
  });
  return { name, child, url, pid: child.pid, logFile, stop: () => stopChild(child) };
}

function controllerArgs(repo, db) {
  return [BIN, 'serve', '--repo', repo, '--branch', 'main', '--db', db, '--listen', '127.0.0.1:0', '--poll', '1h'];
}

function controllerEnv(name) {
  const home = join(WORK, `home-${name}`);
  mkdirSync(home, { recursive: true });
  return { ...process.env, HOME: home, CLAUDE_ENV_HOME: join(home, '.claude-env'), CLAUDE_ENV_CACHE: join(WORK, 'doc-cache'), CLAUDE_ENV_WEBHOOK_SECRET: SECRET };
}

/** RSS and its peak of a process, in MB. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU time (user + system, ms) a process has used, all its threads. */
function cpuMsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The machine's idle share between two readings of /proc/stat. */
function machineTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
}

// ---------------------------------------------------------------- HTTP

function request(url, { method = 'GET', headers = {}, body, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function eachLimit(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    for (let i; (i = next++) < n; ) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const unquote = (etag) => String(etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
const assignmentPath = (a) => `/api/v1/machines/${a.id}/assignment`;
const checkInHeaders = (a, etag) => ({ Authorization: `Bearer ${a.token}`, ...(etag ? { 'If-None-Match': `"${etag}"` } : {}) });

async function waitReady(server, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await request(`${server.url}/ready`);
      if (r.status === 200) return;
    } catch {
      // not yet
    }
    if (exited(server.child)) throw new Error(`${server.name} exited: ${tailOf(server.logFile)}`);
    if (Date.now() > end) throw new Error(`${server.name} not ready within ${ms} ms: ${tailOf(server.logFile)}`);
    await sleep(100);
  }
}

/** Each agent's current etag, from a check-in without one (a 200); untimed. Also the revision and the size of a bundle. */
async function learnEtags(server, agents) {
  const first = agents[0];
  const end = Date.now() + 60_000;
  let probe;
  for (;;) {
    probe = await request(server.url + assignmentPath(first), { headers: checkInHeaders(first) });
    if (probe.status === 200) break;
    if (probe.status !== 503 || Date.now() > end) throw new Error(`${server.name}: the first check-in answered ${probe.status}: ${probe.body.toString().slice(0, 300)}`);
    await sleep(100);
  }
  const { revision } = JSON.parse(probe.body.toString());
  const etags = new Array(agents.length);
  const sizes = new Set();
  const keep = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const bad = [];
  await eachLimit(agents.length, 64, async (i) => {
    const r = await request(server.url + assignmentPath(agents[i]), { headers: checkInHeaders(agents[i]), agent: keep });
    if (r.status !== 200 || !r.headers.etag) bad.push(`${agents[i].id}: ${r.status} ${r.body.toString().slice(0, 200)}`);
    else {
      etags[i] = unquote(r.headers.etag);
      sizes.add(r.body.length);
    }
  });
  const check = await request(server.url + assignmentPath(first), { headers: checkInHeaders(first, etags[0]), agent: keep });
  keep.destroy();
  if (bad.length) throw new Error(`${server.name}: ${bad.length} agents could not learn their etag, e.g. ${bad[0]}`);
  if (check.status !== 304) throw new Error(`${server.name}: a check-in with the current etag answered ${check.status}, not 304`);
  return { etags, revision, bundleBytes: [...sizes] };
}

async function checkinsCounted(server) {
  const r = await request(`${server.url}/metrics`);
  const m = /^claude_env_checkins_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(r.body.toString());
  if (!m) throw new Error(`${server.name}: /metrics has no claude_env_checkins_total`);
  return Number(m[1]);
}

// ---------------------------------------------------------------- the seed repo and the fleet

function git(dir, args) {
  return execFileSync('git', ['-C', dir, ...args], { env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
}

function seedRepo() {
  const repo = join(WORK, 'repo');
  const r = spawnSync(NODE, [BIN, 'init', repo], { cwd: WORK, env: { ...process.env, HOME: WORK, CLAUDE_ENV_CACHE: 'off', ...GIT_ENV }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`claude-env init failed (${r.status}): ${r.stderr}`);
  git(repo, ['branch', '-M', 'main']);
  return repo;
}

/** The environment's targets that have a user (a machine belongs to one). */
function targetsOf(repo) {
  const r = spawnSync(NODE, [BIN, 'render', '--all', '--json', '--env', ENV, '--repo', repo], { cwd: repo, env: { ...process.env, CLAUDE_ENV_CACHE: 'off' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`render --all failed (${r.status}): ${r.stderr}`);
  const targets = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).target).filter((t) => t.user !== undefined);
  if (targets.length === 0) throw new Error(`the seed repo has no target with a user in ${ENV}`);
  return targets;
}

let commits = 0;
/** One more `settings.env` variable in the environment's config, committed; the new head. */
function commitChange(repo) {
  const file = join(repo, 'environments', ENV, 'config.yml');
  const text = readFileSync(file, 'utf8');
  const out = text.replace(/^(    DEPLOY_ENVIRONMENT: .*\n)/m, `$1    BENCH_COMMIT_${++commits}: "${Date.now()}"\n`);
  if (out === text) throw new Error(`${file} has no DEPLOY_ENVIRONMENT line to add beside`);
  writeFileSync(file, out);
  git(repo, ['commit', '-qam', `bench: commit ${commits}`]);
  return git(repo, ['rev-parse', 'HEAD']);
}

function makeAgents(n, targets, newToken, newMachineId, offset = 0) {
  return Array.from({ length: n }, (_, i) => {
    const t = newToken('agent');
    return { id: newMachineId(), token: t.token, tokenId: t.id, hash: t.hash, target: targets[(offset + i) % targets.length] };
  });
}

async function enrollAll(store, agents, concurrency) {
  const at = Date.now();
  await eachLimit(agents.length, concurrency, async (i) => {
    const a = agents[i];
    const { env, team = null, project = null, user = null } = a.target;
    await store.enrollMachine(
      { id: a.id, env, team, project, user, hostname: `bench-${i}`, enrolled_at: at, last_seen: at, assigned_revision: null, applied_revision: null, state: 'applying', result: null, error_code: null, drift_percentage: null, risk_level: null, drift: null, last_seq: 0, last_report_at: null, claude_version: null },
      { id: a.tokenId, kind: 'agent', hash: a.hash, user, env, machine_id: a.id, created_by: 'bench', created_at: at, expires_at: null, revoked_at: null },
    );
  });
}

// ---------------------------------------------------------------- (k1) wrk

const LUA = `-- bench/fleet.mjs: every request is the check-in of the next simulated agent
local reqs = {}
local n, i = 0, 0
codes = {}
function init(args)
  for line in io.lines(os.getenv("FLEET_AGENTS")) do
    local id, token, etag = line:match("^(%S+) (%S+) (%S+)$")
    reqs[#reqs + 1] = wrk.format("GET", "/api/v1/machines/" .. id .. "/assignment", { ["Authorization"] = "Bearer " .. token, ["If-None-Match"] = '"' .. etag .. '"' })
  end
  n = #reqs
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("codes")) do merged[status] = (merged[status] or 0) + count end
  end
  local cs = {}
  for status, count in pairs(merged) do cs[#cs + 1] = string.format('"%d":%d', status, count) end
  local e = summary.errors
  io.write(string.format('FLEET {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d},"codes":{%s}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, table.concat(cs, ",")))
end
`;

function wrkAvailable() {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return r.error === undefined;
}

async function runWrk(server, agentsFile, seconds, expected) {
  const args = ['-t1', `-c${opts.connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(WORK, 'checkin.lua'), `${server.url}/`];
  const cpu0 = cpuMsOf(server.pid);
  const m0 = machineTimes();
  const child = spawn('wrk', args, { env: { ...process.env, FLEET_AGENTS: agentsFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? s)));
  children.delete(child);
  const cpuMs = cpuMsOf(server.pid) - cpu0;
  const m1 = machineTimes();
  const line = out.split('\n').find((l) => l.startsWith('FLEET '));
  if (code !== 0 || !line) throw new Error(`wrk exited ${code}: ${(err || out).trim().slice(0, 500)}`);
  const r = JSON.parse(line.slice(6));
  const secondsRun = r.duration_us / 1e6;
  const answered = Object.values(r.codes).reduce((a, b) => a + b, 0);
  const unexpected = Object.fromEntries(Object.entries(r.codes).filter(([s]) => Number(s) !== expected));
  const socketErrors = r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout;
  return {
    rps: r.requests / secondsRun,
    requests: r.requests,
    seconds: secondsRun,
    p50Ms: r.latency_us.p50 / 1000,
    p90Ms: r.latency_us.p90 / 1000,
    p99Ms: r.latency_us.p99 / 1000,
    maxMs: r.latency_us.max / 1000,
    codes: r.codes,
    expected,
    unexpected: Object.values(unexpected).reduce((a, b) => a + b, 0) + (r.requests - answered),
    unexpectedCodes: unexpected,
    socketErrors,
    errors: r.errors,
    serverCpuMs: cpuMs,
    cpuUsPerRequest: (cpuMs * 1000) / r.requests,
    machineIdle: (m1.idle - m0.idle) / (m1.total - m0.total),
  };
}

const fmtRate = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
const describeRun = (r) => `${fmtRate(r.rps)}, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms; server CPU ${r.cpuUsPerRequest.toFixed(1)} µs/request (${(r.serverCpuMs / 1000 / r.seconds).toFixed(2)} cores), machine idle ${(100 * r.machineIdle).toFixed(0)} %; ${JSON.stringify(r.codes)}${r.unexpected ? `, ${r.unexpected} NOT ${r.expected}: ${JSON.stringify(r.unexpectedCodes)}` : ''}${r.socketErrors ? `, socket errors ${JSON.stringify(r.errors)}` : ''}`;

// ---------------------------------------------------------------- (k2) long polls

/**
 * Every agent on a keep-alive connection of its own (one http.Agent each, opened by a check-in), a long
 * poll on each; when the controller has counted them all, a commit and the webhook; the time until each
 * agent holds a 200 with the new revision.
 */
async function longPollRound(server, repo, agents, etags) {
  const pools = agents.map(() => new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 }));
  try {
    let t0 = performance.now();
    const opening = { ok: 0, other: {} };
    await eachLimit(agents.length, 256, async (i) => {
      const r = await request(server.url + assignmentPath(agents[i]), { headers: checkInHeaders(agents[i], etags[i]), agent: pools[i] });
      if (r.status === 304) opening.ok++;
      else opening.other[r.status] = (opening.other[r.status] ?? 0) + 1;
    });
    if (opening.ok !== agents.length) throw new Error(`${server.name}: opening check-ins answered ${JSON.stringify(opening.other)} besides ${opening.ok} 304s`);
    const open = pools.reduce((n, p) => n + Object.values(p.freeSockets).reduce((m, list) => m + list.length, 0), 0);
    log(`    ${agents.length} connections opened by a check-in each (304) in ${fmtMs(performance.now() - t0)}; ${open} kept alive`);

    const before = await checkinsCounted(server);
    const polls = agents.map((a, i) =>
      new Promise((resolve) => {
        // As a real agent (fetch) asks: gzip accepted. An agent holds its assignment when the last byte is in; the
        // bodies are unzipped and checked after the timing (10,000 agents share this one process, a fleet does not).
        const req = http.request(`${server.url}${assignmentPath(a)}?wait=60`, { headers: { ...checkInHeaders(a, etags[i]), 'Accept-Encoding': 'gzip' }, agent: pools[i] }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ at: performance.now(), status: res.statusCode, etag: unquote(res.headers.etag), gzipped: res.headers['content-encoding'] === 'gzip', raw: Buffer.concat(chunks) }));
          res.on('error', (err) => resolve({ at: performance.now(), status: 0, error: err.message }));
        });
        req.on('error', (err) => resolve({ at: performance.now(), status: 0, error: err.message }));
        req.end();
      }),
    );
    t0 = performance.now();
    for (;;) {
      const counted = (await checkinsCounted(server)) - before;
      if (counted >= agents.length) break;
      if (performance.now() - t0 > 60_000) throw new Error(`${server.name}: only ${counted} of ${agents.length} long polls arrived within 60 s`);
      await sleep(100);
    }
    const parked = performance.now() - t0;
    await sleep(250);
    const revision = commitChange(repo);
    const payload = JSON.stringify({ ref: 'refs/heads/main', after: revision, repository: { full_name: 'bench/config' } });
    const signature = `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`;
    const cpu0 = cpuMsOf(server.pid);
    const client0 = process.cpuUsage();
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const start = performance.now();
    const hook = await request(`${server.url}/api/v1/hooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': randomUUID(), 'X-Hub-Signature-256': signature }, body: payload });
    const hookMs = performance.now() - start;
    if (hook.status !== 202) throw new Error(`${server.name}: the webhook answered ${hook.status}: ${hook.body.toString().slice(0, 300)}`);
    const timer = setTimeout(() => {
      for (const p of pools) p.destroy();
    }, 70_000);
    const got = await Promise.all(polls);
    const window = [startUs, Number(process.hrtime.bigint() / 1000n)];
    const serverCpuMs = cpuMsOf(server.pid) - cpu0;
    const c = process.cpuUsage(client0);
    const clientCpuMs = (c.user + c.system) / 1000;
    clearTimeout(timer);
    for (const g of got) {
      if (g.raw === undefined) continue;
      g.body = g.gzipped ? gunzipSync(g.raw) : g.raw;
      g.length = g.body.length;
      g.wire = g.raw.length;
    }
    const ok = [];
    const wrong = {};
    const head = `"revision":"${revision}"`;
    got.forEach((g, i) => {
      const good = g.status === 200 && g.body.length === g.length && g.body.subarray(0, 400).toString().includes(head) && g.etag !== etags[i];
      if (good) {
        ok.push(g.at - start);
        etags[i] = g.etag;
      } else {
        const why = g.status === 200 ? '200 without the new revision' : String(g.status || g.error);
        wrong[why] = (wrong[why] ?? 0) + 1;
      }
    });
    const s = [...ok].sort((a, b) => a - b);
    const pct = (q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
    return { agents: agents.length, received: ok.length, wrong, parkedMs: parked, webhookMs: hookMs, firstMs: pct(0), p50Ms: pct(0.5), p99Ms: pct(0.99), lastMs: s.length ? s.at(-1) : NaN, bundleBytes: got.find((g) => g.status === 200)?.length ?? null, wireBytes: got.find((g) => g.status === 200)?.wire ?? null, revision, serverCpuMs, clientCpuMs, window };
  } finally {
    for (const p of pools) p.destroy();
  }
}

// ---------------------------------------------------------------- the controller's profile

/** Self time per function of a .cpuprofile, within the given windows of CLOCK_MONOTONIC (µs), the hottest first. */
function hotFunctions(file, windows, top = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = prof.startTime;
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    if (windows.length && !windows.some(([a, b]) => t >= a && t <= b)) continue;
    const n = byId.get(prof.samples[i]);
    const cf = n.callFrame;
    const where = cf.url ? `${basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return { totalMs: total / 1000, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total })) };
}

// ---------------------------------------------------------------- report

function textTable(rs) {
  const head = ['stage', 'ours', 'peer / floor', 'ratio', 'goal', 'met?'];
  const body = rs.map((x) => [x.stage, x.ours, x.peer, typeof x.ratio === 'number' ? fmtX(x.ratio) : x.ratio, x.goal, x.met === null ? '-' : x.met ? 'yes' : 'NO']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

function markdownTable(rs) {
  const head = '| stage | ours | peer / floor | ratio | goal | met? |\n| --- | ---: | --- | ---: | --- | --- |';
  return [head, ...rs.map((x) => `| ${x.stage} | ${x.ours} | ${x.peer} | ${typeof x.ratio === 'number' ? fmtX(x.ratio) : x.ratio} | ${x.goal} | ${x.met === null ? '—' : x.met ? 'yes' : 'no'} |`)].join('\n');
}

const mb = (x) => `${x.toFixed(0)} MB`;

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  log(`fleet: node ${process.version}, ${cpus().length} cpus; ${N.toLocaleString('en-US')} agents, wrk -t1 -c${opts.connections} -d${opts.duration}s, ${opts.rounds} rounds`);
  if (opts.only.has('k1') && !wrkAvailable()) {
    log('fleet: wrk is not installed (Debian: apt-get install -y wrk; bench/setup.sh does it as root)');
    return 2;
  }
  if (!existsSync(join(DIST, 'src', 'controller', 'serve.js'))) {
    log(`fleet: claude-env is not built (no ${join(DIST, 'src', 'controller', 'serve.js')}): run \`npm run build\``);
    return 2;
  }
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'checkin.lua'), LUA);
  const [{ openStore }, { newToken, newMachineId }, { createTokenIn }] = await Promise.all([dist('src/controller/db/open.js'), dist('src/controller/tokens.js'), dist('src/controller/controller.js')]);

  const results = { node: process.version, cpus: cpus().length, agents: N, connections: opts.connections, duration: opts.duration, rounds: opts.rounds, setup: {}, k1: {}, k2: {}, k3: null, profile: null };
  const rows = [];
  const failures = [];

  // The seed repo, one copy per controller (each controller is told of its own commits only).
  let t0 = performance.now();
  const repo = seedRepo();
  const repoPg = join(WORK, 'repo-pg');
  git(WORK, ['clone', '-q', '--branch', 'main', repo, repoPg]);
  const targets = targetsOf(repo);
  const agents = makeAgents(N, targets, newToken, newMachineId);
  log(`seed repo: ${targets.length} targets with a user in ${ENV}; ${N} agents spread over them (${fmtMs(performance.now() - t0)})`);

  // SQLite: the agents enrolled through the store API, before the controller starts.
  const sqliteDb = join(WORK, 'controller.db');
  t0 = performance.now();
  {
    const store = await openStore(sqliteDb);
    await enrollAll(store, agents, 1);
    await store.close();
  }
  results.setup.sqliteEnrollMs = performance.now() - t0;
  log(`sqlite: ${N} machines + agent tokens enrolled through the store in ${fmtMs(results.setup.sqliteEnrollMs)}`);

  // PostgreSQL: a throwaway cluster, the same machines and tokens.
  let pgUrl;
  if (!opts.noPostgres && (opts.only.has('k1') || opts.only.has('k2'))) {
    try {
      t0 = performance.now();
      const { startPostgres } = await dist('test/support/postgres.js');
      cluster = await startPostgres();
      pgUrl = await cluster.createDatabase('claude_env_fleet');
      const store = await openStore(pgUrl);
      const t1 = performance.now();
      await enrollAll(store, agents, 16);
      results.setup.postgresEnrollMs = performance.now() - t1;
      await store.close();
      log(`postgres: cluster up, ${N} machines + agent tokens enrolled in ${fmtMs(results.setup.postgresEnrollMs)} (${fmtMs(performance.now() - t0)} in all)`);
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      log(`postgres: left out (${err.message.split('\n')[0]})`);
      pgUrl = undefined;
    }
  }

  const servers = {};
  const profDir = join(WORK, 'cpu-prof');
  const windows = { k1: [], k2: [] };
  try {
    t0 = performance.now();
    if (opts.only.has('k1')) servers.bare = await startServer('bare', [join(HERE, 'fleet-server.mjs')]);
    servers.sqlite = await startServer('sqlite', controllerArgs(repo, sqliteDb), { env: controllerEnv('sqlite'), nodeArgs: opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
    if (pgUrl) servers.postgres = await startServer('postgres', controllerArgs(repoPg, pgUrl), { env: controllerEnv('postgres') });
    const controllers = [servers.sqlite, servers.postgres].filter(Boolean);
    for (const c of controllers) await waitReady(c);
    const learned = {};
    for (const c of controllers) {
      const t1 = performance.now();
      learned[c.name] = await learnEtags(c, agents);
      log(`${c.name}: controller ${c.url} (pid ${c.pid}), revision ${learned[c.name].revision.slice(0, 12)}; ${N} etags learned in ${fmtMs(performance.now() - t1)} (bundles of ${learned[c.name].bundleBytes.map((b) => `${(b / 1024).toFixed(1)} KiB`).join(', ')})`);
      results.setup[`${c.name}BundleBytes`] = learned[c.name].bundleBytes;
    }
    log(`servers started and etags learned in ${fmtMs(performance.now() - t0)}`);

    // (k1) check-ins per second
    if (opts.only.has('k1')) {
      log(`(k1) check-ins per second: wrk -t1 -c${opts.connections} -d${opts.duration}s, every request the next of ${N} agents`);
      const files = {};
      for (const c of controllers) {
        files[c.name] = join(WORK, `agents-${c.name}.txt`);
        writeFileSync(files[c.name], agents.map((a, i) => `${a.id} ${a.token} ${learned[c.name].etags[i]}\n`).join(''));
      }
      files.bare = files.sqlite;
      const order = [servers.bare, ...controllers];
      const expected = (s) => (s === servers.bare ? 200 : 304);
      for (const s of order) {
        const w = await runWrk(s, files[s.name], 3, expected(s));
        log(`    warm-up ${s.name}: ${describeRun(w)}`);
      }
      const runs = Object.fromEntries(order.map((s) => [s.name, []]));
      for (let round = 1; round <= opts.rounds; round++) {
        for (const s of order) {
          await sleep(500);
          const a = process.hrtime.bigint() / 1000n;
          const r = await runWrk(s, files[s.name], opts.duration, expected(s));
          if (s === servers.sqlite) windows.k1.push([Number(a), Number(process.hrtime.bigint() / 1000n)]);
          runs[s.name].push(r);
          log(`    round ${round} ${s.name.padEnd(8)} ${describeRun(r)}`);
        }
      }
      for (const c of controllers) {
        const mem = memoryOf(c.pid);
        results.setup[`${c.name}RssAfterK1Mb`] = mem.rssMb;
        log(`    ${c.name} controller RSS after (k1): ${mb(mem.rssMb)} (peak ${mb(mem.peakMb)})`);
      }
      results.k1 = runs;
      const bare = runs.bare;
      const bareUnexpected = bare.reduce((n, r) => n + r.unexpected + r.socketErrors, 0);
      if (bareUnexpected) failures.push(`(k1) the bare server: ${bareUnexpected} answers were not 200 (or were lost)`);
      const fmtRun = (rs) => `${fmtRate(median(rs.map((r) => r.rps)))} (p50 ${median(rs.map((r) => r.p50Ms)).toFixed(2)} ms, p99 ${median(rs.map((r) => r.p99Ms)).toFixed(2)} ms; ${median(rs.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs CPU each)`;
      for (const c of controllers) {
        const rs = runs[c.name];
        const ratio = median(rs.map((r, i) => r.rps / bare[i].rps));
        const rate = median(rs.map((r) => r.rps));
        const unexpected = rs.reduce((n, r) => n + r.unexpected + r.socketErrors, 0);
        const label = c.name === 'sqlite' ? 'SQLite' : 'PostgreSQL';
        rows.push({
          stage: `(k1) check-ins/s, controller on ${label}: ${N.toLocaleString('en-US')} agents, each a conditional GET answered 304 (${unexpected} answers not 304 or lost)`,
          ours: fmtRun(rs),
          peer: `${fmtRun(bare)}: bare node:http hello-world, same requests`,
          ratio,
          goal: c.name === 'sqlite' ? '>= 5,000/s and >= 0.5x' : 'reported',
          met: c.name === 'sqlite' ? rate >= 5000 && ratio >= 0.5 && unexpected === 0 : null,
        });
        if (unexpected) failures.push(`(k1) ${label}: ${unexpected} answers were not 304 (or were lost): the figure does not measure check-ins`);
      }
      await servers.bare.stop();
    }

    // (k2) commit to every connected agent
    if (opts.only.has('k2')) {
      for (const c of controllers) {
        log(`(k2) ${c.name}: ${N} long polls, then a commit and the webhook`);
        const etags = learned[c.name].etags;
        try {
          const r = await longPollRound(c, c === servers.sqlite ? repo : repoPg, agents, etags);
          results.k2[c.name] = r;
          if (c === servers.sqlite) windows.k2.push(r.window);
          log(`    parked in ${fmtMs(r.parkedMs)}; webhook answered in ${fmtMs(r.webhookMs)}; ${r.received} of ${r.agents} hold ${r.revision.slice(0, 12)}: first ${fmtMs(r.firstMs)}, p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}, last ${fmtMs(r.lastMs)}; CPU: server ${fmtMs(r.serverCpuMs)}, the agents (this process) ${fmtMs(r.clientCpuMs)}${Object.keys(r.wrong).length ? `; others: ${JSON.stringify(r.wrong)}` : ''}`);
          const label = c.name === 'sqlite' ? 'SQLite' : 'PostgreSQL';
          rows.push({
            stage: `(k2) commit → ${N.toLocaleString('en-US')} connected agents (long polls) hold the new revision, ${label} (bundle ${((r.bundleBytes ?? 0) / 1024).toFixed(1)} KiB, ${((r.wireBytes ?? 0) / 1024).toFixed(1)} KiB gzipped)`,
            ours: `${fmtMs(r.lastMs)} (first ${fmtMs(r.firstMs)}, p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}; ${r.received}/${r.agents})`,
            peer: 'from the webhook POST',
            ratio: '—',
            goal: '<= 5 s',
            met: r.received === r.agents && r.lastMs <= 5000,
          });
          if (r.received !== r.agents) failures.push(`(k2) ${c.name}: ${r.agents - r.received} agents did not get the new revision: ${JSON.stringify(r.wrong)}`);
        } catch (err) {
          failures.push(`(k2) ${c.name}: ${err.message}`);
          log(`    FAILED: ${err.message}`);
        }
      }
    }
    if (servers.postgres) await servers.postgres.stop();
    await servers.sqlite.stop();

    if (opts.profile) {
      const file = existsSync(profDir) ? readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (file) {
        results.profile = { windows };
        for (const [stage, w] of Object.entries(windows)) if (w.length) results.profile[stage] = hotFunctions(join(profDir, file), w);
        writeFileSync(join(OUT, 'fleet-sqlite.cpuprofile'), readFileSync(join(profDir, file)));
      } else log('profile: the controller wrote no .cpuprofile');
    }

    // (k3) memory with many machines in the SQLite store
    if (opts.only.has('k3')) {
      const more = Math.max(0, opts.memoryMachines - N);
      log(`(k3) ${opts.memoryMachines.toLocaleString('en-US')} machines in the SQLite store: enrolling ${more.toLocaleString('en-US')} more`);
      t0 = performance.now();
      const store = await openStore(sqliteDb);
      await enrollAll(store, makeAgents(more, targets, newToken, newMachineId, N), 1);
      const user = await createTokenIn(store, 'bench', { kind: 'user', user: 'judy' }, Date.now(), null);
      await store.close();
      log(`    enrolled in ${fmtMs(performance.now() - t0)}`);
      const c = await startServer('sqlite-100k', controllerArgs(repo, sqliteDb), { env: controllerEnv('sqlite-100k') });
      try {
        await waitReady(c);
        await sleep(1000);
        const atStart = memoryOf(c.pid);
        const st = await request(`${c.url}/api/v1/fleet/status`, { headers: { Authorization: `Bearer ${user.token}` } });
        if (st.status !== 200) throw new Error(`fleet/status answered ${st.status}: ${st.body.toString().slice(0, 300)}`);
        const status = JSON.parse(st.body.toString());
        const counted = status.environments.reduce((n, e) => n + e.machines, 0);
        const afterStatus = memoryOf(c.pid);
        // Each agent's current etag: a bundle's etag depends on the revision and the target only, so one
        // check-in without an etag per target tells it (untimed); then one conditional check-in per agent.
        const etagOf = new Map();
        for (const a of agents) {
          const key = JSON.stringify(a.target);
          if (etagOf.has(key)) continue;
          const probe = await request(c.url + assignmentPath(a), { headers: checkInHeaders(a) });
          if (probe.status !== 200) throw new Error(`a check-in without an etag answered ${probe.status}: ${probe.body.toString().slice(0, 300)}`);
          etagOf.set(key, unquote(probe.headers.etag));
        }
        const checkInRound = async () => {
          const keep = new http.Agent({ keepAlive: true, maxSockets: 100 });
          const codes = {};
          const t1 = performance.now();
          await eachLimit(N, 100, async (i) => {
            const r = await request(c.url + assignmentPath(agents[i]), { headers: checkInHeaders(agents[i], etagOf.get(JSON.stringify(agents[i].target))), agent: keep });
            codes[r.status] = (codes[r.status] ?? 0) + 1;
          });
          const ms = performance.now() - t1;
          keep.destroy();
          await sleep(1500); // the last-seen times are written (flushed each second)
          return { codes, ms, memory: memoryOf(c.pid) };
        };
        // The first round loads each agent's token and machine from the store into the controller's caches; the second finds them there.
        const first = await checkInRound();
        const second = await checkInRound();
        const afterCheckins = first.memory;
        results.k3 = { machines: counted, atStart, afterStatus, afterCheckins, afterSecondRound: second.memory, checkinCodes: [first.codes, second.codes], statusMachinesListed: status.machines.length, statusBytes: st.body.length, roundMs: [first.ms, second.ms] };
        log(`    fleet/status: ${counted} machines counted, ${status.machines.length} listed, ${(st.body.length / 1024).toFixed(0)} KiB; check-ins ${JSON.stringify(first.codes)} in ${fmtMs(first.ms)} (caches cold), again ${JSON.stringify(second.codes)} in ${fmtMs(second.ms)}`);
        log(`    RSS: after start ${mb(atStart.rssMb)}, after fleet/status ${mb(afterStatus.rssMb)}, after ${N} check-ins ${mb(afterCheckins.rssMb)}, after a second round ${mb(second.memory.rssMb)} (peak ${mb(second.memory.peakMb)})`);
        const not304 = 2 * N - (first.codes[304] ?? 0) - (second.codes[304] ?? 0);
        rows.push({
          stage: `(k3) controller RSS, ${counted.toLocaleString('en-US')} machines in the SQLite store: after start / after GET fleet/status / after one check-in by each of ${N.toLocaleString('en-US')} / after a second round (${not304} not 304)`,
          ours: `${mb(atStart.rssMb)} / ${mb(afterStatus.rssMb)} / ${mb(afterCheckins.rssMb)} / ${mb(second.memory.rssMb)} (peak ${mb(second.memory.peakMb)})`,
          peer: '—',
          ratio: '—',
          goal: 'reported',
          met: null,
        });
        if (not304) failures.push(`(k3) ${not304} check-ins were not answered 304: ${JSON.stringify([first.codes, second.codes])}`);
        if (counted !== opts.memoryMachines) failures.push(`(k3) fleet/status counted ${counted} machines, not ${opts.memoryMachines}`);
      } finally {
        await c.stop();
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop().catch(() => {})));
  }

  results.rows = rows;
  results.seconds = (performance.now() - started) / 1000;
  writeFileSync(join(OUT, 'fleet.json'), `${JSON.stringify(results, null, 2)}\n`);
  const out = [''];
  out.push(`claude-env fleet bench: ${N.toLocaleString('en-US')} agents; wrk -t1 -c${opts.connections} -d${opts.duration}s, ${opts.rounds} rounds (medians; ratio = median of per-round ratios); node ${process.version}, ${cpus().length} cpus`);
  out.push('');
  out.push(textTable(rows));
  for (const [stage, hot] of Object.entries(results.profile ?? {})) {
    if (stage === 'windows') continue;
    out.push('');
    out.push(`SQLite controller, self time during (${stage})${stage === 'k1' ? "'s timed runs" : ', webhook to the last 200'} (${fmtMs(hot.totalMs)} sampled, wall time; profile: ${join(OUT, 'fleet-sqlite.cpuprofile')}):`);
    for (const h of hot.top) out.push(`  ${(100 * h.share).toFixed(1).padStart(5)} %  ${fmtMs(h.ms).padStart(9)}  ${h.fn}`);
  }
  if (results.profile) out.push("(V8's sampler gives a native frame such as writeLatin1String, and (idle), the time the process waited for a core: on a busy 2-core machine compare the JS entries with each other; `perf record -g -p PID` tells kernel from user time.)");
  out.push('');
  out.push('Markdown (for README):');
  out.push('');
  out.push(markdownTable(rows));
  out.push('');
  out.push(`figures: ${join(OUT, 'fleet.json')} (${results.seconds.toFixed(0)} s in all)`);
  for (const f of failures) out.push(`FAILED ${f}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return failures.length ? 1 : 0;
}

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 2;
    },
  )
  .finally(() => cleanup());
