/**
 * Other agents beside Claude Code (claude-env.yml `harnesses`): what apply writes into Codex's, Gemini CLI's and
 * Copilot CLI's own files, as the real agents from npm read it (`codex mcp list --json`, `gemini mcp list`,
 * `copilot mcp list --json`, run offline and without a login: test/support/agents.ts), beside the entries and
 * comments the user keeps there; drift of those files found, remediated and rolled back like Claude Code's.
 */
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, fixture, snapshot } from './helpers.js';
import { makeSandbox } from './support/claude.js';
import { codexMcpList, copilotMcpList, geminiMcpList, type ListedServer } from './support/agents.js';

const CODEX_USER = `# my codex config
model = "gpt-5"   # the model I like

# my own server
[mcp_servers.user-own]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
`;
const GEMINI_USER = `{
  // my gemini settings
  "privacy": { "usageStatisticsEnabled": false },
  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
  "mcpServers": {
    "user-own": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"] } // mine
  }
}
`;
const COPILOT_USER = `{
  "mcpServers": {
    "user-own": {
      "type": "local",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-everything"],
      "tools": ["*"]
    }
  }
}
`;

/** A repo whose development environment renders for Codex, Gemini CLI and Copilot CLI, with servers over stdio, http and sse. */
function setUp(box: { home: string }): { repo: string; target: string[]; env: NodeJS.ProcessEnv } {
  const repo = join(box.home, 'repo');
  cpSync(fixture('merge-rules'), repo, { recursive: true });
  writeFileSync(join(repo, 'claude-env.yml'), `${readFileSync(join(repo, 'claude-env.yml'), 'utf8')}harnesses:\n  development: [claude-code, codex, gemini-cli, copilot-cli]\n`);
  writeFileSync(join(repo, 'base/mcp/local-tool.yml'), stringify({ command: 'node', args: ['/opt/tools/local-tool.js', '--stdio'], env: { LOG_LEVEL: 'info', TOOL_TOKEN: '${TOOL_TOKEN}' } }));
  writeFileSync(join(repo, 'base/mcp/docs.yml'), stringify({ type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, enabled: false }));
  writeFileSync(join(repo, 'base/mcp/events.yml'), stringify({ type: 'sse', url: 'https://events.example.com/sse' }));
  mkdirSync(join(box.home, '.codex'), { recursive: true });
  mkdirSync(join(box.home, '.gemini'), { recursive: true });
  mkdirSync(join(box.home, '.copilot'), { recursive: true });
  writeFileSync(join(box.home, '.codex/config.toml'), CODEX_USER);
  writeFileSync(join(box.home, '.gemini/settings.json'), GEMINI_USER);
  writeFileSync(join(box.home, '.copilot/mcp-config.json'), COPILOT_USER);
  const target = ['--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop', '--home', box.home];
  return { repo, target, env: { HOME: box.home, PATH: process.env['PATH'] } };
}

const shown = (servers: ListedServer[]): string[] => servers.map((s) => `${s.name} ${s.transport} ${s.target}`).sort();
const read = (home: string, path: string): string => readFileSync(join(home, path), 'utf8');

describe('other agents read what apply writes for them', () => {
  it('codex, gemini and copilot list the servers apply wrote, beside the user’s own; what an agent cannot take is reported', { timeout: 240_000 }, async (t) => {
    const box = makeSandbox('claude-env-harness-');
    t.after(() => box.cleanup());
    const { repo, target, env } = setUp(box);
    const r = await cli(['apply', ...target], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /update +\.codex\/config\.toml/);
    assert.match(r.stdout, /create +\.codex\/AGENTS\.md/);
    // The owner is told what an agent does not get
    assert.match(r.stderr, /^claude-env: note: codex: mcpServers\.events not rendered for Codex: Codex has no SSE transport/m);

    // Codex: no SSE (events left out), the bearer token and the env variable passed from Codex's own environment
    assert.deepEqual(shown(await codexMcpList(box.home)), [
      'docs http https://mcp.example.com/mcp',
      'local-tool stdio node',
      'memory stdio npx',
      'user-own stdio npx',
    ]);
    const codex = read(box.home, '.codex/config.toml');
    assert.ok(codex.startsWith(CODEX_USER), `the user's part of config.toml is kept byte for byte:\n${codex}`);
    assert.match(codex, /bearer_token_env_var = "DOCS_TOKEN"/);
    assert.match(codex, /env_vars = \[ "TOOL_TOKEN" \]/);
    assert.doesNotMatch(codex, /\$\{/, 'no ${…} reaches Codex, which would pass it as it is');

    // Gemini CLI (in a folder no one trusted, so it connects to nothing): every transport
    assert.deepEqual(shown(await geminiMcpList(box.home)), [
      'docs http https://mcp.example.com/mcp',
      'events sse https://events.example.com/sse',
      'local-tool stdio node /opt/tools/local-tool.js --stdio',
      'memory stdio npx -y @modelcontextprotocol/server-memory',
      'user-own stdio npx -y @modelcontextprotocol/server-everything',
    ]);
    const gemini = read(box.home, '.gemini/settings.json');
    assert.match(gemini, /\/\/ my gemini settings\n {2}"privacy": \{ "usageStatisticsEnabled": false \},/);
    assert.match(gemini, /"user-own": \{ "command": "npx", "args": \["-y", "@modelcontextprotocol\/server-everything"\] \},/);

    // Copilot CLI
    assert.deepEqual(shown(await copilotMcpList(box.home)), [
      'docs http https://mcp.example.com/mcp',
      'events sse https://events.example.com/sse',
      'local-tool stdio node',
      'memory stdio npx',
      'user-own stdio npx',
    ]);
    // The instructions, as each agent's own global file, in a managed block
    for (const file of ['.codex/AGENTS.md', '.gemini/GEMINI.md', '.copilot/copilot-instructions.md']) assert.match(read(box.home, file), /<!-- claude-env:begin -->\n[\s\S]*Development paragraph\.[\s\S]*<!-- claude-env:end -->/);

    // What Codex cannot take is said where the repo sets it, never guessed
    const v = await cli(['validate', '--repo', repo], { env });
    assert.match(v.stdout, /base\/mcp\/events\.yml:\d+:\d+  warning  harness-unsupported  codex: mcpServers\.events not rendered for Codex: Codex has no SSE transport/);
    assert.match(v.stdout, /claude-env\.yml:\d+:\d+  note  harness-unsupported  codex: settings, personas, workflows, files not rendered for Codex/);

    // render shows each agent's file as apply writes it where there is none: Codex's in TOML
    const rendered = await cli(['render', ...target, '--outputs', '--json'], { env });
    const files = JSON.parse(rendered.stdout) as Record<string, string>;
    assert.match(files['.codex/config.toml']!, /^\[mcp_servers\.docs\]\nurl = "https:\/\/mcp\.example\.com\/mcp"\nbearer_token_env_var = "DOCS_TOKEN"\n/m);
    assert.deepEqual(Object.keys((JSON.parse(files['.gemini/settings.json']!) as { mcpServers: object }).mcpServers).sort(), ['docs', 'events', 'local-tool', 'memory']);

    // A second apply changes nothing
    const again = await cli(['apply', ...target], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /wrote 0, removed 0/);
  });

  it('drift of the agents’ files is found and remediated, the user’s entries and comments survive, and rollback gives the user’s files back', { timeout: 240_000 }, async (t) => {
    const box = makeSandbox('claude-env-harness-drift-');
    t.after(() => box.cleanup());
    const { target, env } = setUp(box);
    assert.equal((await cli(['apply', ...target], { env })).code, 0);
    const codexListed = shown(await codexMcpList(box.home));
    const geminiListed = shown(await geminiMcpList(box.home));
    const copilotListed = shown(await copilotMcpList(box.home));

    // Hand edits: Codex's local-tool runs something else, Gemini's memory server is gone, Copilot's memory gains a cwd
    writeFileSync(join(box.home, '.codex/config.toml'), read(box.home, '.codex/config.toml').replace('"/opt/tools/local-tool.js"', '"/tmp/evil.js"'));
    writeFileSync(join(box.home, '.gemini/settings.json'), read(box.home, '.gemini/settings.json').replace(/,\n {4}"memory": \{[\s\S]*?\n {4}\}/, ''));
    const copilot = read(box.home, '.copilot/mcp-config.json');
    assert.match(copilot, /"memory": \{\n {6}"type": "local",/);
    writeFileSync(join(box.home, '.copilot/mcp-config.json'), copilot.replace(/"memory": \{\n {6}"type": "local",/, '"memory": {\n      "cwd": "/tmp",\n      "type": "local",'));
    assert.ok(!shown(await geminiMcpList(box.home)).some((s) => s.startsWith('memory ')), 'the hand edit took the server out of Gemini');

    const drift = await cli(['drift', ...target, '--json'], { env });
    const report = JSON.parse(drift.stdout) as { items: Array<{ file: string; path: string; kind: string }> };
    const items = report.items.filter((i) => i.kind !== 'extra').map((i) => `${i.file} ${i.path} ${i.kind}`);
    assert.deepEqual(items.sort(), [
      '.codex/config.toml mcpServers.local-tool.args modified',
      '.copilot/mcp-config.json mcpServers.memory.cwd modified',
      '.gemini/settings.json mcpServers.memory.args missing',
      '.gemini/settings.json mcpServers.memory.command missing',
      '.gemini/settings.json mcpServers.memory.env.MEMORY_FILE_PATH missing',
    ]);
    assert.notEqual(drift.code, 0, 'managed drift is reported with a non-zero exit');
    // The user's own servers are extras, kept
    assert.deepEqual(report.items.filter((i) => i.kind === 'extra').map((i) => `${i.file} ${i.path}`).sort(), [
      '.codex/config.toml mcpServers.user-own',
      '.copilot/mcp-config.json mcpServers.user-own',
      '.gemini/settings.json mcpServers.user-own',
    ]);

    const fixed = await cli(['remediate', ...target, '--include', 'medium'], { env });
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const after = await cli(['drift', ...target, '--json'], { env });
    assert.deepEqual((JSON.parse(after.stdout) as { items: Array<{ kind: string }> }).items.filter((i) => i.kind !== 'extra'), []);
    assert.deepEqual(shown(await codexMcpList(box.home)), codexListed);
    assert.deepEqual(shown(await geminiMcpList(box.home)), geminiListed);
    assert.deepEqual(shown(await copilotMcpList(box.home)), copilotListed);
    assert.ok(read(box.home, '.codex/config.toml').startsWith(CODEX_USER));
    assert.match(read(box.home, '.gemini/settings.json'), /\/\/ my gemini settings/);

    // Rollback to before the first apply: each agent's file is the user's own again, byte for byte
    const list = await cli(['rollback', ...target, '--list', '--json'], { env });
    const ids = (JSON.parse(list.stdout) as { restore_points: Array<{ id: string }> }).restore_points.map((p) => p.id).sort();
    const back = await cli(['rollback', ...target, '--to', ids[0]!], { env });
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.equal(read(box.home, '.codex/config.toml'), CODEX_USER);
    assert.equal(read(box.home, '.gemini/settings.json'), GEMINI_USER);
    assert.equal(read(box.home, '.copilot/mcp-config.json'), COPILOT_USER);
    assert.deepEqual(shown(await codexMcpList(box.home)), ['user-own stdio npx']);
  });

  it('a secret reaches only the agent’s own file (mode 0600): diff, drift and apply’s report never show it', { timeout: 120_000 }, async (t) => {
    const box = makeSandbox('claude-env-harness-secret-');
    t.after(() => box.cleanup());
    const { repo, target, env } = setUp(box);
    const KEY = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
    writeFileSync(join(repo, 'base/mcp/search.yml'), 'type: http\nurl: https://search.example.com/mcp\nheaders:\n  X-Api-Key: !secret env:SEARCH_KEY\n');
    const withKey = { ...env, SEARCH_KEY: KEY };
    const r = await cli(['apply', ...target, '--json'], { env: withKey });
    assert.equal(r.code, 0, r.stderr);
    for (const file of ['.codex/config.toml', '.gemini/settings.json', '.copilot/mcp-config.json']) {
      assert.ok(read(box.home, file).includes(KEY), `${file} holds the value the agent sends`);
      assert.equal(statSync(join(box.home, file)).mode & 0o777, 0o600, `${file} is private`);
    }
    assert.deepEqual((await codexMcpList(box.home)).find((s) => s.name === 'search'), { name: 'search', transport: 'http', target: 'https://search.example.com/mcp' });
    // The repo moves the server; diff shows the change, drift the servers, and neither the value
    writeFileSync(join(repo, 'base/mcp/search.yml'), 'type: http\nurl: https://search2.example.com/mcp\nheaders:\n  X-Api-Key: !secret env:SEARCH_KEY\n');
    const diff = await cli(['diff', ...target], { env: withKey });
    assert.match(diff.stdout, /search2\.example\.com/);
    const drift = await cli(['drift', ...target, '--json'], { env: withKey });
    for (const out of [r.stdout, r.stderr, diff.stdout, diff.stderr, drift.stdout, drift.stderr]) assert.ok(!out.includes(KEY), 'the secret is in no output');
  });

  it('impact lists the agents’ files a change reaches, and only those', { timeout: 60_000 }, async (t) => {
    const box = makeSandbox('claude-env-harness-impact-');
    t.after(() => box.cleanup());
    const { repo, env } = setUp(box);
    const git = (...args: string[]): void => void execFileSync('git', ['-C', repo, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' } });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'seed');
    // A timeout: Gemini CLI and Copilot CLI read it, Codex has no such key
    writeFileSync(join(repo, 'base/mcp/local-tool.yml'), stringify({ command: 'node', args: ['/opt/tools/local-tool.js', '--stdio'], env: { LOG_LEVEL: 'info', TOOL_TOKEN: '${TOOL_TOKEN}' }, timeout: 20000 }));
    git('commit', '-qam', 'a timeout for the local tool');
    const r = await cli(['impact', '--repo', repo, '--base', 'HEAD~1', '--target', 'development/web/ann/shop', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { targets: Array<{ files: Array<{ path: string }> }> }).targets.flatMap((x) => x.files.map((f) => f.path));
    assert.deepEqual(files.sort(), ['.claude.json', '.copilot/mcp-config.json', '.gemini/settings.json']);
  });

  describe('an agent file that does not parse is never written over: an error naming the file, line and column, and nothing changes', () => {
    const cases = [
      { file: '.codex/config.toml', text: `${CODEX_USER}[mcp_servers.broken\ncommand = "x"\n`, says: /\.codex\/config\.toml:9:1 {2}unparsable-file {2}\.codex\/config\.toml is not valid TOML: line 9, column 1: .*codex stops reading a file it cannot parse/ },
      { file: '.gemini/settings.json', text: '{\n  "mcpServers": {},\n}\n', says: /\.gemini\/settings\.json:3:1 {2}unparsable-file {2}\.gemini\/settings\.json is not valid JSON: line 3, column 1: PropertyNameExpected/ },
    ];
    for (const c of cases) {
      it(c.file, { timeout: 60_000 }, async (t) => {
        const box = makeSandbox('claude-env-harness-bad-');
        t.after(() => box.cleanup());
        const { target, env } = setUp(box);
        writeFileSync(join(box.home, c.file), c.text);
        const before = snapshot(box.home);
        const r = await cli(['apply', ...target], { env });
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stderr, c.says);
        assert.deepEqual(snapshot(box.home), before);
      });
    }
  });

  it('a harness claude-env does not know, or an environment claude-env.yml does not declare, is a validate error at its place', { timeout: 60_000 }, async (t) => {
    const box = makeSandbox('claude-env-harness-schema-');
    t.after(() => box.cleanup());
    const { repo, env } = setUp(box);
    writeFileSync(join(repo, 'claude-env.yml'), readFileSync(join(repo, 'claude-env.yml'), 'utf8').replace('  development: [claude-code, codex, gemini-cli, copilot-cli]\n', '  development: [claude-code, vim]\n  qa: [codex]\n'));
    const v = await cli(['validate', '--repo', repo], { env });
    assert.equal(v.code, 1);
    assert.match(v.stdout, /^claude-env\.yml:\d+:\d+  error  schema  must be one of: claude-code, codex, gemini-cli, copilot-cli, cursor$/m);
    assert.match(v.stdout, /^claude-env\.yml:\d+:3  error  unknown-environment  harnesses for undeclared environment "qa"/m);
  });
});

