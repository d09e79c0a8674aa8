/** `claude-env diff`: exactly what apply would change, as a unified diff per file. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffFiles, unifiedDiff } from './diff.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { HomePath } from '../vocabulary.js';

const output = (path: string, kind: OutputKind, content: string, more: Partial<Output> = {}): Output => ({ path: path as HomePath, kind, content, encoding: 'utf8', mode: 0o644, secret: false, ...more });
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

describe('unifiedDiff', () => {
  it('is empty when nothing differs', () => {
    assert.equal(unifiedDiff([]), '');
    assert.equal(unifiedDiff([{ path: 'a', desired: 'x\n', actual: 'x\n' }, { path: 'b', desired: undefined, actual: undefined }]), '');
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

describe('diffFiles', () => {
  it('shows each file before and after, sorted by path; a removed file has no new side, a new one no old side', () => {
    const files = diffFiles([
      { path: '.claude/commands/old.md', before: Buffer.from('old\n'), after: undefined },
      { path: '.claude/agents/r.md', output: output('.claude/agents/r.md', 'agent', 'r\n'), before: undefined, after: Buffer.from('r\n') },
    ]);
    assert.deepEqual(files, [
      { path: '.claude/agents/r.md', desired: 'r\n', actual: undefined },
      { path: '.claude/commands/old.md', desired: undefined, actual: 'old\n' },
    ]);
  });

  it('compares a binary output as base64 and only says that it differs', () => {
    const png = output('.claude/logo.png', 'file', 'iVBO', { encoding: 'base64' });
    const [f] = diffFiles([{ path: png.path, output: png, before: Buffer.from([1, 2]), after: Buffer.from([1, 3]) }]);
    assert.deepEqual(f, { path: '.claude/logo.png', desired: Buffer.from([1, 3]).toString('base64'), actual: Buffer.from([1, 2]).toString('base64'), binary: true });
    assert.equal(unifiedDiff([f!]), 'Binary files a/.claude/logo.png and b/.claude/logo.png differ\n');
  });

  it('shows a changed settings.json with the user key kept and 3 lines of context', () => {
    const settings = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet', permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)', 'Bash(curl:*)'] } }));
    const before = json({ model: 'sonnet', theme: 'dark', permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)'] } });
    const after = json({ model: 'sonnet', theme: 'dark', permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)', 'Bash(curl:*)'] } });
    assert.equal(
      unifiedDiff(diffFiles([{ path: settings.path, output: settings, before: Buffer.from(before), after: Buffer.from(after) }])),
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
});
