/**
 * `mcp check`, `validate --online` and `drift --online` against real MCP
 * servers started by the tests: server-everything over stdio and over
 * streamable HTTP on 127.0.0.1, server-memory over stdio; and servers that
 * fail in each way a user meets: a command that does not exist, one that
 * exits at once, one that never answers, nothing listening, an HTTP 500.
 * The verdicts agree with the real `claude mcp list` on the same servers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, ROOT, tempDir } from '../helpers.js';
import { claudeMcpList, findClaudeBin, memoryServerCommand, requireComponent, unusedPort, type McpCommand } from '../support/claude.js';
import { alive, everythingCommand, exitingServer, groupMembers, hangingServer, startEverythingHttp, startHttp500, type Running } from '../support/mcp.js';

const tmp = tempDir('claude-env-mcp-');
let n = 0;
let everythingHttp: Running;
let everythingSse: Running;
let http500: Running & { requests: number };
let memory: McpCommand;
let everything: McpCommand;
const SECRET = 'tok-3f9a1c7e5b2d4860-very-secret';

before(async () => {
  memory = requireComponent('MCP memory server (@modelcontextprotocol/server-memory)', () => memoryServerCommand({ memoryFile: join(tmp.dir, 'memory.jsonl') }));
  everything = requireComponent('MCP everything server (@modelcontextprotocol/server-everything)', () => everythingCommand());
  [everythingHttp, everythingSse, http500] = await Promise.all([startEverythingHttp(), startEverythingHttp('sse'), startHttp500()]);
});
after(async () => {
  await Promise.all([everythingHttp?.stop(), everythingSse?.stop(), http500?.stop()]);
  tmp.cleanup();
});

const q = (s: string): string => JSON.stringify(s);
const stdio = (c: McpCommand, extra = ''): string => `command: ${q(c.command)}\nargs: [${c.args.map(q).join(', ')}]\n${c.env ? `env: ${JSON.stringify(c.env)}\n` : ''}${extra}`;
const http = (url: string, extra = ''): string => `type: http\nurl: ${q(url)}\n${extra}`;

/** A config repo with one environment, one team, one member, and these server definitions (base/mcp/<name>.yml, YAML text). */
function repoWith(servers: Record<string, string>): { repo: string; home: string; target: string[]; env: NodeJS.ProcessEnv } {
  const root = join(tmp.dir, `case${n++}`);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(join(repo, 'base', 'mcp'), { recursive: true });
  mkdirSync(join(repo, 'teams', 'web'), { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(repo, 'claude-env.yml'), 'version: 1\nenvironments: [development]\n');
  writeFileSync(join(repo, 'base', 'config.yml'), 'settings:\n  model: haiku\n');
  writeFileSync(join(repo, 'teams', 'web', 'members.yml'), '- { user: ann, role: developer }\n');
  for (const [name, text] of Object.entries(servers)) writeFileSync(join(repo, 'base', 'mcp', `${name}.yml`), text);
  return { repo, home, target: ['--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--home', home], env: { HOME: home, PATH: process.env['PATH'], TOKEN: SECRET } };
}

interface JsonServer {
  name: string;
  up: boolean;
  transport: string;
  latency_ms: number | null;
  tools: number | null;
  error: string | null;
  protocol_version: string | null;
  server: { name: string; version: string } | null;
  latency: Record<string, number>;
  tool_names: string[];
  file: string | null;
  line: number | null;
}
interface JsonFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

describe('mcp check', () => {
  it('finds server-everything (stdio, streamable HTTP and SSE) and server-memory up, with protocol, server info, tools and latencies, and exits 0', { timeout: 30_000 }, async () => {
    const r0 = repoWith({
      everything: stdio(everything, 'expect: { tools: [echo, get-sum], min_tools: 5, max_latency_ms: 20000 }\n'),
      'everything-http': http(everythingHttp.url),
      'everything-sse': `type: sse\nurl: ${q(everythingSse.url)}\n`,
      memory: stdio(memory, 'expect: { tools: [create_entities, read_graph] }\n'),
    });
    const r = await cli(['mcp', 'check', ...r0.target, '--json'], { env: r0.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { servers: JsonServer[]; findings: JsonFinding[] };
    assert.deepEqual(out.findings, []);
    // in the order of the merged tree (base/mcp/ file names sorted: "-" before ".")
    assert.deepEqual(
      out.servers.map((s) => [s.name, s.up, s.transport, s.error]),
      [
        ['everything-http', true, 'http', null],
        ['everything-sse', true, 'sse', null],
        ['everything', true, 'stdio', null],
        ['memory', true, 'stdio', null],
      ],
    );
    for (const s of out.servers) {
      assert.match(s.protocol_version ?? '', /^\d{4}-\d{2}-\d{2}$/, `${s.name} negotiated a protocol version`);
      assert.ok(s.tools !== null && s.tools > 0 && s.tools === s.tool_names.length, `${s.name} lists its tools`);
      assert.ok(s.latency_ms !== null && s.latency_ms > 0, `${s.name} is timed`);
      for (const step of ['connect_ms', 'initialize_ms', 'list_ms']) assert.equal(typeof s.latency[step], 'number', `${s.name} ${step}`);
      assert.match(s.file ?? '', new RegExp(`^base/mcp/${s.name}\\.yml$`));
    }
    assert.ok(out.servers[2]!.tool_names.includes('echo'));
    assert.deepEqual(out.servers[0]!.tool_names, out.servers[2]!.tool_names, 'the HTTP server is the same everything server');
    assert.deepEqual(out.servers[1]!.tool_names, out.servers[2]!.tool_names, 'and so is the SSE one');
    assert.equal(out.servers[3]!.server?.name, 'memory-server');

    // the text form: a table with one row per server
    const text = await cli(['mcp', 'check', ...r0.target], { env: r0.env });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^mcp check of development\/web\/ann: 4 of 4 server\(s\) up\n {2}SERVER +STATUS +TRANSPORT +PROTOCOL +TOOLS +LATENCY/);
    assert.match(text.stdout, /\n {2}everything-http +up +http +\d{4}-\d{2}-\d{2} +\d+ +[\d.]+ ms/);
  });

  it('reports each failure clearly, ends a server that never answers with all its children, and exits 1', { timeout: 30_000 }, async () => {
    const pidFile = join(tmp.dir, 'hang.pid');
    const nothing = `http://127.0.0.1:${await unusedPort()}/mcp`;
    const r0 = repoWith({
      missing: 'command: claude-env-no-such-command-7d1e\n',
      crashes: stdio(exitingServer(tmp.dir, 3, 'fatal: config file /etc/demo.conf not found')),
      hangs: stdio(hangingServer(tmp.dir, pidFile)),
      refused: http(nothing),
      'http-500': http(http500.url),
      tls: http(http500.url.replace('http:', 'https:')),
      memory: stdio(memory),
    });
    const r = await cli(['mcp', 'check', ...r0.target, '--timeout', '1500', '--json'], { env: r0.env });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { servers: JsonServer[]; findings: JsonFinding[] };
    const byName = new Map(out.servers.map((s) => [s.name, s]));
    assert.equal(byName.get('memory')?.up, true, 'a good server among bad ones is still up');
    assert.equal(byName.get('missing')?.error, 'command not found: claude-env-no-such-command-7d1e');
    assert.equal(byName.get('crashes')?.error, 'the server exited with code 3 during initialize; last stderr: fatal: config file /etc/demo.conf not found');
    assert.equal(byName.get('hangs')?.error, 'timeout: no answer within 1500 ms (during initialize)');
    assert.match(byName.get('refused')?.error ?? '', /^connection refused: nothing listens at 127\.0\.0\.1:\d+$/);
    assert.match(byName.get('http-500')?.error ?? '', /^HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/mcp: internal error; request headers were/);
    assert.match(byName.get('tls')?.error ?? '', /^TLS error with 127\.0\.0\.1:\d+: ERR_SSL_WRONG_VERSION_NUMBER \(wrong version number\)$/, 'https to a plain HTTP port');
    for (const s of out.servers.filter((x) => x.name !== 'memory')) assert.deepEqual([s.up, s.tools, s.latency_ms], [false, null, null], s.name);
    // one mcp-down finding per server that is down, at the line that defines it
    assert.deepEqual(
      out.findings.map((f) => [f.rule, f.file, f.line, f.column]),
      ['crashes', 'hangs', 'http-500', 'missing', 'refused', 'tls'].map((name) => {
        const remote = ['http-500', 'refused', 'tls'].includes(name);
        return ['mcp-down', `base/mcp/${name}.yml`, remote ? 2 : 1, remote ? 6 : 10]; // the url: or command: value
      }),
    );
    // the hanging server ignored SIGTERM and had a child of its own: both are gone, and so is its process group
    const { pid, child } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; child: number };
    assert.equal(alive(pid), false, 'the server process was reaped');
    assert.equal(alive(child), false, 'its child was ended too');
    assert.deepEqual(groupMembers(pid), [], 'nothing is left in its process group');
  });

  it('reports unmet expectations as findings at the line that states them, and exits 1', { timeout: 30_000 }, async () => {
    const r0 = repoWith({ memory: stdio(memory, 'expect:\n  tools: [create_entities, summarize_graph]\n  min_tools: 50\n  max_latency_ms: 0.001\n') });
    const r = await cli(['mcp', 'check', ...r0.target, '--json'], { env: r0.env });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { servers: JsonServer[]; findings: JsonFinding[] };
    assert.equal(out.servers[0]?.up, true, 'the server is up: only its expectations fail');
    const at = (line: number): string => `base/mcp/memory.yml:${line}`;
    assert.deepEqual(
      out.findings.map((f) => [f.rule, `${f.file}:${f.line}`]),
      [
        ['mcp-expectation', at(5)],
        ['mcp-expectation', at(6)],
        ['mcp-expectation', at(7)],
      ],
    );
    assert.match(out.findings[0]!.message, /does not list the expected tool summarize_graph; it lists create_entities, /);
    assert.match(out.findings[1]!.message, /lists 9 tool\(s\), expected at least 50/);
    assert.match(out.findings[2]!.message, /over its budget of 0\.001 ms/);
    const text = await cli(['mcp', 'check', ...r0.target], { env: r0.env });
    assert.match(text.stdout, /\nbase\/mcp\/memory\.yml:6:14 {2}error {2}mcp-expectation {2}server "memory" lists 9 tool\(s\), expected at least 50\n/);
  });

  it('resolves secrets in env and headers for the check and never shows their values, not even in errors', { timeout: 30_000 }, async () => {
    // a server that prints its token to stderr and dies; an HTTP server that echoes the Authorization header back
    const leaky = join(tmp.dir, 'leaky.cjs');
    writeFileSync(leaky, "process.stderr.write('starting with token ' + process.env.API_TOKEN + '\\n'); process.exit(1);\n");
    const r0 = repoWith({
      leaky: `command: ${q(process.execPath)}\nargs: [${q(leaky)}]\nenv:\n  API_TOKEN: !secret env:TOKEN\n`,
      echo500: http(http500.url, 'headers:\n  Authorization: !secret env:TOKEN\n'),
      memory: stdio({ command: memory.command, args: memory.args }, 'env:\n  MEMORY_FILE_PATH: !secret env:TOKEN_FILE\n'),
    });
    const env = { ...r0.env, TOKEN_FILE: join(tmp.dir, 'secret-memory.jsonl') };
    for (const args of [['--json'], []]) {
      const r = await cli(['mcp', 'check', ...r0.target, ...args], { env });
      assert.equal(r.code, 1);
      assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `the secret value is not shown:\n${r.stdout}`);
      assert.match(r.stdout, /starting with token «secret:env:TOKEN»/, 'the stderr line is shown with the reference instead');
      assert.match(r.stdout, /"authorization\\?":\\?"«secret:env:TOKEN»\\?"/, 'the echoed header too');
    }
    const json = JSON.parse((await cli(['mcp', 'check', ...r0.target, '--json', '--server', 'memory'], { env })).stdout) as { servers: JsonServer[] };
    assert.deepEqual(
      json.servers.map((s) => [s.name, s.up]),
      [['memory', true]],
      'the server starts with its secret-valued env resolved',
    );
  });

  it('names an unresolvable secret by its reference and reports the server down without starting it', { timeout: 10_000 }, async () => {
    const r0 = repoWith({ api: http(http500.url, 'headers:\n  Authorization: !secret env:NOT_SET_ANYWHERE\n') });
    const before = http500.requests;
    const r = await cli(['mcp', 'check', ...r0.target, '--json'], { env: r0.env });
    assert.equal(r.code, 1);
    const s = (JSON.parse(r.stdout) as { servers: JsonServer[] }).servers[0]!;
    assert.equal(s.up, false);
    assert.equal(s.error, 'cannot resolve !secret «secret:env:NOT_SET_ANYWHERE»: the environment variable NOT_SET_ANYWHERE is not set');
    assert.equal(http500.requests, before, 'no request was sent');
  });

  it('checks one server with --server, and rejects an unknown one with exit 2', { timeout: 15_000 }, async () => {
    const r0 = repoWith({ memory: stdio(memory), missing: 'command: claude-env-no-such-command-7d1e\n', off: stdio(memory, 'enabled: false\n') });
    const one = await cli(['mcp', 'check', ...r0.target, '--server', 'memory', '--json'], { env: r0.env });
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual((JSON.parse(one.stdout) as { servers: JsonServer[] }).servers.map((s) => s.name), ['memory']);
    const off = await cli(['mcp', 'check', ...r0.target, '--server', 'off'], { env: r0.env });
    assert.equal(off.code, 2);
    assert.match(off.stderr, /no enabled MCP server "off" for development\/web\/ann\n {2}enabled servers: memory, missing/);
    const bad = await cli(['mcp', 'check', ...r0.target, '--timeout', '0'], { env: r0.env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout must be a whole number above 0/);
    const sub = await cli(['mcp', 'list', ...r0.target], { env: r0.env });
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown mcp subcommand "list"/);
  });
});

describe('validate --online', () => {
  it('adds mcp-down and mcp-expectation findings at the defining lines, counted in the summary, and exits 1', { timeout: 30_000 }, async () => {
    const r0 = repoWith({ memory: stdio(memory, 'expect: { min_tools: 100 }\n'), refused: http(`http://127.0.0.1:${await unusedPort()}/mcp`) });
    const offline = await cli(['validate', '--repo', r0.repo, '--json'], { env: r0.env });
    assert.equal(offline.code, 0, offline.stdout);
    const r = await cli(['validate', '--repo', r0.repo, '--online', '--json'], { env: r0.env });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { findings: JsonFinding[]; summary: { errors: number } };
    assert.deepEqual(
      out.findings.map((f) => [`${f.file}:${f.line}:${f.column}`, f.rule]),
      [
        ['base/mcp/memory.yml:4:22', 'mcp-expectation'],
        ['base/mcp/refused.yml:2:6', 'mcp-down'],
      ],
    );
    assert.equal(out.summary.errors, 2);
    const sarif = await cli(['validate', '--repo', r0.repo, '--online', '--format', 'sarif'], { env: r0.env });
    const rules = (JSON.parse(sarif.stdout) as { runs: Array<{ tool: { driver: { rules: Array<{ id: string; shortDescription: { text: string } }> } } }> }).runs[0]!.tool.driver.rules;
    assert.match(rules.find((x) => x.id === 'mcp-down')?.shortDescription.text ?? '', /does not connect/);
    const flag = await cli(['validate', '--repo', r0.repo, '--timeout', '100'], { env: r0.env });
    assert.equal(flag.code, 2, '--timeout without --online is a usage error');
  });
});

describe('drift --online', () => {
  it('adds one critical mcp-server item per server that is down, and plain drift starts no server and loads no MCP code', { timeout: 30_000 }, async () => {
    const r0 = repoWith({ memory: stdio(memory), refused: http(`http://127.0.0.1:${await unusedPort()}/mcp`) });
    assert.equal((await cli(['apply', ...r0.target], { env: r0.env })).code, 0);
    const plain = await cli(['drift', ...r0.target, '--json'], { env: r0.env });
    assert.equal(plain.code, 0, plain.stdout);
    const r = await cli(['drift', ...r0.target, '--online', '--json'], { env: r0.env });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { items: Array<Record<string, unknown>>; risk_level: string; drift_percentage: number; plan: Array<Record<string, unknown>> };
    assert.deepEqual(out.items, [
      { path: 'mcpServers.refused', file: '.claude.json', kind: 'down', expected: 'up', actual: (out.items[0] as { actual: string }).actual, category: 'mcp-server', severity: 'critical' },
    ]);
    assert.match(String(out.items[0]!['actual']), /^connection refused/);
    assert.equal(out.risk_level, 'critical');
    assert.equal(out.drift_percentage, 0, 'a server that is down is not a drifted managed value');

    // the built CLI: `drift` loads none of the bundle's MCP code; `drift --online` does
    const loaded = (args: string[]): string[] => {
      const log = join(r0.home, `loaded-${args.length}.log`);
      const hook = join(r0.home, 'hook.mjs');
      writeFileSync(hook, "import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregisterHooks({ load(url, ctx, next) { appendFileSync(process.env.LOAD_LOG, url + '\\n'); return next(url, ctx); } });\n");
      const p = spawnSync(process.execPath, ['--import', hook, join(ROOT, 'bin', 'claude-env.js'), 'drift', ...r0.target, ...args], { env: { ...r0.env, LOAD_LOG: log }, encoding: 'utf8', timeout: 20_000 });
      assert.ok(p.status === 0 || p.status === 1, p.stderr);
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const sdkChunks = readdirSync(join(ROOT, 'dist', 'bundle')).filter((f) => readFileSync(join(ROOT, 'dist', 'bundle', f), 'utf8').includes('StreamableHTTPClientTransport'));
    assert.ok(sdkChunks.length > 0, 'the bundle holds the MCP SDK client in a chunk of its own');
    const isSdk = (url: string): boolean => url.includes('@modelcontextprotocol') || sdkChunks.some((c) => url.endsWith(`/dist/bundle/${c}`));
    assert.deepEqual(loaded([]).filter(isSdk), [], 'drift loads no MCP code');
    assert.ok(loaded(['--online']).some(isSdk), 'drift --online does');
  });
});

describe('mcp check and claude mcp list', () => {
  it('agree on which servers are up after apply', { timeout: 90_000 }, async () => {
    requireComponent('Claude Code CLI (@anthropic-ai/claude-code)', findClaudeBin);
    const r0 = repoWith({
      everything: stdio(everything),
      'everything-http': http(everythingHttp.url),
      'everything-sse': `type: sse\nurl: ${q(everythingSse.url)}\n`,
      memory: stdio(memory),
      missing: 'command: claude-env-no-such-command-7d1e\n',
      crashes: stdio(exitingServer(tmp.dir, 2, 'bad flag')),
      refused: http(`http://127.0.0.1:${await unusedPort()}/mcp`),
      'http-500': http(http500.url),
      tls: http(http500.url.replace('http:', 'https:')),
    });
    assert.equal((await cli(['apply', ...r0.target], { env: r0.env })).code, 0);
    const [ours, theirs] = await Promise.all([cli(['mcp', 'check', ...r0.target, '--json'], { env: r0.env }), claudeMcpList(r0.home)]);
    const our = new Map((JSON.parse(ours.stdout) as { servers: JsonServer[] }).servers.map((s) => [s.name, s.up ? 'up' : 'down']));
    const claude = new Map(theirs.map((s) => [s.name, s.status === 'connected' ? 'up' : s.status === 'failed' ? 'down' : s.status]));
    assert.deepEqual(Object.fromEntries(our), Object.fromEntries(claude), `ours: ${ours.stdout}\nclaude: ${theirs.map((s) => s.raw).join('\n')}`);
    assert.deepEqual(
      [...our.entries()].filter(([, v]) => v === 'up').map(([k]) => k).sort(),
      ['everything', 'everything-http', 'everything-sse', 'memory'],
    );
  });
});
