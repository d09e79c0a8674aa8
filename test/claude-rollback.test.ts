/**
 * Rollback as the real Claude Code CLI sees it: after apply, the user adds a
 * server with `claude mcp add` (and Claude writes its own keys); rollback
 * takes only claude-env's servers out of `.claude.json`, so `claude mcp list`
 * still lists and connects the user's server; rolling back the rollback
 * brings claude-env's servers back beside it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, fixture } from './helpers.js';
import { claudeMcpList, makeSandbox, memoryServerCommand, runClaude, unusedPort } from './support/claude.js';

describe('rollback, as Claude Code sees it', () => {
  it('keeps the server the user added with `claude mcp add` and every key Claude wrote; a rollback of the rollback brings claude-env’s servers back', { timeout: 120_000 }, async (t) => {
    const box = makeSandbox('claude-env-rollback-');
    t.after(() => box.cleanup());
    const repo = join(box.home, 'repo');
    cpSync(fixture('merge-rules'), repo, { recursive: true });
    const memory = memoryServerCommand({ memoryFile: join(box.home, 'memory.jsonl') });
    writeFileSync(join(repo, 'base/mcp/memory.yml'), stringify({ command: memory.command, args: memory.args, env: memory.env ?? {} }));
    writeFileSync(join(repo, 'base/mcp/docs.yml'), stringify({ type: 'http', url: `http://127.0.0.1:${await unusedPort()}/mcp`, enabled: false }));
    const env = { HOME: box.home, PATH: process.env['PATH'] };
    const claudeJson = join(box.home, '.claude.json');
    const r = await cli(['apply', '--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop', '--home', box.home], { env });
    assert.equal(r.code, 0, r.stderr);
    // the user adds a server of their own, in user scope, with Claude Code itself
    const add = await runClaude(box.home, ['mcp', 'add', '-s', 'user', 'mine', '-e', `MEMORY_FILE_PATH=${join(box.home, 'mine.jsonl')}`, '--', memory.command, ...memory.args]);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const names = async (): Promise<string[]> => (await claudeMcpList(box.home)).map((s) => `${s.name} ${s.status}`).sort();
    assert.deepEqual(await names(), ['docs failed', 'memory connected', 'mine connected']);
    const claudeKeys = Object.keys(JSON.parse(readFileSync(claudeJson, 'utf8')) as object);
    assert.ok(claudeKeys.includes('userID'), `Claude wrote its own keys: ${claudeKeys.join(', ')}`);
    // rollback: claude-env's servers go, the user's server and Claude's keys stay
    const back = await cli(['rollback', '--home', box.home, '--json'], { env });
    assert.equal(back.code, 0, back.stderr);
    const line = (JSON.parse(back.stdout) as { files: Array<{ path: string; action: string; taken_out?: string[] }> }).files.find((f) => f.path === '.claude.json');
    assert.deepEqual([line?.action, line?.taken_out], ['take-out', ['docs', 'memory']]);
    assert.deepEqual(await names(), ['mine connected']);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(claudeJson, 'utf8')) as object), claudeKeys);
    // rollback of the rollback: claude-env's servers are back, beside the user's
    const again = await cli(['rollback', '--home', box.home], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await names(), ['docs failed', 'memory connected', 'mine connected']);
  });
});
