/** diff hides the credentials a user keeps in the shared JSON files, and shows everything the repo renders. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffFiles, unifiedDiff } from './diff.js';
import type { Output, OutputKind } from '../render/outputs.js';
import { mergeClaudeJson, mergeSettingsJson } from '../render/shared-files.js';
import type { HomePath } from '../vocabulary.js';

const output = (path: string, kind: OutputKind, content: string): Output => ({ path: path as HomePath, kind, content, encoding: 'utf8', mode: 0o644, secret: false });
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
/** The file as apply writes it over `actual` (apply/plan.ts merges the same way), beside `actual`. */
const written = (o: Output, actual: string): string => (o.kind === 'settings-json' ? mergeSettingsJson(o.content, actual, [], true) : mergeClaudeJson(o.content, actual, [])).content;
const diffOf = (o: Output, actual: string): string => unifiedDiff(diffFiles([{ path: o.path, output: o, before: Buffer.from(actual), after: Buffer.from(written(o, actual)) }]));

describe('diff of shared JSON files', () => {
  it("hides the user's env values and keys of their own, and shows a managed value the user changed", () => {
    const o = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet', env: { LOG: 'info' } }));
    const d = diffOf(o, json({ model: 'opus', env: { LOG: 'debug', MY_TOKEN: 'tok-123456' }, apiKeyHelper: 'echo sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv' }));
    assert.ok(!d.includes('tok-123456') && !d.includes('sk-ant-api03'), d);
    assert.match(d, /^-  "model": "opus",\n\+  "model": "sonnet",$/m);
    assert.match(d, /^-    "LOG": "debug",\n\+    "LOG": "info",$/m, 'compared with a plain rendered string, the difference is the point');
    assert.match(d, /^ {5}"MY_TOKEN": "«hidden»"$/m);
    assert.match(d, /^ {3}"apiKeyHelper": "echo «hidden»"$/m);
  });

  it('leaves a resolved secret of the rendered shape to show as its placeholder, and hides one of another shape', () => {
    const o = output('.claude.json', 'claude-json', JSON.stringify({ mcpServers: { docs: { type: 'http', url: 'https://d', headers: { Authorization: 'Bearer «secret:env:T»' } } } }, null, 2));
    const on = (auth: string): string => JSON.stringify({ mcpServers: { docs: { type: 'http', url: 'https://d', headers: { Authorization: auth } } } }, null, 2);
    assert.equal(diffOf(o, on('Bearer s3cr3t-value')), '');
    const other = diffOf(o, on('Token s3cr3t-value'));
    assert.ok(!other.includes('s3cr3t-value'), other);
    assert.match(other, /^- {8}"Authorization": "«hidden»"\n\+ {8}"Authorization": "Bearer «secret:env:T»"$/m);
  });

  it('hides credentials by name in a file that does not parse', () => {
    const o = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet' }));
    const d = diffOf(o, '{\n  "API_KEY": "abc-123",\n  "url": "https://u:p@h/?token=t",\n  "model": ');
    assert.ok(!/abc-123|u:p@|token=t\b/.test(d), d);
    assert.match(d, /^- {2}"API_KEY": "«hidden»",$/m);
  });
});
