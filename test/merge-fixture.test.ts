/**
 * The hand-written fixture repo test/fixtures/repos/merge-rules holds one of
 * each merge rule and edge case; these tests pin the exact merged tree and
 * where chosen values came from.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repo } from '../src/repo/repo.js';
import { worktreeSource } from '../src/blocking/sources.js';
import { mergeTarget } from '../src/merge/target.js';
import { explain } from '../src/merge/explain.js';
import { originAt, toPlain, type TreeMap, type Value } from '../src/provenance/tree.js';
import { fixture } from './helpers.js';

const repo = new Repo(worktreeSource(fixture('merge-rules')));
const ann = { env: 'development', team: 'web', project: 'shop', user: 'ann' };

/** `file:line:col` of the value at a path of a merged tree. */
function at(tree: TreeMap, ...path: (string | number)[]): string {
  let cur: Value = tree;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string, Value>)[seg as string] ?? (cur as Value[])[seg as number]!;
  const o = originAt(cur as object, path[path.length - 1]!);
  assert.ok(o, `no origin at ${path.join('.')}`);
  return `${o.file}:${o.line}:${o.column}`;
}

describe('merge of the merge-rules fixture', () => {
  it('gives the exact merged tree for a developer with a project and a user layer', () => {
    const { tree } = mergeTarget(repo, ann);
    assert.deepEqual(toPlain(tree), {
      settings: {
        companyTipsEnabled: 'yes',
        permissions: {
          allow: ['Bash(npm run test:*)', 'Read(./src/**)', 'Bash(git status)', 'Bash(npm run build)'],
          deny: ['Read(./.env)'],
          defaultMode: 'acceptEdits',
        },
        env: { LOG_LEVEL: 'debug', REGION: 'eu', TEAM_ENV: 'dev-web', EDITOR: 'vim' },
        hooks: {
          PreToolUse: [
            { matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'fmt.sh' }] },
            { matcher: 'Bash', hooks: [{ type: 'command', command: 'guard.sh' }] },
          ],
          SessionStart: [{ hooks: [{ type: 'command', command: 'hello.sh' }] }, { hooks: [{ type: 'command', command: 'hello.sh' }] }],
        },
        model: 'haiku',
      },
      instructions: ['Base paragraph.', 'Development paragraph.', 'Web team paragraph.', 'Shop paragraph.'],
      mcpServers: {
        docs: { type: 'http', url: 'https://mcp.example.com/mcp', enabled: true },
        memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { MEMORY_FILE_PATH: '/tmp/web-memory.json' } },
      },
      personas: { reviewer: { description: 'Reviews code for defects', tools: 'Read, Grep', model: 'opus', prompt: 'You review code.\n' } },
      security: { permissions: { required_deny: ['Read(./.env)'] } },
      files: { 'hooks/fmt.sh': 'base/files/hooks/fmt.sh', 'notes.md': 'teams/web/files/notes.md' },
      workflows: {
        release: {
          description: 'Cut a release',
          persona: 'reviewer',
          prompt: 'Release the current branch.',
          steps: [
            { name: 'test', prompt: 'Run all the tests.' },
            { name: 'publish', prompt: 'Publish the package.' },
          ],
        },
      },
    });
  });

  it('records where chosen leaves came from, file:line:col', () => {
    const { tree } = mergeTarget(repo, ann);
    assert.equal(at(tree, 'settings', 'model'), 'users/ann/overrides.yml:2:10');
    assert.equal(at(tree, 'settings', 'permissions', 'defaultMode'), 'environments/development/config.yml:3:18');
    assert.equal(at(tree, 'settings', 'permissions', 'allow', 2), 'teams/web/base-config.yml:5:9');
    assert.equal(at(tree, 'settings', 'env', 'REGION'), 'base/config.yml:13:13', 'null keeps the parent, and its origin');
    assert.equal(at(tree, 'settings', 'env', 'TEAM_ENV'), 'environments/development/teams.yml:4:17');
    assert.equal(at(tree, 'workflows', 'release', 'steps', 0, 'prompt'), 'projects/shop/claude-config.yml:14:17');
    assert.equal(at(tree, 'workflows', 'release', 'steps', 0, 'name'), 'teams/web/workflows.yml:6:13');
    assert.equal(at(tree, 'mcpServers', 'memory', 'env', 'MEMORY_FILE_PATH'), 'teams/web/mcp-preferences.yml:3:23');
    assert.equal(at(tree, 'files', 'notes.md'), 'teams/web/files/notes.md:1:1', 'the higher layer wins a files/ path');
    assert.equal(originAt((tree['settings'] as TreeMap)['env'] as object, 'EDITOR')?.layer, 'user');
  });

  it('keeps the parent map when a layer sets null over it', () => {
    const { tree } = mergeTarget(repo, { env: 'development', team: 'web', user: 'bob' });
    const settings = tree['settings'] as TreeMap;
    assert.deepEqual(toPlain(settings['statusLine']), { type: 'command', command: 'status.sh' });
    assert.equal(at(tree, 'settings', 'statusLine', 'command'), 'base/config.yml:24:14');
  });

  it('removes a whole inherited map with !delete, and a scalar that a higher layer then sets again', () => {
    const { tree } = mergeTarget(repo, ann);
    assert.equal(Object.hasOwn(tree['settings'] as TreeMap, 'statusLine'), false);
    const withoutUser = mergeTarget(repo, { env: 'development', team: 'web', project: 'shop' }).tree;
    assert.equal(Object.hasOwn(withoutUser['settings'] as TreeMap, 'model'), false);
  });

  it('drops duplicate objects from a unique list and keeps first positions', () => {
    const hooks = ((mergeTarget(repo, ann).tree['settings'] as TreeMap)['hooks'] as TreeMap)['PreToolUse'] as Value[];
    assert.equal(hooks.length, 2);
    assert.equal(at(mergeTarget(repo, ann).tree, 'settings', 'hooks', 'PreToolUse', 0), 'base/config.yml:16:9');
  });

  it('warns when a value is replaced by one of another type, naming both places', () => {
    const { findings } = mergeTarget(repo, ann);
    assert.deepEqual(findings, [
      {
        rule: 'merge-type-change',
        severity: 'warning',
        file: 'projects/shop/claude-config.yml',
        line: 4,
        column: 23,
        message: 'settings.companyTipsEnabled: a string replaces the boolean inherited from base/config.yml:3:23',
      },
    ]);
  });

  it('takes environment values from the target environment only', () => {
    const { tree } = mergeTarget(repo, { env: 'production', team: 'web', user: 'bob' });
    const settings = tree['settings'] as TreeMap;
    assert.equal(settings['model'], 'opus');
    assert.equal((settings['permissions'] as TreeMap)['defaultMode'], 'default');
    assert.equal(((tree['mcpServers'] as TreeMap)['docs'] as TreeMap)['enabled'], false);
  });
});

describe('explain', () => {
  it("lists each layer's value for a key in order, with the effect and the winner", () => {
    const e = explain(repo, ann, 'settings.model');
    assert.equal(e.value, 'haiku');
    assert.deepEqual(e.winner, { layer: 'user', file: 'users/ann/overrides.yml', line: 2, column: 10 });
    assert.deepEqual(
      e.layers.map((l) => [l.layer, `${l.file}:${l.line}:${l.column}`, l.effect, l.value]),
      [
        ['base', 'base/config.yml:2:10', 'set', 'sonnet'],
        ['project', 'projects/shop/claude-config.yml:2:10', 'delete', '!delete'],
        ['user', 'users/ann/overrides.yml:2:10', 'set', 'haiku'],
      ],
    );
  });

  it('shows the list strategy and a null that keeps the parent', () => {
    const allow = explain(repo, ann, 'settings.permissions.allow');
    assert.deepEqual(allow.layers.map((l) => l.effect), ['unique', 'unique', 'unique']);
    const region = explain(repo, ann, 'settings.env.REGION');
    assert.deepEqual(region.layers.map((l) => l.effect), ['set', 'null (keeps the parent value)']);
    assert.equal(region.winner?.file, 'base/config.yml');
  });

  it('shows an ancestor deleted by a higher layer', () => {
    const e = explain(repo, ann, 'settings.statusLine.command');
    assert.equal(e.value, null);
    assert.equal(e.winner, null);
    assert.deepEqual(e.layers.map((l) => [l.layer, l.effect]), [
      ['base', 'set'],
      ['project', 'delete (removes settings.statusLine)'],
    ]);
  });
});
