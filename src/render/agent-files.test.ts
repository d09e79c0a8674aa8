import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agentMcpView, mergeAgentMcp, takeBackAgentMcp } from './agent-files.js';
import { UnparsableFileError } from './shared-files.js';

const servers = (s: Record<string, unknown>): string => JSON.stringify({ mcpServers: s });
const CODEX = '.codex/config.toml';
const GEMINI = '.gemini/settings.json';

const USER_TOML = `# my codex config
model = "gpt-5"   # inline comment

[projects."/home/u/src"]
trust_level = "trusted"

# my own server
[mcp_servers.user-own]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
`;

describe("Codex's config.toml", () => {
  it('gets claude-env’s servers as tables of their own after the user’s text, which stays byte for byte', () => {
    const r = mergeAgentMcp(CODEX, servers({ github: { command: 'npx', args: ['-y', 'gh'], env: { A: 'b' } }, docs: { url: 'https://x/mcp', bearer_token_env_var: 'DOCS_TOKEN' } }), USER_TOML, []);
    assert.ok(r.content.startsWith(USER_TOML));
    assert.equal(
      r.content.slice(USER_TOML.length),
      '\n[mcp_servers.github]\ncommand = "npx"\nargs = [ "-y", "gh" ]\nenv = { A = "b" }\n\n[mcp_servers.docs]\nurl = "https://x/mcp"\nbearer_token_env_var = "DOCS_TOKEN"\n',
    );
    assert.deepEqual(r.owned, ['github', 'docs']);
  });

  it('is left byte for byte as it is when the servers are already there, however they are written', () => {
    const text = `${USER_TOML}\n[mcp_servers.github]\ncommand = "npx"\nargs = ["-y", "gh"]\n\n[mcp_servers.github.env]\nA = "b"\n`;
    assert.equal(mergeAgentMcp(CODEX, servers({ github: { command: 'npx', args: ['-y', 'gh'], env: { A: 'b' } } }), text, ['github']).content, text);
  });

  it('loses a server claude-env no longer renders, with its sub-tables as Codex’s own `mcp add` writes them, and keeps the comment above the next table', () => {
    const text = `[mcp_servers.old]\ncommand = "node"\n\n[mcp_servers.old.env]\nA = "b"\n\n# my own server\n[mcp_servers.user-own]\ncommand = "npx"\n`;
    const r = mergeAgentMcp(CODEX, servers({}), text, ['old']);
    assert.equal(r.content, '# my own server\n[mcp_servers.user-own]\ncommand = "npx"\n');
  });

  it('takes out an entry written inline under [mcp_servers]', () => {
    const text = `[mcp_servers]\nold = { command = "node" }\nmine = { command = "npx" }\n`;
    assert.equal(mergeAgentMcp(CODEX, servers({}), text, ['old']).content, `[mcp_servers]\nmine = { command = "npx" }\n`);
  });

  it('that does not parse is an error naming the line and column, and nothing is merged', () => {
    assert.throws(
      () => mergeAgentMcp(CODEX, servers({ a: { command: 'x' } }), 'model = "gpt-5"\n[mcp_servers.a\ncommand = "x"\n', []),
      (err: unknown) => err instanceof UnparsableFileError && /is not valid TOML: line 3, column 1: Table header must be single-line/.test(err.message),
    );
  });

  it('is given back exactly as the user had it by a rollback after any apply', () => {
    const applied = mergeAgentMcp(CODEX, servers({ github: { command: 'npx' } }), USER_TOML, []);
    const back = takeBackAgentMcp(CODEX, applied.content, USER_TOML, applied.owned, []);
    assert.equal(back.content, USER_TOML);
    assert.deepEqual(back.takenOut, ['github']);
  });
});

describe('JSON files with comments (Gemini CLI, Copilot CLI, Cursor)', () => {
  const USER = '{\n  // my settings\n  "privacy": { "usageStatisticsEnabled": false },\n  "mcpServers": {\n    "mine": { "command": "npx" } // mine\n  }\n}\n';

  it('get claude-env’s servers laid out like the file, the user’s lines and comments untouched', () => {
    const r = mergeAgentMcp(GEMINI, servers({ docs: { url: 'https://x', type: 'http' } }), USER, []);
    assert.equal(
      r.content,
      '{\n  // my settings\n  "privacy": { "usageStatisticsEnabled": false },\n  "mcpServers": {\n    "mine": { "command": "npx" },\n    "docs": {\n      "url": "https://x",\n      "type": "http"\n    } // mine\n  }\n}\n',
    );
    assert.deepEqual(agentMcpView(GEMINI, r.content)['privacy'], { usageStatisticsEnabled: false });
  });

  it('gain an mcpServers key where there was none, and a file where there was none', () => {
    const r = mergeAgentMcp(GEMINI, servers({ a: { command: 'x' } }), '{\n  "theme": "dark"\n}\n', []);
    assert.deepEqual(agentMcpView(GEMINI, r.content), { theme: 'dark', mcpServers: { a: { command: 'x' } } });
    assert.equal(mergeAgentMcp(GEMINI, servers({ a: { command: 'x' } }), undefined, []).content, '{\n  "mcpServers": {\n    "a": {\n      "command": "x"\n    }\n  }\n}\n');
  });

  it('with a trailing comma is an error naming the line and column', () => {
    assert.throws(() => mergeAgentMcp(GEMINI, servers({}), '{\n  "a": 1,\n}\n', []), (err: unknown) => err instanceof UnparsableFileError && /line 3, column 1/.test(err.message));
  });
});

/** Server names and entries as users and repos write them. */
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const entry = fc.record({ command: fc.constantFrom('npx', 'node', 'uvx'), args: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }) }, { requiredKeys: ['command'] });

describe('whatever the user keeps in an agent’s file', () => {
  for (const [path, write] of [
    [CODEX, (user: Record<string, unknown>) => `# the user's\nmodel = "m"\n${Object.entries(user).map(([n, e]) => `\n# ${n}\n[mcp_servers.${n}]\n${Object.entries(e as object).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}\n`).join('')}`],
    [GEMINI, (user: Record<string, unknown>) => `{\n  // the user's\n  "mcpServers": ${JSON.stringify(user, null, 2).replace(/\n/g, '\n  ')}\n}\n`],
  ] as const) {
    it(`${path}: apply, apply again with other servers, then roll both back: the user's file comes back byte for byte`, () => {
      fc.assert(
        fc.property(fc.dictionary(name, entry, { maxKeys: 4 }), fc.dictionary(name, entry, { maxKeys: 4 }), fc.dictionary(name, entry, { maxKeys: 4 }), (u, f, s) => {
          // Plain objects, as a parsed file gives them (fast-check's have no prototype).
          const [user, first, second] = [u, f, s].map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
          const ours1 = Object.fromEntries(Object.entries(first).filter(([n]) => !(n in user)));
          const ours2 = Object.fromEntries(Object.entries(second).filter(([n]) => !(n in user)));
          const original = write(user);
          const a = mergeAgentMcp(path, servers(ours1), original, []);
          const b = mergeAgentMcp(path, servers(ours2), a.content, a.owned);
          const view = agentMcpView(path, b.content)['mcpServers'] as Record<string, unknown>;
          assert.deepEqual(view, { ...user, ...ours2 }, 'the user’s servers and claude-env’s current ones, nothing else');
          const back = takeBackAgentMcp(path, b.content, original, b.owned, []);
          assert.equal(back.content, original);
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('an agent file whose servers are not a table', () => {
  it('is never written over: an error naming the file', () => {
    assert.throws(() => mergeAgentMcp(GEMINI, servers({ a: { command: 'x' } }), '{ "mcpServers": [1] }', []), /\.gemini\/settings\.json is not valid MCP configuration: its mcpServers is not a table of servers/);
    assert.throws(() => mergeAgentMcp(CODEX, servers({ a: { command: 'x' } }), 'mcp_servers = 5\n', []), /\.codex\/config\.toml is not valid MCP configuration: its mcp_servers is not a table of servers/);
  });
});
