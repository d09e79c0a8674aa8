/**
 * The configuration a real team has (test/fixtures/claude-code-corpus: a
 * settings.json with hooks, status line, sandbox, permissions and env; MCP
 * servers over stdio, http and sse with env, headers, headersHelper and
 * oauth; agents and commands with every front-matter field Claude Code
 * documents and some it does not; namespaced commands; a command without
 * front matter; a skill with a script), written into a config repo as its
 * author would: validate finds nothing, render gives every file back exactly,
 * and apply over a home that already holds those very files changes nothing
 * and leaves no drift.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { ROOT, cli, tempDir } from './helpers.js';

const CORPUS = join(ROOT, 'test', 'fixtures', 'claude-code-corpus');
const tmp = tempDir();
after(() => tmp.cleanup());

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();

/** A Markdown file as its author wrote it: the front matter's fields in order, and the body, byte for byte. */
function markdown(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) return { prompt: text };
  return { ...(parse(m[1]!) as Record<string, unknown>), prompt: text.slice(m[0].length) };
}

const write = (dir: string, path: string, text: string): void => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

const target = ['--env', 'development', '--team', 'core', '--user', 'dev', '--project', 'app'];
let repo: string;

before(() => {
  repo = join(tmp.dir, 'repo');
  write(repo, 'claude-env.yml', 'version: 1\nenvironments: [development]\n');
  write(repo, 'base/config.yml', '{}\n');
  write(repo, 'teams/core/members.yml', '- { user: dev, role: developer, projects: [app] }\n');
  // Settings and MCP servers are JSON, and JSON is YAML: the project layer holds them as they are.
  const settings = JSON.parse(readFileSync(join(CORPUS, 'settings.json'), 'utf8')) as unknown;
  const { mcpServers } = JSON.parse(readFileSync(join(CORPUS, 'mcp.json'), 'utf8')) as { mcpServers: unknown };
  write(repo, 'projects/app/claude-config.yml', `${JSON.stringify({ settings, mcpServers }, null, 2)}\n`);
  const personas: Record<string, unknown> = {};
  for (const f of files(join(CORPUS, 'agents'))) personas[f.replace(/\.md$/, '')] = markdown(join(CORPUS, 'agents', f));
  write(repo, 'teams/core/personas.yml', `${JSON.stringify(personas, null, 2)}\n`);
  const workflows: Record<string, unknown> = {};
  for (const f of files(join(CORPUS, 'commands'))) workflows[f.replace(/\.md$/, '')] = markdown(join(CORPUS, 'commands', f));
  write(repo, 'teams/core/workflows.yml', `${JSON.stringify(workflows, null, 2)}\n`);
  // Skills are files: a layer's files/ folder, modes kept.
  cpSync(join(CORPUS, 'skills'), join(repo, 'teams/core/files/skills'), { recursive: true });
});

describe('a real-world Claude Code setup in a config repo', () => {
  it('validates with no finding at all', async () => {
    const r = await cli(['validate', '--repo', repo]);
    assert.equal(r.stdout.trim(), 'no findings', r.stdout);
    assert.equal(r.code, 0);
  });

  it('renders every file back exactly: settings and servers equal as JSON, agents, commands and skills byte for byte', async () => {
    const r = await cli(['render', '--outputs', '--json', '--repo', repo, ...target]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    assert.deepEqual(JSON.parse(out['.claude/settings.json']!), JSON.parse(readFileSync(join(CORPUS, 'settings.json'), 'utf8')));
    assert.deepEqual(JSON.parse(out['.claude.json']!), JSON.parse(readFileSync(join(CORPUS, 'mcp.json'), 'utf8')));
    const markdownFiles = [...files(join(CORPUS, 'agents')).map((f) => `agents/${f}`), ...files(join(CORPUS, 'commands')).map((f) => `commands/${f}`), ...files(join(CORPUS, 'skills')).map((f) => `skills/${f}`)];
    assert.equal(markdownFiles.length, 7);
    for (const f of markdownFiles) assert.equal(out[`.claude/${f}`], readFileSync(join(CORPUS, f), 'utf8'), `.claude/${f}`);
  });

  it("applies over a home that already holds the same files without a conflict or a change, and drift finds nothing", async () => {
    const home = join(tmp.dir, 'home');
    for (const f of ['agents', 'commands', 'skills']) cpSync(join(CORPUS, f), join(home, '.claude', f), { recursive: true });
    cpSync(join(CORPUS, 'settings.json'), join(home, '.claude/settings.json'));
    // .claude.json as Claude Code writes it: two-space JSON, no final newline.
    writeFileSync(join(home, '.claude.json'), JSON.stringify(JSON.parse(readFileSync(join(CORPUS, 'mcp.json'), 'utf8')), null, 2));
    const env = { HOME: home, PATH: process.env['PATH'] };
    // The one change: CLAUDE.md, which the home lacks (the repo gives no instructions, so its block is empty).
    const diff = await cli(['diff', '--repo', repo, ...target, '--home', home], { env });
    assert.deepEqual([...diff.stdout.matchAll(/^\+\+\+ b\/(.*)$/gm)].map((m) => m[1]), ['.claude/CLAUDE.md'], diff.stdout + diff.stderr);
    const apply = await cli(['apply', '--repo', repo, ...target, '--home', home, '--json'], { env });
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    for (const f of files(CORPUS).filter((f) => !f.endsWith('.json'))) assert.equal(readFileSync(join(home, '.claude', f), 'utf8'), readFileSync(join(CORPUS, f), 'utf8'), f);
    assert.equal(statSync(join(home, '.claude/skills/release-notes/scripts/collect.sh')).mode & 0o777, 0o755);
    const drift = await cli(['drift', '--repo', repo, ...target, '--home', home, '--json'], { env });
    assert.equal(drift.code, 0, drift.stdout);
    assert.deepEqual((JSON.parse(drift.stdout) as { items: unknown[] }).items, []);
  });
});

// The script keeps its mode in the fixture even where a checkout loses it.
chmodSync(join(CORPUS, 'skills/release-notes/scripts/collect.sh'), 0o755);
