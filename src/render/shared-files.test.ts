/** Files shared with the user and with Claude Code: the user's part always survives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnparsableFileError, mergeClaudeJson, mergeClaudeMd, mergeSettingsJson, takeBackClaudeMd, takeBackMcpServers, takeBackSettingsJson } from './shared-files.js';

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

describe('rollback of a shared file someone changed since', () => {
  it("settings.json: takes out the keys claude-env owns now, puts back the ones it owned then, keeps the user's keys in place", () => {
    const saved = `${JSON.stringify({ model: 'opus', theme: 'dark' }, null, 2)}\n`;
    const now = JSON.stringify({ model: 'haiku', theme: 'dark', permissions: { defaultMode: 'acceptEdits', additionalDirectories: ['/data'] }, voice: true }, null, 2);
    const r = takeBackSettingsJson(now, saved, ['model', 'permissions.defaultMode'], ['model']);
    assert.equal(r.content, `${JSON.stringify({ model: 'opus', theme: 'dark', permissions: { additionalDirectories: ['/data'] }, voice: true }, null, 2)}\n`);
    assert.deepEqual([r.takenOut, r.putBack, r.empty], [['permissions.defaultMode'], ['model'], false]);
  });

  it("settings.json: gives a key claude-env took over back the user's value it had at the restore point", () => {
    const r = takeBackSettingsJson(JSON.stringify({ model: 'haiku', env: { A: 'ours', B: 'theirs' } }), JSON.stringify({ model: 'opus', env: { A: 'mine' } }), ['model', 'env.A'], []);
    assert.deepEqual(JSON.parse(r.content), { model: 'opus', env: { A: 'mine', B: 'theirs' } });
  });

  it('settings.json: a file holding only what claude-env wrote is empty afterwards', () => {
    const r = takeBackSettingsJson(JSON.stringify({ permissions: { allow: ['Read'] } }), undefined, ['permissions.allow'], []);
    assert.deepEqual([r.content, r.empty], ['{}\n', true]);
  });

  it('settings.json: leaves the file byte for byte when claude-env owns nothing in it', () => {
    const now = '{"theme":"dark"}';
    assert.equal(takeBackSettingsJson(now, undefined, [], []).content, now);
  });

  it(".claude.json: only claude-env's servers move; the user's servers and Claude's keys stay, in order, with no trailing newline", () => {
    const saved = JSON.stringify({ numStartups: 1, mcpServers: { mine: { command: 'm' }, docs: { type: 'http', url: 'old' } } }, null, 2);
    const now = JSON.stringify({ numStartups: 9, mcpServers: { mine: { command: 'm' }, docs: { type: 'http', url: 'new' }, memory: { command: 'x' }, added: { type: 'stdio', command: 'a', args: [], env: {} } }, oauthAccount: { emailAddress: 'a@b' } }, null, 2);
    const r = takeBackMcpServers('.claude.json', now, saved, ['docs', 'memory'], ['docs']);
    assert.equal(r.content, JSON.stringify({ numStartups: 9, mcpServers: { mine: { command: 'm' }, docs: { type: 'http', url: 'old' }, added: { type: 'stdio', command: 'a', args: [], env: {} } }, oauthAccount: { emailAddress: 'a@b' } }, null, 2));
    assert.deepEqual([r.takenOut, r.putBack, r.empty], [['memory'], ['docs'], false]);
  });

  it(".claude.json: gives a server name claude-env took over back the user's entry", () => {
    const r = takeBackMcpServers('.claude.json', JSON.stringify({ mcpServers: { memory: { command: 'ours' } } }), JSON.stringify({ mcpServers: { memory: { command: 'mine' } } }), ['memory'], []);
    assert.deepEqual(JSON.parse(r.content), { mcpServers: { memory: { command: 'mine' } } });
  });

  it('.claude.json: a file with nothing but claude-env\'s servers is empty afterwards; one that does not parse is refused', () => {
    assert.equal(takeBackMcpServers('.claude.json', JSON.stringify({ mcpServers: { memory: {} } }), undefined, ['memory'], []).empty, true);
    assert.throws(() => takeBackMcpServers('.claude.json', '{"oauthAccount": {', undefined, ['memory'], []), UnparsableFileError);
  });

  it('.mcp.json: keeps the final newline the team\'s file has', () => {
    const r = takeBackMcpServers('@project/.mcp.json', `${JSON.stringify({ mcpServers: { theirs: {}, ours: {} } }, null, 2)}\n`, undefined, ['ours'], []);
    assert.equal(r.content, `${JSON.stringify({ mcpServers: { theirs: {} } }, null, 2)}\n`);
  });

  const block = (text: string): string => `<!-- claude-env:begin -->\n${text}\n<!-- claude-env:end -->\n`;
  it('CLAUDE.md: takes the block and the blank line apply put before it out, and keeps notes before and after it', () => {
    assert.deepEqual(takeBackClaudeMd(`# Mine\n\n${block('New.')}`, '# Mine\n'), { content: '# Mine\n', empty: false, takenOut: ['managed block'], putBack: [] });
    assert.equal(takeBackClaudeMd(`${block('New.')}\nMy notes.\n`, undefined).content, '\nMy notes.\n');
    assert.equal(takeBackClaudeMd(block('New.'), undefined).empty, true);
  });

  it('CLAUDE.md: puts the block of the restore point back in place of the one there now', () => {
    const r = takeBackClaudeMd(`# Mine\n\n${block('New.')}\nNotes.\n`, `# Old\n\n${block('Old.')}`);
    assert.equal(r.content, `# Mine\n\n${block('Old.')}\nNotes.\n`);
  });
});

describe('settings.json across revisions', () => {
  it('puts a key a new revision adds where render puts it, so a file of only claude-env keys stays byte for byte what render gives', () => {
    const v1 = JSON.stringify({ env: { A: '1', C: '3' }, model: 'opus' }, null, 2);
    const v2 = JSON.stringify({ env: { A: '1', B: '2', C: '3' }, cleanupPeriodDays: 7, model: 'opus' }, null, 2);
    const first = mergeSettingsJson(v1, undefined, []);
    const second = mergeSettingsJson(v2, first.content, first.owned);
    assert.equal(second.content, `${v2}\n`);
  });

  it("leaves the user's keys where they were, beside the key they followed", () => {
    const actual = JSON.stringify({ theme: 'dark', env: { A: '1', MINE: 'x', C: '3' } }, null, 2);
    const desired = JSON.stringify({ env: { A: '1', B: '2', C: '3' } }, null, 2);
    const r = mergeSettingsJson(desired, actual, ['env.A', 'env.C']);
    assert.equal(r.content, `${JSON.stringify({ theme: 'dark', env: { A: '1', B: '2', MINE: 'x', C: '3' } }, null, 2)}\n`);
  });
});
