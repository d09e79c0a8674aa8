/**
 * `render` and `explain` as a user runs them: the merged tree in YAML and
 * JSON, the native files, provenance, the JSON shapes of SPEC.md, a git
 * revision with --rev, the target from the machine identity, and the
 * machine's own local-overrides layer.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const repo = fixture('merge-rules');
const ann = ['--repo', repo, '--env', 'development', '--team', 'web', '--project', 'shop', '--user', 'ann'];

describe('render', () => {
  it('prints the merged tree as YAML by default and as JSON with --format json', async () => {
    const y = await cli(['render', ...ann]);
    assert.equal(y.code, 0);
    assert.match(y.stdout, /^settings:\n  companyTipsEnabled: "?yes"?\n  permissions:\n    allow:\n      - Bash\(npm run test:\*\)/);
    const j = await cli(['render', ...ann, '--format', 'json']);
    const tree = JSON.parse(j.stdout) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(tree).sort(), ['files', 'instructions', 'mcpServers', 'personas', 'security', 'settings', 'workflows']);
    assert.equal(tree['settings']!['model'], 'haiku');
    assert.match(j.stderr, /projects\/shop\/claude-config\.yml:4:23  warning  merge-type-change/);
  });

  it('annotates every leaf with its origin with --explain', async () => {
    const y = await cli(['render', ...ann, '--explain']);
    assert.match(y.stdout, /  model: haiku # user users\/ann\/overrides\.yml:2:10\n/);
    assert.match(y.stdout, /      - Bash\(git status\) # team teams\/web\/base-config\.yml:5:9\n/);
    const j = await cli(['render', ...ann, '--explain', '--json']);
    const { provenance } = JSON.parse(j.stdout) as { provenance: Record<string, unknown> };
    assert.deepEqual(provenance['settings.permissions.defaultMode'], { layer: 'environment', file: 'environments/development/config.yml', line: 3, column: 18 });
    assert.deepEqual(provenance['workflows.release.steps.1.name'], { layer: 'project', file: 'projects/shop/claude-config.yml', line: 15, column: 15 });
  });

  it('renders the native Claude Code files with --outputs', async () => {
    const r = await cli(['render', ...ann, '--outputs', '--json']);
    assert.equal(r.code, 0);
    const files = JSON.parse(r.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(files), [
      '.claude.json',
      '.claude/CLAUDE.md',
      '.claude/agents/reviewer.md',
      '.claude/commands/release.md',
      '.claude/hooks/fmt.sh',
      '.claude/notes.md',
      '.claude/settings.json',
    ]);
    assert.deepEqual(JSON.parse(files['.claude.json']!), {
      mcpServers: { docs: { type: 'http', url: 'https://mcp.example.com/mcp' }, memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { MEMORY_FILE_PATH: '/tmp/web-memory.json' } } },
    });
    assert.equal(JSON.parse(files['.claude/settings.json']!).permissions.defaultMode, 'acceptEdits');
    assert.equal(files['.claude/CLAUDE.md'], '<!-- claude-env:begin -->\nBase paragraph.\n\nDevelopment paragraph.\n\nWeb team paragraph.\n\nShop paragraph.\n<!-- claude-env:end -->\n');
    assert.equal(files['.claude/agents/reviewer.md'], '---\nname: reviewer\ndescription: Reviews code for defects\ntools: Read, Grep\nmodel: opus\n---\nYou review code.\n');
    assert.equal(
      files['.claude/commands/release.md'],
      '---\ndescription: Cut a release\n---\n\nUse the reviewer subagent for this task.\n\nRelease the current branch.\n\n1. **test**: Run all the tests.\n2. **publish**: Publish the package.\n',
    );
    assert.equal(files['.claude/notes.md'], 'web notes\n');
  });

  it('reads a git revision with --rev, not the working tree', async () => {
    const dir = join(tmp.dir, 'git-repo');
    cpSync(repo, dir, { recursive: true });
    const git = (...a: string[]): string => execFileSync('git', ['-C', dir, ...a], { env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).toString().trim();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'one');
    writeFileSync(join(dir, 'users/ann/overrides.yml'), 'settings:\n  model: opus\n');
    git('commit', '-qam', 'two');
    writeFileSync(join(dir, 'users/ann/overrides.yml'), 'settings:\n  model: fable\n');
    const explainAt = async (rev?: string): Promise<unknown> =>
      JSON.parse((await cli(['explain', 'settings.model', ...ann, '--repo', dir, ...(rev ? ['--rev', rev] : []), '--json'])).stdout).value;
    assert.equal(await explainAt(), 'fable');
    assert.equal(await explainAt('HEAD'), 'opus');
    assert.equal(await explainAt('HEAD~1'), 'haiku');
    const files = JSON.parse((await cli(['render', ...ann, '--repo', dir, '--rev', 'HEAD~1', '--outputs', '--json'])).stdout) as Record<string, string>;
    assert.equal(files['.claude/hooks/fmt.sh'], '#!/bin/sh\nexec prettier --write "$1"\n');
    const bad = await cli(['render', ...ann, '--repo', dir, '--rev', 'no-such-rev']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown revision "no-such-rev"/);
  });

  it('takes the target from the machine identity, and the local-overrides layer from the home', async () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(join(home, '.claude-env'), { recursive: true });
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(join(home, '.claude-env', 'identity.json'), JSON.stringify({ env: 'development', team: 'web', project: 'shop', user: 'ann' }));
    writeFileSync(join(home, '.claude', 'local-overrides.yml'), 'settings:\n  env:\n    EDITOR: emacs\n');
    const r = await cli(['explain', 'settings.env.EDITOR', '--repo', repo, '--json'], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { value: string; winner: { layer: string; file: string; line: number; column: number } };
    assert.equal(e.value, 'emacs');
    assert.deepEqual(e.winner, { layer: 'user_local', file: join(home, '.claude', 'local-overrides.yml'), line: 3, column: 13 });
  });
});

describe('document cache', () => {
  it('answers the same from the cache, sees a changed file at once, and is not used when off', async () => {
    const dir = join(tmp.dir, 'cached');
    cpSync(repo, dir, { recursive: true });
    const cache = join(tmp.dir, 'cache');
    const env = { HOME: tmp.dir, CLAUDE_ENV_CACHE: cache };
    const args = ['explain', 'settings.model', ...ann, '--repo', dir, '--json'];
    const first = await cli(args, { env });
    assert.ok(readdirSync(cache).length > 0, 'the first run fills the cache');
    const second = await cli(args, { env });
    assert.equal(second.stdout, first.stdout);
    writeFileSync(join(dir, 'users/ann/overrides.yml'), 'settings:\n  model: opus\n');
    assert.equal((JSON.parse((await cli(args, { env })).stdout) as { value: string }).value, 'opus');
    const off = join(tmp.dir, 'no-cache-home');
    mkdirSync(off);
    await cli(args, { env: { HOME: off, CLAUDE_ENV_CACHE: 'off' } });
    assert.deepEqual(readdirSync(off), []);
  });
});

describe('explain', () => {
  it('prints the JSON shape of SPEC.md', async () => {
    const r = await cli(['explain', 'settings.model', ...ann, '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), {
      key: 'settings.model',
      value: 'haiku',
      winner: { layer: 'user', file: 'users/ann/overrides.yml', line: 2, column: 10 },
      layers: [
        { layer: 'base', file: 'base/config.yml', line: 2, column: 10, value: 'sonnet', effect: 'set' },
        { layer: 'project', file: 'projects/shop/claude-config.yml', line: 2, column: 10, value: '!delete', effect: 'delete' },
        { layer: 'user', file: 'users/ann/overrides.yml', line: 2, column: 10, value: 'haiku', effect: 'set' },
      ],
    });
  });

  it('prints a readable table with the winner marked', async () => {
    const r = await cli(['explain', 'settings.model', ...ann]);
    assert.equal(
      r.stdout,
      [
        'settings.model = "haiku"',
        '  winner: user  users/ann/overrides.yml:2:10',
        '  base             base/config.yml:2:10                             set            "sonnet"',
        '  project          projects/shop/claude-config.yml:2:10             delete         "!delete"',
        '  user             users/ann/overrides.yml:2:10                     set            "haiku"  ◀ winner',
        '',
      ].join('\n'),
    );
  });
});
