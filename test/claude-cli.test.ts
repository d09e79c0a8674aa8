/**
 * What the real Claude Code CLI (the devDependency, run from node_modules) does with a `.claude.json` we wrote by hand:
 * the facts `apply` relies on. Each test runs the CLI once, offline, in a throwaway HOME; no login is needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  claudeMcpGet,
  claudeMcpListRun,
  findClaudeBin,
  makeSandbox,
  memoryServerCommand,
  memoryServerVersion,
  requireComponent,
  unusedPort,
  writeClaudeJson,
} from './support/claude.js';

const TEST_TIMEOUT = 60_000;

/** The components, or a clear failure (never a skip). */
const components = (): { memory: ReturnType<typeof memoryServerCommand> } => {
  requireComponent('Claude Code CLI (@anthropic-ai/claude-code)', findClaudeBin);
  requireComponent('MCP memory server (@modelcontextprotocol/server-memory)', () => memoryServerCommand());
  return { memory: memoryServerCommand() };
};

/** A user-scope config with the real memory server (stdio) and an http server on a port nothing listens on. */
const servers = async (home: string): Promise<Record<string, unknown>> => {
  const { command, args } = components().memory;
  return {
    memory: { type: 'stdio', command, args, env: { MEMORY_FILE_PATH: join(home, 'memory.jsonl') } },
    'down-http': { type: 'http', url: `http://127.0.0.1:${await unusedPort()}/mcp` },
  };
};

test('claude mcp list shows a hand-written memory server ✔ Connected and an unreachable http server ✘ Failed, and exits 0', { timeout: TEST_TIMEOUT }, async (t) => {
  const box = makeSandbox();
  t.after(box.cleanup);
  writeClaudeJson(join(box.home, '.claude.json'), { mcpServers: await servers(box.home) });

  const { run, servers: listed } = await claudeMcpListRun(box.home);
  t.diagnostic(`claude ${findClaudeBin().version} (${findClaudeBin().kind}), server-memory ${memoryServerVersion()}: mcp list took ${Math.round(run.ms)} ms`);

  assert.equal(run.code, 0, 'Claude exits 0 even though a server failed');
  assert.match(run.stdout, /^Checking MCP server health…\n\n/);
  assert.deepEqual(
    listed.map(({ name, status }) => ({ name, status })),
    [
      { name: 'memory', status: 'connected' },
      { name: 'down-http', status: 'failed' },
    ],
    run.stdout,
  );
  const [memory, down] = listed;
  assert.equal(memory?.statusText, 'Connected');
  assert.equal(memory?.target, [components().memory.command, ...components().memory.args].join(' '));
  assert.match(down?.raw ?? '', /^down-http: http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\) - ✘ Failed to connect( — .*ECONNREFUSED.*)?$/);
  assert.equal(run.strays, false, 'Claude ended the memory server it started');
  assert.equal(existsSync(join(box.home, 'memory.jsonl')), false, 'a health check calls no tool');
});

test('with CLAUDE_CONFIG_DIR set, Claude reads $CLAUDE_CONFIG_DIR/.claude.json and ignores ~/.claude.json', { timeout: TEST_TIMEOUT }, async (t) => {
  const box = makeSandbox();
  t.after(box.cleanup);
  const configDir = join(box.home, 'alt-config');
  writeClaudeJson(join(configDir, '.claude.json'), { mcpServers: await servers(box.home) });
  writeClaudeJson(join(box.home, '.claude.json'), { mcpServers: { 'home-only': { type: 'http', url: `http://127.0.0.1:${await unusedPort()}/home` } } });
  const homeBefore = readFileSync(join(box.home, '.claude.json'), 'utf8');

  const { run, servers: listed } = await claudeMcpListRun(box.home, { configDir });
  t.diagnostic(`mcp list with CLAUDE_CONFIG_DIR took ${Math.round(run.ms)} ms`);

  assert.deepEqual(
    listed.map(({ name, status }) => ({ name, status })),
    [
      { name: 'memory', status: 'connected' },
      { name: 'down-http', status: 'failed' },
    ],
    run.stdout,
  );
  assert.equal(readFileSync(join(box.home, '.claude.json'), 'utf8'), homeBefore, '~/.claude.json is not even rewritten');
  const written = JSON.parse(readFileSync(join(configDir, '.claude.json'), 'utf8')) as Record<string, unknown>;
  assert.ok('userID' in written, 'Claude keeps its state in $CLAUDE_CONFIG_DIR/.claude.json');
  assert.equal(existsSync(join(configDir, 'backups')), true, 'and its backups in $CLAUDE_CONFIG_DIR/backups');
});

test('Claude keeps the keys it does not know in .claude.json, and the file format, when it adds its own on a run', { timeout: TEST_TIMEOUT }, async (t) => {
  const box = makeSandbox();
  t.after(box.cleanup);
  const file = join(box.home, '.claude.json');
  const mcpServers = await servers(box.home);
  const ours = { mcpServers, claudeEnvProbe: true, claudeEnvProbeObject: { nested: [1, 'two', { three: null }] } };
  writeClaudeJson(file, ours);

  const got = await claudeMcpGet(box.home, 'memory');
  assert.ok(got);
  assert.equal(got.scope, 'User config (available in all your projects)');
  assert.equal(got.status, 'connected');
  assert.equal(got.fields['Type'], 'stdio');
  assert.equal(got.fields['Command'], components().memory.command);
  assert.deepEqual(got.env, { MEMORY_FILE_PATH: join(box.home, 'memory.jsonl') });

  const text = readFileSync(file, 'utf8');
  const after = JSON.parse(text) as Record<string, unknown>;
  const added = Object.keys(after).filter((k) => !(k in ours));
  t.diagnostic(`keys Claude ${findClaudeBin().version} added on its first run: ${added.join(', ')}`);

  assert.equal(after['claudeEnvProbe'], true, 'an unknown top-level key survives');
  assert.deepEqual(after['claudeEnvProbeObject'], ours.claudeEnvProbeObject, 'and an unknown object, unchanged');
  assert.deepEqual(after['mcpServers'], mcpServers, 'mcpServers is not touched');
  assert.deepEqual(Object.keys(after).slice(0, 3), Object.keys(ours), 'key order kept, new keys appended');
  for (const k of ['firstStartTime', 'userID']) assert.ok(added.includes(k), `Claude adds ${k} (added: ${added.join(', ')})`);
  assert.equal(text, JSON.stringify(after, null, 2), '2-space JSON, no trailing newline');
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600, 'mode stays 0600');
});
