/** `claude-env diff`: exactly what apply would change, as a unified diff per file. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { desiredFileContent, diffFiles, unifiedDiff } from './diff.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { ActualFile, MachineState } from '../state/types.js';
import type { HomePath } from '../vocabulary.js';
import { UnparsableFileError } from '../render/shared-files.js';

const output = (path: string, kind: OutputKind, content: string, more: Partial<Output> = {}): Output => ({ path: path as HomePath, kind, content, encoding: 'utf8', mode: 0o644, secret: false, ...more });
const snapshot = (files: Record<string, string>): Map<string, ActualFile> => new Map(Object.entries(files).map(([p, content]) => [p, { path: p as HomePath, content }]));
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
const NO_STATE: MachineState = { version: 1, outputs: {} };

describe('unifiedDiff', () => {
  it('is empty when nothing differs', () => {
    assert.equal(unifiedDiff([]), '');
    assert.equal(unifiedDiff([{ path: 'a', desired: 'x\n', actual: 'x\n' }, { path: 'b', desired: undefined, actual: undefined }]), '');
  });

  it('shows a changed settings.json as apply writes it, with the user key kept and 3 lines of context', () => {
    const settings = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet', permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)', 'Bash(curl:*)'] } }));
    const actual = json({ model: 'sonnet', theme: 'dark', permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)'] } });
    assert.equal(
      unifiedDiff(diffFiles([settings], snapshot({ '.claude/settings.json': actual }), NO_STATE)),
      [
        '--- a/.claude/settings.json',
        '+++ b/.claude/settings.json',
        '@@ -6,7 +6,8 @@',
        '       "Bash(npm test)"',
        '     ],',
        '     "deny": [',
        '-      "Read(./.env)"',
        '+      "Read(./.env)",',
        '+      "Bash(curl:*)"',
        '     ]',
        '   }',
        ' }',
        '',
      ].join('\n'),
    );
  });

  it('uses /dev/null for a file that apply creates or removes', () => {
    assert.equal(unifiedDiff([{ path: '.claude/agents/r.md', desired: 'Hi.\n', actual: undefined }]), '--- /dev/null\n+++ b/.claude/agents/r.md\n@@ -0,0 +1,1 @@\n+Hi.\n');
    assert.equal(unifiedDiff([{ path: '.claude/commands/old.md', desired: undefined, actual: 'old\n' }]), '--- a/.claude/commands/old.md\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-old\n');
  });

  it('marks a missing final newline the way diff does', () => {
    assert.equal(unifiedDiff([{ path: '.claude.json', desired: '{\n  "a": 2\n}', actual: '{\n  "a": 1\n}' }]), '--- a/.claude.json\n+++ b/.claude.json\n@@ -1,3 +1,3 @@\n {\n-  "a": 1\n+  "a": 2\n }\n\\ No newline at end of file\n');
  });

  it('never shows a resolved secret: a line that matches a rendered «secret:…» line shows as that line', () => {
    const d = unifiedDiff([{ path: 's', desired: '{\n  "KEY": "«secret:env:KEY»",\n  "A": "2"\n}\n', actual: '{\n  "KEY": "s3cr3t",\n  "A": "1"\n}\n' }]);
    assert.doesNotMatch(d, /s3cr3t/);
    assert.match(d, /^ {3}"KEY": "«secret:env:KEY»",$/m);
    assert.equal(unifiedDiff([{ path: 's', desired: 'token=«secret:env:T»\n', actual: 'token=abc\n' }]), '');
  });

  it('only says that a binary file differs', () => {
    assert.equal(unifiedDiff([{ path: '.claude/logo.png', desired: 'iVBO', actual: 'iVBA', binary: true }]), 'Binary files a/.claude/logo.png and b/.claude/logo.png differ\n');
  });
});

describe('desiredFileContent', () => {
  it('merges settings.json like apply: user keys stay, leaves claude-env owned and no longer renders go, a broken file is rewritten', () => {
    const o = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet' }));
    const state: MachineState = { version: 1, outputs: { '.claude/settings.json': { kind: 'settings-json', hash: 'h', owned: ['model', 'verbose'] } } };
    assert.deepEqual(JSON.parse(desiredFileContent(o, json({ verbose: true, theme: 'dark', model: 'opus' }), state)), { theme: 'dark', model: 'sonnet' });
    assert.equal(desiredFileContent(o, '{"model": ', state), json({ model: 'sonnet' }));
  });

  it("changes only claude-env's servers in .claude.json, and refuses one that does not parse", () => {
    const o = output('.claude.json', 'claude-json', JSON.stringify({ mcpServers: { memory: { type: 'stdio', command: 'npx' } } }, null, 2));
    const actual = JSON.stringify({ numStartups: 9, mcpServers: { mine: { command: 'x' } }, userID: 'u' }, null, 2);
    assert.deepEqual(JSON.parse(desiredFileContent(o, actual, NO_STATE)), { numStartups: 9, mcpServers: { mine: { command: 'x' }, memory: { type: 'stdio', command: 'npx' } }, userID: 'u' });
    assert.throws(() => desiredFileContent(o, '{"a":', NO_STATE), UnparsableFileError);
  });

  it("replaces only the CLAUDE.md block and keeps the user's text", () => {
    const o = output('.claude/CLAUDE.md', 'claude-md', '<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n');
    assert.equal(desiredFileContent(o, '# Mine\n\n<!-- claude-env:begin -->\nOld.\n<!-- claude-env:end -->\n', NO_STATE), '# Mine\n\n<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n');
  });

  it("leaves the user's own agent in the way as it is, unless forced", () => {
    const o = output('.claude/agents/r.md', 'agent', 'rendered\n');
    assert.equal(desiredFileContent(o, 'mine\n', NO_STATE), 'mine\n');
    assert.equal(desiredFileContent(o, 'mine\n', NO_STATE, { force: true }), 'rendered\n');
    assert.equal(desiredFileContent(o, 'edited\n', { version: 1, outputs: { '.claude/agents/r.md': { kind: 'agent', hash: 'h' } } }), 'rendered\n');
    assert.equal(desiredFileContent(o, undefined, NO_STATE), 'rendered\n');
  });
});

describe('diffFiles', () => {
  it('lists every desired output and every managed file apply would remove, sorted by path', () => {
    const state: MachineState = { version: 1, outputs: { '.claude/commands/old.md': { kind: 'command', hash: 'h' }, '.claude/commands/gone.md': { kind: 'command', hash: 'h' } } };
    const files = diffFiles([output('.claude/agents/r.md', 'agent', 'r\n')], snapshot({ '.claude/commands/old.md': 'old\n' }), state);
    assert.deepEqual(files, [
      { path: '.claude/agents/r.md', desired: 'r\n', actual: undefined },
      { path: '.claude/commands/old.md', desired: undefined, actual: 'old\n' },
    ]);
  });
});
