/**
 * What Claude Code silently drops gets a finding at its place: a typo inside
 * `permissions` (Claude Code keeps the key and reads none of its rules), and a
 * bad rule in a persona's `tools`/`disallowedTools` or a workflow's
 * `allowed-tools` (front-matter lists, where one string may hold several
 * rules, split as Claude Code splits them).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import { frontMatterRules } from '../../src/validate/rules/permissions.js';
import { cli, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

async function seedWith(files: Record<string, string>): Promise<string> {
  const dir = join(tmp.dir, `repo-${Math.random().toString(36).slice(2)}`);
  await initRepo(dir, { PATH: process.env['PATH'] });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

const findings = async (dir: string): Promise<string[]> => {
  const r = await cli(['validate', '--repo', dir]);
  return r.stdout.split('\n').filter((l) => /  (error|warning)  /.test(l));
};

describe('what Claude Code silently drops', () => {
  it('names a typo inside permissions as an error, with the rules it drops and what was meant', async () => {
    const dir = await seedWith({
      'projects/api-service/claude-config.yml': 'settings:\n  permissions:\n    denny: ["Bash(rm:*)", "Read(./.env)"]\n    alow: [Read]\n    defaultmode: plan\n    deny: ["Bash(curl:*)"]\n',
    });
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 1);
    assert.deepEqual(await findings(dir), [
      'projects/api-service/claude-config.yml:3:5  error  permissions-unknown-key  Claude Code has no permissions key "denny": it ignores it and the 2 rule(s) under it; did you mean "deny"?',
      'projects/api-service/claude-config.yml:4:5  error  permissions-unknown-key  Claude Code has no permissions key "alow": it ignores it and the 1 rule(s) under it; did you mean "allow"?',
      'projects/api-service/claude-config.yml:5:5  error  permissions-unknown-key  Claude Code has no permissions key "defaultmode": it ignores it; did you mean "defaultMode"?',
    ]);
  });

  it("checks every rule of a persona's tools and a workflow's allowed-tools, a list or one string, at its place", async () => {
    const dir = await seedWith({
      'teams/backend-team/personas.yml': 'api-designer:\n  tools: "Read, Grep, bash(git log:*)"\n  disallowedTools: [Write, "Bash()"]\n  description: Designs APIs\n  prompt: Design it.\n',
      'teams/backend-team/workflows.yml':
        'add-endpoint:\n  description: Add an endpoint\n  allowed-tools: [Read, "Bash(go test:*) mcp__github(x)"]\n  prompt: Add it.\nsecurity-review:\n  description: Review\n  allowed-tools: "*"\n  prompt: Review.\n',
    });
    assert.deepEqual(await findings(dir), [
      'teams/backend-team/personas.yml:2:10  error  permission-rule  invalid tool rule "bash(git log:*)" in tools: tool name "bash" must start with an uppercase letter (Claude Code drops it)',
      'teams/backend-team/personas.yml:3:28  error  permission-rule  invalid tool rule "Bash()" in disallowedTools: Bash() is invalid: give a specifier or write just Bash (Claude Code drops it)',
      'teams/backend-team/workflows.yml:3:25  error  permission-rule  invalid tool rule "mcp__github(x)" in allowed-tools: MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool (Claude Code drops it)',
    ]);
  });

  it('splits a front-matter tool list at commas and spaces outside parentheses, as Claude Code does', () => {
    assert.deepEqual(frontMatterRules('Read, Grep Bash(git add:*, git commit:*)'), ['Read', 'Grep', 'Bash(git add:*, git commit:*)']);
    assert.deepEqual(frontMatterRules(['Read', 'Edit,Write', 3]), ['Read', 'Edit', 'Write']);
    assert.deepEqual(frontMatterRules(undefined), []);
  });

  it('reports a files/ overlay at the path of a rendered command, naming both, and apply writes nothing for it', async () => {
    const dir = await seedWith({});
    mkdirSync(join(dir, 'teams/backend-team/files/commands'), { recursive: true });
    writeFileSync(join(dir, 'teams/backend-team/files/commands/add-endpoint.md'), 'my own command\n');
    const found = await findings(dir);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /^teams\/backend-team\/files\/commands\/add-endpoint\.md:1:1  error  files-collision  this files\/ overlay goes to \.claude\/commands\/add-endpoint\.md, where claude-env renders workflow "add-endpoint" \(teams\/backend-team\/workflows\.yml:\d+:\d+\)/);
    const home = join(tmp.dir, `home-${Math.random().toString(36).slice(2)}`);
    mkdirSync(home);
    const r = await cli(['apply', '--repo', dir, '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service', '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /target-refused.*files-collision/s);
    assert.deepEqual(readdirSync(home), []);
  });

  it('accepts the agent and command fields Claude Code reads, keeps unknown ones, and renders all of them', async () => {
    const dir = await seedWith({
      'teams/backend-team/personas.yml':
        'api-designer:\n  description: Designs APIs\n  prompt: Design it.\n  memory: project\n  isolation: worktree\n  background: true\n  initialPrompt: Start with the OpenAPI file.\n  effort: 3\n  hooks: {Stop: [{hooks: [{type: command, command: "echo done"}]}]}\n  category: engineering\n',
      'teams/backend-team/workflows.yml':
        'add-endpoint:\n  name: add-endpoint\n  description: Add an endpoint\n  disable-model-invocation: true\n  user-invocable: true\n  when_to_use: When a new route is needed\n  context: fork\n  agent: api-designer\n  x-team-owner: web\n  prompt: Add it.\n',
    });
    assert.deepEqual(await findings(dir), []);
    const home = join(tmp.dir, `home-${Math.random().toString(36).slice(2)}`);
    const r = await cli(['render', '--outputs', '--json', '--repo', dir, '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service', '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    const outputs = JSON.parse(r.stdout) as Record<string, string>;
    const agent = outputs['.claude/agents/api-designer.md']!;
    for (const line of ['memory: project', 'isolation: worktree', 'background: true', 'initialPrompt: Start with the OpenAPI file.', 'effort: 3', 'category: engineering']) assert.ok(agent.split('\n').includes(line), `${line} in\n${agent}`);
    const command = outputs['.claude/commands/add-endpoint.md']!;
    for (const line of ['name: add-endpoint', 'disable-model-invocation: true', 'user-invocable: true', 'when_to_use: When a new route is needed', 'context: fork', 'agent: api-designer', 'x-team-owner: web']) assert.ok(command.split('\n').includes(line), `${line} in\n${command}`);
  });

  it('warns about a persona or workflow key that looks like a typo of a field Claude Code reads', async () => {
    const dir = await seedWith({
      'teams/backend-team/personas.yml': 'api-designer:\n  description: Designs APIs\n  prompt: Design it.\n  tols: [Read]\n',
      'teams/backend-team/workflows.yml': 'add-endpoint:\n  description: Add an endpoint\n  allowed-tool: [Read]\n  prompt: Add it.\n',
    });
    assert.deepEqual(await findings(dir), [
      'teams/backend-team/personas.yml:4:3  warning  frontmatter-unknown-key  Claude Code has no agent field "tols" (it would ignore it); did you mean "tools"?',
      'teams/backend-team/workflows.yml:3:3  warning  frontmatter-unknown-key  Claude Code has no command field "allowed-tool" (it would ignore it); did you mean "allowed-tools"?',
    ]);
  });

  it('accepts a rule Claude Code keeps that matches nothing (Web Search(*)) with a warning, and takes globs where Claude Code does', async () => {
    const dir = await seedWith({
      'projects/api-service/claude-config.yml': 'settings:\n  permissions:\n    allow: ["Web Search(*)", "mcp__github__get_*"]\n    deny: ["mcp__*"]\n',
    });
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(await findings(dir), [
      'projects/api-service/claude-config.yml:3:13  warning  permission-rule-unmatched  dead permission rule "Web Search(*)": tool name "Web Search" has characters no tool name has; did you mean "WebSearch"? (Claude Code keeps it, and it matches nothing)',
    ]);
  });

  it("accepts a hook handler's description and the keys of every hook type, and warns about a look-alike or another type's key", async () => {
    const dir = await seedWith({
      'projects/api-service/claude-config.yml':
        'settings:\n  hooks:\n    PostToolUse:\n      - matcher: Write\n        hooks:\n          - type: command\n            command: "npm run fmt"\n            description: Format what Claude wrote\n            once: true\n            asyncRewake: true\n            rewakeMessage: "Formatting failed:"\n          - type: command\n            comand: "npm test"\n            command: "npm run lint"\n          - type: prompt\n            prompt: Check it\n            url: https://example.com\n',
    });
    assert.deepEqual(await findings(dir), [
      'projects/api-service/claude-config.yml:13:13  warning  hook-unknown-key  Claude Code has no command hook field "comand" (it would ignore it); did you mean "command"?',
      'projects/api-service/claude-config.yml:17:13  warning  hook-unknown-key  "url" is a field of http hooks: Claude Code ignores it on a prompt hook',
    ]);
  });

  it('accepts every MCP server key Claude Code reads, writes them and the description to .claude.json as given, and warns about a look-alike', async () => {
    const dir = await seedWith({
      'base/mcp/docs.yml':
        'type: http\nurl: https://mcp.example.com/mcp\nheadersHelper: /usr/local/bin/docs-token\noauth:\n  clientId: claude-env\n  callbackPort: 8123\n  scopes: read\nalwaysLoad: true\ntools:\n  - name: search\n    permission_policy: always_allow\ndescription: The team docs\n',
      'base/mcp/notes.yml': 'command: /usr/local/bin/notes-mcp\nalwaysLod: true\n',
      'base/security/mcp.yml': 'mcp:\n  allowlist: [{ name: memory }, { name: everything }, { name: docs }, { name: notes }]\n',
    });
    assert.deepEqual(await findings(dir), [
      'base/mcp/notes.yml:2:1  warning  mcp-unknown-key  Claude Code has no MCP server field "alwaysLod" (it would ignore it); did you mean "alwaysLoad"?',
    ]);
    const r = await cli(['render', '--outputs', '--json', '--repo', dir, '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service']);
    assert.equal(r.code, 0, r.stderr);
    const servers = (JSON.parse(JSON.parse(r.stdout)['.claude.json']) as { mcpServers: Record<string, unknown> }).mcpServers;
    assert.deepEqual(servers['docs'], {
      type: 'http', url: 'https://mcp.example.com/mcp', headersHelper: '/usr/local/bin/docs-token', oauth: { clientId: 'claude-env', callbackPort: 8123, scopes: 'read' },
      alwaysLoad: true, tools: [{ name: 'search', permission_policy: 'always_allow' }], description: 'The team docs',
    });
    assert.deepEqual(servers['notes'], { command: '/usr/local/bin/notes-mcp', alwaysLod: true });
  });

  it('takes an MCP server defined in a project layer for that project only, and still names a server defined nowhere', async () => {
    const dir = await seedWith({
      'projects/api-service/claude-config.yml': 'mcpServers:\n  api-db:\n    command: /usr/local/bin/db-mcp\n    args: [--read-only]\n',
      'teams/backend-team/mcp-preferences.yml': 'api-db:\n  enabled: false\n',
    });
    // The server is judged where it lands: the security policy's allowlist holds for a project's own server too.
    const found = await findings(dir);
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0]!, /^projects\/api-service\/claude-config\.yml:3:14  error  policy-mcp-allowlist  MCP server "api-db" is not on the security policy's MCP allowlist/);
    assert.match(found[1]!, /^teams\/backend-team\/mcp-preferences\.yml:1:1  error  unknown-mcp-server  MCP server "api-db" is not defined/);
    writeFileSync(join(dir, 'teams/backend-team/mcp-preferences.yml'), '{}\n');
    writeFileSync(join(dir, 'base/security/mcp.yml'), 'mcp:\n  allowlist: [{ name: memory }, { name: everything }, { name: docs }, { name: api-db }]\n');
    assert.deepEqual(await findings(dir), []);
    const render = async (project: string): Promise<Record<string, unknown>> => {
      const r = await cli(['render', '--outputs', '--json', '--repo', dir, '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', project]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(JSON.parse(r.stdout)['.claude.json']) as { mcpServers: Record<string, unknown> }).mcpServers;
    };
    assert.deepEqual((await render('api-service'))['api-db'], { command: '/usr/local/bin/db-mcp', args: ['--read-only'] });
    assert.equal((await render('data-pipeline'))['api-db'], undefined);
  });

  it('renders a workflow named <namespace>/<name> (or deeper) to commands/<namespace>/<name>.md', async () => {
    const dir = await seedWith({ 'teams/backend-team/workflows.yml': 'core/commit:\n  description: Commit\n  prompt: Commit it.\nfrontend/ui/button:\n  prompt: Make a button.\n' });
    assert.deepEqual(await findings(dir), []);
    const r = await cli(['render', '--outputs', '--json', '--repo', dir, '--env', 'development', '--team', 'backend-team', '--user', 'erin', '--project', 'api-service']);
    const outputs = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(outputs['.claude/commands/core/commit.md'], '---\ndescription: Commit\n---\nCommit it.');
    assert.equal(outputs['.claude/commands/frontend/ui/button.md'], 'Make a button.');
  });

  it('warns about a null no layer below gives a value (YAML `key:` with nothing after it), and not about one that keeps a value from below', async () => {
    const dir = await seedWith({
      'projects/api-service/claude-config.yml': 'settings:\n  model:\n  spinnerVerbs:\n  env:\n    FOO:\n',
    });
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 0);
    assert.deepEqual(await findings(dir), [
      'projects/api-service/claude-config.yml:3:3  warning  null-value  settings.spinnerVerbs is null and no layer below gives it a value, so nothing is written for it (Claude Code wants a value here); give one, or remove the key',
      'projects/api-service/claude-config.yml:5:5  warning  null-value  settings.env.FOO is null and no layer below gives it a value, so nothing is written for it (Claude Code wants a value here); give one, or remove the key',
    ]);
  });

  it('finds nothing in the seed, whose personas and workflows use these lists', async () => {
    const dir = await seedWith({});
    assert.deepEqual(await findings(dir), []);
  });
});
