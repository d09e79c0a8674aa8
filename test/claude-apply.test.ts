/**
 * What claude-env writes, as the real Claude Code CLI reads it: after
 * `apply --home H`, `claude mcp list` in H lists exactly the target's enabled
 * servers, the one backed by a real MCP server (server-memory) is connected,
 * and a server the user added with Claude is still there.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, fixture } from './helpers.js';
import { claudeMcpList, makeSandbox, memoryServerCommand, unusedPort, writeClaudeJson } from './support/claude.js';

describe('Claude Code reads what apply writes', () => {
  it('lists exactly the enabled servers of the target, the real memory server connected, the user’s own server kept', { timeout: 120_000 }, async (t) => {
    const box = makeSandbox('claude-env-apply-');
    t.after(() => box.cleanup());
    const repo = join(box.home, 'repo');
    cpSync(fixture('merge-rules'), repo, { recursive: true });
    const memory = memoryServerCommand({ memoryFile: join(box.home, 'memory.jsonl') });
    writeFileSync(join(repo, 'base/mcp/memory.yml'), stringify({ command: memory.command, args: memory.args, env: memory.env ?? {} }));
    const port = await unusedPort();
    writeFileSync(join(repo, 'base/mcp/docs.yml'), stringify({ type: 'http', url: `http://127.0.0.1:${port}/mcp`, enabled: false }));
    writeFileSync(join(repo, 'base/mcp/archive.yml'), stringify({ command: memory.command, args: memory.args, enabled: false }));
    // the user's own server, added the way `claude mcp add` writes it
    writeClaudeJson(join(box.home, '.claude.json'), { mcpServers: { mine: { type: 'stdio', command: memory.command, args: memory.args, env: {} } } });
    const r = await cli(['apply', '--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop', '--home', box.home], {
      env: { HOME: box.home, PATH: process.env['PATH'] },
    });
    assert.equal(r.code, 0, r.stderr);
    const servers = await claudeMcpList(box.home);
    // development enables docs (disabled in base); archive stays disabled and is not written
    assert.deepEqual(servers.map((s) => s.name).sort(), ['docs', 'memory', 'mine']);
    const byName = new Map(servers.map((s) => [s.name, s.status]));
    assert.equal(byName.get('memory'), 'connected');
    assert.equal(byName.get('mine'), 'connected');
    assert.equal(byName.get('docs'), 'failed', 'nothing listens on the docs port');
  });
});
