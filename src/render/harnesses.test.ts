import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderHarness } from './harnesses.js';
import type { TreeMap } from '../provenance/tree.js';

const tree = (mcpServers: Record<string, unknown>, rest: Record<string, unknown> = {}): TreeMap => ({ mcpServers, ...rest }) as unknown as TreeMap;
const serversOf = (h: Parameters<typeof renderHarness>[0], t: TreeMap): Record<string, unknown> =>
  (JSON.parse(renderHarness(h, t).outputs.find((o) => o.kind === 'agent-mcp')!.content) as { mcpServers: Record<string, unknown> }).mcpServers;
const notesOf = (h: Parameters<typeof renderHarness>[0], t: TreeMap): string[] => renderHarness(h, t).notes.map((n) => `${n.segments.join('.')}: ${n.message}`);

describe('the servers each agent gets', () => {
  it('Codex: references become the variables Codex passes itself; SSE and references inside text are left out and said', () => {
    const t = tree({
      tool: { command: 'node', args: ['t.js'], env: { TOOL_TOKEN: '${TOOL_TOKEN}', LEVEL: 'info' } },
      docs: { type: 'http', url: 'https://d/mcp', headers: { Authorization: 'Bearer ${DOCS_TOKEN}', 'X-Team': '${TEAM}', 'X-Plain': 'a' }, timeout: 5000 },
      events: { type: 'sse', url: 'https://e/sse' },
      home: { command: 'node', args: ['${HOME}/x.js'] },
      other: { command: 'node', env: { A: '${B}' } },
      off: { command: 'node', enabled: false },
    });
    assert.deepEqual(serversOf('codex', t), {
      tool: { command: 'node', args: ['t.js'], env: { LEVEL: 'info' }, env_vars: ['TOOL_TOKEN'] },
      docs: { url: 'https://d/mcp', bearer_token_env_var: 'DOCS_TOKEN', http_headers: { 'X-Plain': 'a' }, env_http_headers: { 'X-Team': 'TEAM' } },
    });
    assert.deepEqual(notesOf('codex', t), [
      'mcpServers.docs.timeout: is left out of Codex\'s entry: Codex has no such key',
      'mcpServers.events: not rendered for Codex: Codex has no SSE transport (stdio and streamable HTTP only)',
      'mcpServers.home: not rendered for Codex: args uses ${…}, which Codex does not expand',
      'mcpServers.other: not rendered for Codex: env.A uses ${…} in a way Codex cannot pass (only a variable of the same name, as the whole value)',
    ]);
  });

  it('Cursor: ${NAME} becomes ${env:NAME}; a default it cannot expand leaves the server out', () => {
    const t = tree({ tool: { command: 'node', env: { T: '${T}' } }, feed: { type: 'sse', url: 'https://e/sse?u=${USER}' }, def: { command: 'node', env: { A: '${A:-x}' } } });
    assert.deepEqual(serversOf('cursor', t), { tool: { command: 'node', env: { T: '${env:T}' } }, feed: { type: 'sse', url: 'https://e/sse?u=${env:USER}' } });
    assert.deepEqual(notesOf('cursor', t), ['mcpServers.def: not rendered for Cursor: it uses ${NAME:-default}, which Cursor does not expand']);
  });

  it('Gemini CLI and Copilot CLI: every transport; a bare $NAME, which they would replace and Claude Code does not, leaves the server out', () => {
    const t = tree({ tool: { command: 'node', env: { T: '${T}' } }, cash: { command: 'node', args: ['--price', '$PRICE'] }, remote: { type: 'http', url: 'https://r/mcp', description: 'R' } });
    assert.deepEqual(serversOf('gemini-cli', t), { tool: { command: 'node', env: { T: '${T}' } }, remote: { url: 'https://r/mcp', type: 'http', description: 'R' } });
    assert.deepEqual(serversOf('copilot-cli', t), {
      tool: { type: 'local', command: 'node', env: { T: '${T}' }, tools: ['*'] },
      remote: { type: 'http', url: 'https://r/mcp', tools: ['*'] },
    });
    assert.ok(notesOf('gemini-cli', t).includes('mcpServers.cash: not rendered for Gemini CLI: args holds a $NAME, which Gemini CLI would replace and Claude Code passes as it is'));
    assert.ok(notesOf('copilot-cli', t).includes("mcpServers.remote.description: is left out of Copilot CLI's entry: Copilot CLI has no such key"));
  });
});

describe('what no other agent reads', () => {
  it('is one note per agent, and Cursor’s instructions a note of their own', () => {
    const t = tree({}, { settings: { model: 'opus' }, personas: { r: { prompt: 'x' } }, instructions: ['Be brief.'] });
    assert.deepEqual(notesOf('cursor', t), [
      'instructions: not rendered for Cursor: its user rules live in its app settings, not in a file',
      ": settings, personas not rendered for Cursor: they are Claude Code's own (settings, subagents, slash commands, files under ~/.claude)",
    ]);
    assert.deepEqual(
      renderHarness('codex', t).outputs.map((o) => [o.path, o.kind]),
      [
        ['.codex/config.toml', 'agent-mcp'],
        ['.codex/AGENTS.md', 'claude-md'],
      ],
    );
  });
});
