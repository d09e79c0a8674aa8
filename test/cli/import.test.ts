/**
 * `import` end to end: a machine set up by hand over what the seed gives
 * (settings with hooks, statusLine, permissions, env and sandbox; MCP
 * servers over stdio, http and sse with env and headers; an agent and a
 * command with their front matter; a skill with a script) becomes a user
 * layer on a new branch; rendering the target at that branch gives back
 * every settings key, every server entry and every file byte for byte;
 * the branch validates; no secret value lands anywhere. Bad input names the
 * file and leaves the repo as it was.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, snapshot, tempDir } from '../helpers.js';
import { newIdentity } from '../../src/secrets/age.js';
import { claudeMcpList } from '../support/claude.js';

const tmp = tempDir('claude-env-import-');
after(() => tmp.cleanup());
let n = 0;

const GITHUB_TOKEN = 'ghp_R8x2mQ7vL4nK9pT3wZ6yB1cD5fH0jS2aE4gU';
const SEARCH_API_KEY = 'search-key-canary-7f3a91c2';
const HEADER_TOKEN = 'Bearer hdr-canary-5b8e2d41';
const DOCS = 'Bearer docs-token-for-import';

interface Setup {
  readonly repo: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  run(args: string[]): ReturnType<typeof cli>;
  git(...args: string[]): string;
}

async function setup(): Promise<Setup> {
  const root = join(tmp.dir, `case${n++}`);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const env = { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: DOCS, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const init = await cli(['init', repo], { env });
  assert.equal(init.code, 0, init.stderr);
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { repo, home, env, git, run: (args) => cli(['import', ...args, '--repo', repo], { env, cwd: root }) };
}

/** The repo as a user sees it: files of the working tree, refs, HEAD, status. */
function repoState(s: Setup): unknown {
  const files = snapshot(s.repo);
  for (const k of [...files.keys()]) if (k.startsWith('.git/')) files.delete(k);
  return { files: [...files], refs: s.git('for-each-ref'), head: s.git('symbolic-ref', 'HEAD'), status: s.git('status', '--porcelain', '--untracked-files=all') };
}

const readJson = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));
const writeJson = (p: string, v: unknown): void => writeFileSync(p, `${JSON.stringify(v, null, 2)}\n`);
const TARGET = ['--env', 'development', '--team', 'frontend-team', '--user', 'alice'];

/** alice's machine: what the seed gives her, then her own changes by hand. */
async function aliceMachine(s: Setup): Promise<{ agent: string; command: string; skill: string; script: string }> {
  // Her servers, allowed by the security policy (a policy change the platform team makes with the import).
  writeFileSync(join(s.repo, 'base/security/mcp.yml'), readFileSync(join(s.repo, 'base/security/mcp.yml'), 'utf8').replace('    - { name: docs }\n', '    - { name: docs }\n    - { name: search }\n    - { name: tracker }\n    - { name: events }\n'));
  s.git('commit', '-qam', 'allow alice\'s servers');
  const applied = await cli(['apply', '--repo', s.repo, ...TARGET, '--home', s.home], { env: s.env });
  assert.equal(applied.code, 0, applied.stderr);

  const settingsFile = join(s.home, '.claude/settings.json');
  const settings = readJson(settingsFile);
  settings.model = 'opus';
  settings.permissions.allow.push('Bash(make:*)');
  settings.permissions.ask = [...(settings.permissions.ask ?? []), 'Bash(npm publish:*)'];
  settings.env.GITHUB_TOKEN = GITHUB_TOKEN;
  settings.env.PAGER = 'less -R';
  settings.statusLine = { type: 'command', command: '~/.claude/statusline.sh', padding: 0 };
  settings.sandbox = { enabled: true, autoAllowBashIfSandboxed: true, excludedCommands: ['docker'] };
  settings.hooks.PreToolUse = [...(settings.hooks.PreToolUse ?? []), { matcher: 'Bash', hooks: [{ type: 'command', command: '~/.claude/hooks/guard.sh', timeout: 10 }] }];
  writeJson(settingsFile, settings);

  const stateFile = join(s.home, '.claude.json');
  const state = readJson(stateFile);
  state.numStartups = 12;
  state.mcpServers.search = { type: 'stdio', command: 'search-mcp', args: ['--stdio'], env: { SEARCH_API_KEY, REGION: 'eu' } };
  state.mcpServers.tracker = { type: 'http', url: 'https://tracker.example.com/mcp', headers: { Authorization: HEADER_TOKEN, 'X-Team': 'frontend' } };
  state.mcpServers.events = { type: 'sse', url: 'https://events.example.com/sse', headers: { 'X-Client': 'claude' }, timeout: 20000 };
  writeJson(stateFile, state);

  const agent = '---\nname: reviewer\ndescription: Reviews a change for correctness and style\ntools: Read, Grep, Glob\nmodel: sonnet\ncolor: blue\n---\nYou review the change in front of you.\n';
  const command = '---\ndescription: Commit what is staged\nallowed-tools: Bash(git commit:*), Bash(git status)\nargument-hint: [message]\nmodel: haiku\ndisable-model-invocation: true\n---\nCommit the staged changes with the message: $ARGUMENTS\n';
  const skill = '---\nname: deploy-preview\ndescription: Deploys a preview of the branch\n---\nRun scripts/deploy.sh and report the URL.\n';
  const script = '#!/bin/sh\nset -eu\necho "deploying $1"\n';
  mkdirSync(join(s.home, '.claude/agents'), { recursive: true });
  mkdirSync(join(s.home, '.claude/commands/git'), { recursive: true });
  mkdirSync(join(s.home, '.claude/skills/deploy-preview/scripts'), { recursive: true });
  mkdirSync(join(s.home, '.claude/hooks'), { recursive: true });
  mkdirSync(join(s.home, '.claude/projects/-home-alice-web'), { recursive: true });
  writeFileSync(join(s.home, '.claude/agents/reviewer.md'), agent);
  writeFileSync(join(s.home, '.claude/commands/git/commit.md'), command);
  writeFileSync(join(s.home, '.claude/skills/deploy-preview/SKILL.md'), skill);
  writeFileSync(join(s.home, '.claude/skills/deploy-preview/scripts/deploy.sh'), script);
  chmodSync(join(s.home, '.claude/skills/deploy-preview/scripts/deploy.sh'), 0o755);
  writeFileSync(join(s.home, '.claude/hooks/guard.sh'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(s.home, '.claude/hooks/guard.sh'), 0o755);
  writeFileSync(join(s.home, '.claude/projects/-home-alice-web/session.jsonl'), '{"secret":"not read"}\n');
  writeFileSync(join(s.home, '.claude/CLAUDE.md'), `${readFileSync(join(s.home, '.claude/CLAUDE.md'), 'utf8')}\nPrefer pnpm in my own projects.\n`);
  return { agent, command, skill, script };
}

/** A value with each secret replaced by the reference the import made for it, as render shows references. */
function referenced(v: unknown, refs: Record<string, string>): unknown {
  return JSON.parse(JSON.stringify(v), (_k, x: unknown) => (typeof x === 'string' && refs[x] ? refs[x] : x));
}

describe('import', () => {
  it("makes alice's machine a user layer on a new branch that renders back every key, server and file, with no secret in it", async () => {
    const s = await setup();
    const files = await aliceMachine(s);
    const before = { head: s.git('rev-parse', 'HEAD').trim(), status: s.git('status', '--porcelain') };
    const r = await s.run(['--from-home', s.home, '--into', 'user:alice', ...TARGET.slice(0, 4), '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { branch: string; commit: string; base: string; secrets: Array<{ name: string; at: string; inherited?: boolean }>; proof: { equal: boolean; checked: number }; skipped: Array<{ path: string }>; not_expressed: unknown[] };
    assert.equal(out.branch, 'import/user-alice');
    assert.equal(out.base, before.head);
    assert.deepEqual(out.proof.equal, true);
    assert.deepEqual(out.not_expressed, []);
    // Claude Code's own state is listed, not imported.
    assert.ok(out.skipped.some((x) => x.path === 'projects'));
    assert.deepEqual(
      out.secrets.map((x) => [x.name, x.at, x.inherited ?? false]),
      [
        ['GITHUB_TOKEN', 'settings.env.GITHUB_TOKEN', false],
        ['DOCS_MCP_TOKEN', 'mcpServers.docs.headers.Authorization', true],
        ['SEARCH_API_KEY', 'mcpServers.search.env.SEARCH_API_KEY', false],
        ['TRACKER_AUTHORIZATION', 'mcpServers.tracker.headers.Authorization', false],
      ],
    );
    // The current branch, index and working tree are as they were.
    assert.deepEqual({ head: s.git('rev-parse', 'HEAD').trim(), status: s.git('status', '--porcelain') }, before);

    // Rendering the target at the branch gives back the machine.
    const rendered = await cli(['render', '--repo', s.repo, '--rev', out.branch, ...TARGET, '--outputs', '--json'], { env: s.env });
    assert.equal(rendered.code, 0, rendered.stderr);
    const outputs = JSON.parse(rendered.stdout) as Record<string, string>;
    const refs = { [GITHUB_TOKEN]: '«secret:env:GITHUB_TOKEN»', [DOCS]: '«secret:env:DOCS_MCP_TOKEN»', [SEARCH_API_KEY]: '«secret:env:SEARCH_API_KEY»', [HEADER_TOKEN]: '«secret:env:TRACKER_AUTHORIZATION»' };
    const settings = referenced(readJson(join(s.home, '.claude/settings.json')), refs) as Record<string, unknown>;
    const got = JSON.parse(outputs['.claude/settings.json']!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(got).sort(), Object.keys(settings).sort());
    for (const k of Object.keys(settings)) assert.deepEqual(got[k], settings[k], `settings.${k}`);
    const servers = referenced(readJson(join(s.home, '.claude.json')).mcpServers, refs) as Record<string, unknown>;
    const gotServers = (JSON.parse(outputs['.claude.json']!) as { mcpServers: Record<string, unknown> }).mcpServers;
    assert.deepEqual(Object.keys(gotServers).sort(), Object.keys(servers).sort());
    for (const k of Object.keys(servers)) assert.deepEqual(gotServers[k], servers[k], `mcpServers.${k}`);
    assert.equal(outputs['.claude/agents/reviewer.md'], files.agent);
    assert.equal(outputs['.claude/commands/git/commit.md'], files.command);
    assert.equal(outputs['.claude/skills/deploy-preview/SKILL.md'], files.skill);
    assert.equal(outputs['.claude/skills/deploy-preview/scripts/deploy.sh'], files.script);
    assert.match(s.git('ls-tree', out.branch, 'users/alice/files/skills/deploy-preview/scripts/deploy.sh'), /^100755 /, 'the script stays executable');
    assert.match(outputs['.claude/CLAUDE.md']!, /Prefer pnpm in my own projects\./);

    // The real Claude Code CLIs, oldest supported and newest, read what apply writes from the branch: `claude mcp list` shows the servers.
    const fresh = join(s.home, '..', 'fresh');
    mkdirSync(fresh);
    const onFresh = await cli(['apply', '--repo', s.repo, '--rev', out.branch, ...TARGET, '--home', fresh], { env: { ...s.env, HOME: fresh, GITHUB_TOKEN, SEARCH_API_KEY, TRACKER_AUTHORIZATION: HEADER_TOKEN } });
    assert.equal(onFresh.code, 0, onFresh.stderr);
    for (const release of ['oldest', 'newest'] as const) {
      const listed = await claudeMcpList(fresh, { release, timeoutMs: 120_000 });
      assert.deepEqual(listed.map((x) => x.name).sort(), Object.keys(servers).sort(), `claude mcp list (${release})`);
    }

    // The branch validates as any change would.
    const v = await cli(['validate', '--repo', s.repo, '--rev', out.branch], { env: s.env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    // No secret value in any document, output or log.
    const everything = [r.stdout, r.stderr, rendered.stdout, s.git('show', out.branch)].join('\n');
    for (const secret of [GITHUB_TOKEN, SEARCH_API_KEY, HEADER_TOKEN, DOCS, 'not read']) {
      assert.ok(!everything.includes(secret), `${secret.slice(0, 12)}… leaked`);
      // Nowhere in the branch's tree either (git grep: status 1 is "no match").
      assert.equal(spawnSync('git', ['-C', s.repo, 'grep', '-F', '-e', secret, out.branch, '--']).status, 1, `${secret.slice(0, 12)}… is in the branch`);
    }
  });

  it('--common over three homes of a team: the team layer is what they share, each user layer the rest, and each home renders back', async () => {
    const s = await setup();
    writeFileSync(join(s.repo, 'base/security/mcp.yml'), readFileSync(join(s.repo, 'base/security/mcp.yml'), 'utf8').replace('    - { name: docs }\n', '    - { name: docs }\n    - { name: search }\n'));
    s.git('commit', '-qam', 'allow the search server');
    const homes: string[] = [];
    const users = ['alice', 'bob', 'carol'];
    for (const user of users) {
      const home = join(s.home, '..', 'homes', user);
      mkdirSync(home, { recursive: true });
      const applied = await cli(['apply', '--repo', s.repo, '--env', 'development', '--team', 'frontend-team', '--user', user, '--home', home], { env: { ...s.env, HOME: home } });
      assert.equal(applied.code, 0, applied.stderr);
      const settingsFile = join(home, '.claude/settings.json');
      const settings = readJson(settingsFile);
      // Shared by all three: the model, a rule, a server, an agent.
      settings.model = 'opus';
      settings.permissions.allow.push('Bash(pnpm test:*)');
      // Each one's own.
      if (user === 'alice') settings.statusLine = { type: 'command', command: '~/.claude/statusline.sh' };
      if (user === 'bob') settings.env.PAGER = 'less -R';
      if (user === 'carol') settings.permissions.allow.push('Bash(make:*)');
      writeJson(settingsFile, settings);
      const stateFile = join(home, '.claude.json');
      const state = readJson(stateFile);
      state.mcpServers.search = { type: 'stdio', command: 'search-mcp', args: ['--stdio'], env: { SEARCH_API_KEY } };
      writeJson(stateFile, state);
      mkdirSync(join(home, '.claude/agents'), { recursive: true });
      writeFileSync(join(home, '.claude/agents/pairing.md'), '---\nname: pairing\ndescription: Pairs on a change\n---\nPair with me.\n');
      if (user === 'bob') writeFileSync(join(home, '.claude/agents/bob-notes.md'), '---\nname: bob-notes\n---\nBob only.\n');
      homes.push(home);
    }
    const r = await s.run(['--common', ...homes, '--into', 'team:frontend-team', '--env', 'development', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { branch: string; team: { documents: Array<{ path: string; content: string }>; files: Array<{ path: string }>; proof: { equal: boolean } }; users: Array<{ into: string; documents: Array<{ path: string; content: string }>; files: Array<{ path: string }>; proof: { equal: boolean }; not_expressed: unknown[] }> };
    assert.equal(out.branch, 'import/common-frontend-team');
    const teamDoc = out.team.documents.find((d) => d.path === 'teams/frontend-team/base-config.yml')!.content;
    assert.match(teamDoc, /model: opus/);
    assert.match(teamDoc, /- Bash\(pnpm test:\*\)/);
    assert.match(out.team.documents.find((d) => d.path === 'teams/frontend-team/mcp-preferences.yml')!.content, /search:\n[^]*SEARCH_API_KEY: !secret env:SEARCH_API_KEY/);
    assert.deepEqual(out.team.files.map((f) => f.path), ['teams/frontend-team/files/agents/pairing.md']);
    assert.ok(out.team.proof.equal);
    // Each user layer holds only that user's own: never what the team layer gives.
    const userDoc = (u: string): string => out.users.find((x) => x.into === `user:${u}`)!.documents[0]!.content;
    assert.match(userDoc('alice'), /statusLine:/);
    assert.match(userDoc('bob'), /PAGER: less -R/);
    assert.match(userDoc('carol'), /- Bash\(make:\*\)/);
    for (const u of users) {
      assert.doesNotMatch(userDoc(u), /^  model: opus$|pnpm test|^  search:$/m, `${u}'s layer repeats the team's`);
      const x = out.users.find((y) => y.into === `user:${u}`)!;
      assert.ok(x.proof.equal, `${u}: ${JSON.stringify(x)}`);
      assert.deepEqual(x.not_expressed, []);
    }
    assert.deepEqual(out.users.find((x) => x.into === 'user:bob')!.files.map((f) => f.path), ['users/bob/files/agents/bob-notes.md']);
    // Rendering each user's target at the branch gives back that home.
    for (const [i, user] of users.entries()) {
      const rendered = await cli(['render', '--repo', s.repo, '--rev', out.branch, '--env', 'development', '--team', 'frontend-team', '--user', user, '--outputs', '--json'], { env: s.env });
      assert.equal(rendered.code, 0, rendered.stderr);
      const outputs = JSON.parse(rendered.stdout) as Record<string, string>;
      const refs = { [SEARCH_API_KEY]: '«secret:env:SEARCH_API_KEY»', [DOCS]: '«secret:env:DOCS_MCP_TOKEN»' };
      assert.deepEqual(JSON.parse(outputs['.claude/settings.json']!), referenced(readJson(join(homes[i]!, '.claude/settings.json')), refs), `${user}'s settings`);
      assert.deepEqual((JSON.parse(outputs['.claude.json']!) as { mcpServers: unknown }).mcpServers, referenced(readJson(join(homes[i]!, '.claude.json')).mcpServers, refs), `${user}'s servers`);
      assert.equal(outputs['.claude/agents/pairing.md'], readFileSync(join(homes[i]!, '.claude/agents/pairing.md'), 'utf8'));
    }
    const v = await cli(['validate', '--repo', s.repo, '--rev', out.branch], { env: s.env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.ok(!r.stdout.includes(SEARCH_API_KEY) && !s.git('show', out.branch).includes(SEARCH_API_KEY));
  });

  it('--encrypt: secrets become !encrypted values for the repo\'s age recipients, which a machine with the identity applies', async () => {
    const s = await setup();
    const { identity, recipient } = await newIdentity();
    writeFileSync(join(s.repo, 'claude-env.yml'), readFileSync(join(s.repo, 'claude-env.yml'), 'utf8').replace('secrets:\n  commands_from: [base, environments]\n', `secrets:\n  commands_from: [base, environments]\n  age: { recipients: [${recipient}] }\n`));
    s.git('commit', '-qam', 'age recipients');
    const applied = await cli(['apply', '--repo', s.repo, ...TARGET, '--home', s.home], { env: s.env });
    assert.equal(applied.code, 0, applied.stderr);
    const settingsFile = join(s.home, '.claude/settings.json');
    const settings = readJson(settingsFile);
    settings.env.GITHUB_TOKEN = GITHUB_TOKEN;
    writeJson(settingsFile, settings);
    const r = await s.run(['--from-home', s.home, '--into', 'user:alice', ...TARGET.slice(0, 4), '--encrypt']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /secrets, now !encrypted values for the age recipients of claude-env\.yml/);
    const doc = s.git('show', 'import/user-alice:users/alice/overrides.yml');
    assert.match(doc, /GITHUB_TOKEN: !encrypted \|\n\s+-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.ok(!doc.includes(GITHUB_TOKEN) && !r.stdout.includes(GITHUB_TOKEN));
    assert.equal(spawnSync('git', ['-C', s.repo, 'grep', '-F', '-e', GITHUB_TOKEN, 'import/user-alice', '--']).status, 1);
    // A machine holding the identity gets the value back.
    const other = join(s.home, '..', 'other');
    mkdirSync(other);
    const idFile = join(s.home, '..', 'id.txt');
    writeFileSync(idFile, `${identity}\n`, { mode: 0o600 });
    const onOther = await cli(['apply', '--repo', s.repo, '--rev', 'import/user-alice', ...TARGET, '--home', other, '--identity', idFile], { env: { ...s.env, HOME: other } });
    assert.equal(onOther.code, 0, onOther.stderr);
    assert.equal(readJson(join(other, '.claude/settings.json')).env.GITHUB_TOKEN, GITHUB_TOKEN);
  });

  it("--from-project makes a project's .claude/ and .mcp.json the project layer, proved for a target of the project", async () => {
    const s = await setup();
    writeFileSync(join(s.repo, 'base/security/mcp.yml'), readFileSync(join(s.repo, 'base/security/mcp.yml'), 'utf8').replace('    - { name: docs }\n', '    - { name: docs }\n    - { name: storybook }\n'));
    s.git('commit', '-qam', 'allow the storybook server');
    const project = join(s.home, 'web');
    const target = ['--env', 'development', '--team', 'frontend-team', '--project', 'web-application'];
    // What the project has today: the layers below (the repo's project layer emptied) give the rest.
    mkdirSync(join(project, '.claude/commands'), { recursive: true });
    writeFileSync(join(project, '.claude/settings.json'), `${JSON.stringify({ permissions: { allow: ['Bash(npm run storybook)'] }, env: { STORYBOOK_PORT: '6006' } }, null, 2)}\n`);
    writeFileSync(join(project, '.mcp.json'), `${JSON.stringify({ mcpServers: { storybook: { type: 'stdio', command: 'storybook-mcp', args: ['--port', '6006'] } } }, null, 2)}\n`);
    writeFileSync(join(project, '.claude/commands/story.md'), '---\ndescription: Write a story\n---\nWrite a Storybook story for $ARGUMENTS\n');
    writeFileSync(join(project, 'CLAUDE.md'), 'Components live in src/components.\n');
    const r = await s.run(['--from-project', project, '--into', 'project:web-application', ...target, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { documents: Array<{ path: string; content: string }>; files: Array<{ path: string }>; proof: { differing: Array<{ path: string }> } };
    const doc = out.documents.find((d) => d.path === 'projects/web-application/claude-config.yml')!.content;
    assert.match(doc, /storybook:\n\s+type: stdio\n\s+command: storybook-mcp/);
    assert.match(doc, /STORYBOOK_PORT: "6006"|STORYBOOK_PORT: '6006'/);
    assert.match(doc, /Components live in src\/components\./);
    assert.deepEqual(out.files.map((f) => f.path), ['projects/web-application/files/commands/story.md']);
    // Every key, list item, server and file the project sets renders back (the rest comes from the layers below).
    assert.deepEqual(out.proof.differing, []);
  });

  it('--into base: a reference machine becomes the base under every other layer, each server a document of its own, what the others rely on kept', async () => {
    const s = await setup();
    writeFileSync(join(s.repo, 'base/security/mcp.yml'), readFileSync(join(s.repo, 'base/security/mcp.yml'), 'utf8').replace('    - { name: docs }\n', '    - { name: docs }\n    - { name: search }\n'));
    s.git('commit', '-qam', 'allow the search server');
    const applied = await cli(['apply', '--repo', s.repo, '--env', 'development', '--home', s.home], { env: s.env });
    assert.equal(applied.code, 0, applied.stderr);
    // The reference machine: no memory server, a search server of its own, a status line, one more allow rule
    const state = readJson(join(s.home, '.claude.json'));
    delete state.mcpServers.memory;
    state.mcpServers.search = { type: 'stdio', command: 'search-mcp', args: ['--stdio'], env: { REGION: 'eu' } };
    writeJson(join(s.home, '.claude.json'), state);
    const settings = readJson(join(s.home, '.claude/settings.json'));
    settings.statusLine = { type: 'command', command: '~/.claude/statusline.sh' };
    settings.permissions.allow.push('Bash(make:*)');
    writeJson(join(s.home, '.claude/settings.json'), settings);

    const r = await s.run(['--from-home', s.home, '--into', 'base', '--env', 'development', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { into: string; branch: string; proof: { equal: boolean }; not_expressed: unknown[]; documents: Array<{ path: string }> };
    assert.deepEqual([out.into, out.branch, out.proof.equal, out.not_expressed], ['base', 'import/base', true, []]);
    assert.deepEqual(out.documents.map((d) => d.path).sort(), ['base/config.yml', 'base/mcp/memory.yml', 'base/mcp/search.yml']);
    const config = s.git('show', 'import/base:base/config.yml');
    // Only what differs changed: the seed's comments stay, and so does what the environment above overrides for
    // development (its defaultMode), which production still takes from the base
    assert.match(config, /^# base\/config\.yml: the foundation every developer gets/);
    assert.match(config, /defaultMode: default/);
    assert.match(config, /## How we work/);
    assert.match(config, /statusLine:\n {4}type: command\n {4}command: ~\/\.claude\/statusline\.sh/);
    // The machine's own allow rule joins the base's; the development environment's own rules stay its own
    assert.match(config, / {6}- mcp__docs\n {6}- Bash\(make:\*\)\n/);
    assert.doesNotMatch(config, /docker compose/);
    assert.match(s.git('show', 'import/base:base/mcp/memory.yml'), /^enabled: false$/m, 'the base keeps its memory server for the others, off');
    assert.match(s.git('show', 'import/base:base/mcp/search.yml'), /command: search-mcp/);
    // The docs server, already as the machine has it, is untouched
    assert.equal(s.git('show', 'import/base:base/mcp/docs.yml'), s.git('show', 'HEAD:base/mcp/docs.yml'));
  });

  it('shows the documents with --dry-run and makes no branch', async () => {
    const s = await setup();
    await aliceMachine(s);
    const before = repoState(s);
    const r = await s.run(['--from-home', s.home, '--into', 'user:alice', ...TARGET.slice(0, 4), '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^import into user:alice \(dry run: no branch made\), proved for development\/frontend-team\/alice\n/);
    assert.match(r.stdout, /--- users\/alice\/overrides\.yml\n/);
    assert.match(r.stdout, /GITHUB_TOKEN: !secret env:GITHUB_TOKEN/);
    assert.match(r.stdout, /proof: rendering the target gives back all \d+ settings keys, MCP servers and files of the machine/);
    assert.ok(!r.stdout.includes(GITHUB_TOKEN));
    assert.deepEqual(repoState(s), before);
  });

  describe('refuses bad input, naming the file, and leaves the repo as it was', () => {
    const cases: Array<{ name: string; prepare(s: Setup): string[]; message: RegExp }> = [
      { name: 'a home that cannot be read', prepare: (s) => ['--from-home', join(s.home, 'missing')], message: /cannot read the home .*missing: ENOENT/ },
      {
        name: 'a settings.json that does not parse',
        prepare: (s) => {
          mkdirSync(join(s.home, '.claude'), { recursive: true });
          writeFileSync(join(s.home, '.claude/settings.json'), '{\n  "model": "opus",\n}\n');
          return ['--from-home', s.home];
        },
        message: /\.claude\/settings\.json:3:1 {2}unparsable-file {2}.*settings\.json is not valid JSON/,
      },
      {
        name: 'an .mcp.json with an unknown transport',
        prepare: (s) => {
          const project = join(s.home, 'web');
          mkdirSync(project, { recursive: true });
          writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { live: { type: 'websocket', url: 'wss://x.example.com' } } }));
          return ['--from-project', project];
        },
        message: /\.mcp\.json {2}unparsable-file {2}.*mcpServers\.live has the transport "websocket"; Claude Code's are stdio, http and sse/,
      },
      {
        name: 'a secret outside env and headers (a token in a hook script): nothing is written, not even to git\'s objects',
        prepare: (s) => {
          mkdirSync(join(s.home, '.claude/hooks'), { recursive: true });
          writeFileSync(join(s.home, '.claude/hooks/notify.sh'), `#!/bin/sh\ncurl -H "Authorization: token ${GITHUB_TOKEN}" https://api.github.com/notifications\n`);
          return ['--from-home', s.home];
        },
        message: /secret-detected {2}what would be imported holds a secret \(.*\) at users\/alice\/files\/hooks\/notify\.sh:2, outside env and headers/,
      },
      {
        name: 'a file whose name is not a file name',
        prepare: (s) => {
          mkdirSync(join(s.home, '.claude/agents'), { recursive: true });
          writeFileSync(join(s.home, '.claude/agents/re\u0007viewer.md'), '---\nname: x\n---\n');
          return ['--from-home', s.home];
        },
        message: /agents\/re.viewer\.md {2}invalid-name {2}.*has a control character in its name/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const s = await setup();
        const args = c.prepare(s);
        const before = repoState(s);
        const objects = s.git('count-objects', '-v');
        const r = await s.run([...args, '--into', 'user:alice']);
        assert.equal(r.code, c.name.startsWith('a secret') ? 1 : 2, r.stdout + r.stderr);
        assert.match(r.stderr, c.message);
        assert.deepEqual(repoState(s), before);
        if (c.name.startsWith('a secret')) {
          assert.ok(!r.stderr.includes(GITHUB_TOKEN));
          // Only the (secret-free) commit of the layers below may have been made.
          const grep = spawnSync('sh', ['-c', `git -C "${s.repo}" cat-file --batch-all-objects --batch | grep -c -F "${GITHUB_TOKEN}"`], { encoding: 'utf8' });
          assert.equal(grep.stdout.trim(), '0', `the secret is in git's objects (${objects.split('\n')[0]})`);
        }
      });
    }
  });
});
