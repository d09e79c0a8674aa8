/**
 * What claude-env writes, as the real Claude Code CLI reads it: after
 * `apply --home H`, `claude mcp list` in H lists exactly the target's enabled
 * servers, the one backed by a real MCP server (server-memory) is connected,
 * and a server the user added with Claude is still there.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('apply --project-dir', () => {
  it('writes the project’s own servers into the project’s .mcp.json, pre-approved, and Claude started in the project connects them', { timeout: 120_000 }, async (t) => {
    const box = makeSandbox('claude-env-project-');
    t.after(() => box.cleanup());
    const repo = join(box.home, 'repo');
    const project = join(box.home, 'src', 'shop');
    mkdirSync(project, { recursive: true });
    cpSync(fixture('merge-rules'), repo, { recursive: true });
    const memory = memoryServerCommand({ memoryFile: join(box.home, 'memory.jsonl') });
    writeFileSync(join(repo, 'base/mcp/memory.yml'), stringify({ command: memory.command, args: memory.args, env: memory.env ?? {} }));
    // the shop project adds a server of its own: it belongs in the project's .mcp.json
    const config = join(repo, 'projects/shop/claude-config.yml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}mcpServers:\n  shop-memory:\n${stringify({ command: memory.command, args: memory.args }).replace(/^/gm, '    ')}`);
    // the project's checkout already has a .mcp.json with a server of the team's own
    writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { theirs: { type: 'stdio', command: memory.command, args: memory.args } } }, null, 2));
    const env = { HOME: box.home, PATH: process.env['PATH'] };
    const target = ['--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop', '--home', box.home];
    const r = await cli(['apply', ...target, '--project-dir', project, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    // the project file holds the project's server and keeps the team's own
    const mcpJson = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, unknown> };
    assert.deepEqual(Object.keys(mcpJson.mcpServers).sort(), ['shop-memory', 'theirs']);
    // the user file does not hold it; user settings pre-approve it
    const claudeJson = JSON.parse(readFileSync(join(box.home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, unknown> };
    assert.ok(!('shop-memory' in claudeJson.mcpServers));
    const settings = JSON.parse(readFileSync(join(box.home, '.claude/settings.json'), 'utf8')) as { enabledMcpjsonServers?: string[] };
    assert.deepEqual(settings.enabledMcpjsonServers, ['shop-memory']);
    // Claude started in the project sees it as a project server, approved and connected; the team's own stays pending
    const servers = new Map((await claudeMcpList(box.home, { cwd: project })).map((s) => [s.name, s.status]));
    assert.equal(servers.get('shop-memory'), 'connected');
    assert.equal(servers.get('memory'), 'connected');
    assert.equal(servers.get('theirs'), 'pending');
    // drift without --project-dir remembers the project dir of the last apply: in sync
    const drift = await cli(['drift', ...target], { env });
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
    // a hand edit of the project's server is drift in the project's file
    const edited = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string }> };
    edited.mcpServers['shop-memory']!.command = '/bin/false';
    writeFileSync(join(project, '.mcp.json'), JSON.stringify(edited, null, 2));
    const drifted = await cli(['drift', ...target, '--json'], { env });
    assert.equal(drifted.code, 1);
    const items = (JSON.parse(drifted.stdout) as { items: Array<{ file: string; path: string }> }).items;
    assert.ok(items.some((i) => i.file === '@project/.mcp.json' && i.path === 'mcpServers.shop-memory.command'), drifted.stdout);
    // remediate puts it back, the team's server untouched
    const fix = await cli(['remediate', ...target], { env });
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    const fixed = JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string }> };
    assert.equal(fixed.mcpServers['shop-memory']!.command, memory.command);
    assert.ok('theirs' in fixed.mcpServers);
  });
});
