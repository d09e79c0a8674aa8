/** Files shared with the user and with Claude Code: the user's part always survives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnparsableFileError, mergeClaudeJson, mergeClaudeMd, mergeSettingsJson } from './shared-files.js';

describe('settings.json', () => {
  it("keeps keys the user added, sets every rendered leaf, and drops leaves it wrote before and no longer renders", () => {
    const actual = JSON.stringify({ theme: 'dark', permissions: { allow: ['Old'], additionalDirectories: ['/mine'] }, model: 'opus', env: { A: '1' } });
    const r = mergeSettingsJson(JSON.stringify({ permissions: { allow: ['Read(./src/**)'] }, env: { B: '2' } }), actual, ['permissions.allow', 'model', 'env.A']);
    assert.deepEqual(JSON.parse(r.content), { theme: 'dark', permissions: { allow: ['Read(./src/**)'], additionalDirectories: ['/mine'] }, env: { B: '2' } });
    assert.deepEqual(r.owned, ['permissions.allow', 'env.B']);
    assert.ok(r.content.endsWith('}\n'));
  });

  it('refuses a file the user broke, unless asked to repair it', () => {
    assert.throws(() => mergeSettingsJson('{"model":"opus"}', '{"model": ', []), UnparsableFileError);
    assert.deepEqual(JSON.parse(mergeSettingsJson('{"model":"opus"}', '{"model": ', [], true).content), { model: 'opus' });
  });
});

describe('.claude.json', () => {
  it("changes only claude-env's servers and keeps every other key, in order, written like Claude Code (no trailing newline)", () => {
    const actual = JSON.stringify({ numStartups: 3, mcpServers: { mine: { type: 'stdio', command: 'x' }, old: { command: 'y' } }, projects: { '/p': { hasTrustDialogAccepted: true } }, userID: 'u' }, null, 2);
    const r = mergeClaudeJson(JSON.stringify({ mcpServers: { memory: { type: 'stdio', command: 'npx', args: [] } } }), actual, ['old']);
    assert.equal(r.content, JSON.stringify({ numStartups: 3, mcpServers: { mine: { type: 'stdio', command: 'x' }, memory: { type: 'stdio', command: 'npx', args: [] } }, projects: { '/p': { hasTrustDialogAccepted: true } }, userID: 'u' }, null, 2));
    assert.deepEqual(r.owned, ['memory']);
  });

  it('never writes over a .claude.json that does not parse', () => {
    assert.throws(() => mergeClaudeJson('{"mcpServers":{}}', '{"oauthAccount": {', []), UnparsableFileError);
  });
});

describe('CLAUDE.md', () => {
  const block = '<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n';
  it('replaces only the managed block and keeps the text around it', () => {
    const actual = '# Mine\n\n<!-- claude-env:begin -->\nOld.\n<!-- claude-env:end -->\n\nMy notes.\n';
    assert.equal(mergeClaudeMd(block, actual).content, '# Mine\n\n<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n\nMy notes.\n');
  });
  it("appends the block to a user's file that has none, after a blank line", () => {
    assert.equal(mergeClaudeMd(block, '# Mine').content, `# Mine\n\n${block}`);
    assert.equal(mergeClaudeMd(block, undefined).content, block);
  });
});
