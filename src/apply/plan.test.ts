/** The apply plan decides the bytes of every output file: what apply, its dry run and diff all write. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnmergeableFileError, composeOutput, planApply, type OnDisk } from './plan.js';
import type { MachineState } from '../drift/types.js';
import type { Output, OutputKind } from '../render/outputs.js';
import { UnparsableFileError } from '../render/shared-files.js';
import type { HomePath } from '../vocabulary.js';

const output = (path: string, kind: OutputKind, content: string): Output => ({ path: path as HomePath, kind, content, encoding: 'utf8', mode: 0o644, secret: false });
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
const NO_STATE: MachineState = { version: 1, outputs: {} };
const onDisk = (text: string, mode = 0o644): OnDisk => ({ bytes: Buffer.from(text), mode });
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const TARGET = { env: 'development', team: 'web', user: 'ann' };

describe('composeOutput', () => {
  it('merges settings.json: user keys stay, leaves claude-env owned and no longer renders go, a broken file is replaced (repaired)', () => {
    const o = output('.claude/settings.json', 'settings-json', json({ model: 'sonnet' }));
    const prev = { kind: 'settings-json' as const, hash: 'h', owned: ['model', 'verbose'] };
    assert.deepEqual(JSON.parse(text(composeOutput(o, onDisk(json({ verbose: true, theme: 'dark', model: 'opus' })), prev).bytes)), { theme: 'dark', model: 'sonnet' });
    const broken = composeOutput(o, onDisk('{"model": '), prev);
    assert.equal(text(broken.bytes), json({ model: 'sonnet' }));
    assert.equal(broken.repaired, true);
  });

  it("changes only claude-env's servers in .claude.json, and refuses one that does not parse", () => {
    const o = output('.claude.json', 'claude-json', JSON.stringify({ mcpServers: { memory: { type: 'stdio', command: 'npx' } } }, null, 2));
    const actual = JSON.stringify({ numStartups: 9, mcpServers: { mine: { command: 'x' } }, userID: 'u' }, null, 2);
    assert.deepEqual(JSON.parse(text(composeOutput(o, onDisk(actual), undefined).bytes)), { numStartups: 9, mcpServers: { mine: { command: 'x' }, memory: { type: 'stdio', command: 'npx' } }, userID: 'u' });
    assert.throws(() => composeOutput(o, onDisk('{"a":'), undefined), UnparsableFileError);
  });

  it("replaces only the CLAUDE.md block and keeps the user's text", () => {
    const o = output('.claude/CLAUDE.md', 'claude-md', '<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n');
    assert.equal(text(composeOutput(o, onDisk('# Mine\n\n<!-- claude-env:begin -->\nOld.\n<!-- claude-env:end -->\n'), undefined).bytes), '# Mine\n\n<!-- claude-env:begin -->\nNew.\n<!-- claude-env:end -->\n');
  });
});

describe('planApply', () => {
  const plan = (outputs: Output[], files: Record<string, string>, state = NO_STATE, force = false) =>
    planApply({ target: TARGET, outputs, state, locate: (p) => `/h/${p}`, actual: (abs) => (files[abs] === undefined ? undefined : onDisk(files[abs]!)), ...(force ? { force } : {}) });

  it("leaves the user's own agent in the way as it is (a conflict), unless forced; one claude-env wrote is updated", () => {
    const o = output('.claude/agents/r.md', 'agent', 'rendered\n');
    assert.deepEqual(plan([o], { '/h/.claude/agents/r.md': 'mine\n' }).conflicts.map((c) => c.path), ['.claude/agents/r.md']);
    assert.deepEqual(plan([o], { '/h/.claude/agents/r.md': 'mine\n' }, NO_STATE, true).writes.map((w) => [w.action, text(w.bytes)]), [['replace-unmanaged', 'rendered\n']]);
    const managed: MachineState = { version: 1, outputs: { '.claude/agents/r.md': { kind: 'agent', hash: 'h' } } };
    assert.deepEqual(plan([o], { '/h/.claude/agents/r.md': 'edited\n' }, managed).writes.map((w) => [w.action, text(w.bytes)]), [['update', 'rendered\n']]);
    assert.deepEqual(plan([o], {}).writes.map((w) => [w.action, text(w.bytes)]), [['create', 'rendered\n']]);
  });

  it('removes the files claude-env wrote before and no longer renders, when they are still there', () => {
    const state: MachineState = { version: 1, outputs: { '.claude/commands/old.md': { kind: 'command', hash: 'h' }, '.claude/commands/gone.md': { kind: 'command', hash: 'h' } } };
    assert.deepEqual(plan([], { '/h/.claude/commands/old.md': 'old\n' }, state).removes, [{ path: '.claude/commands/old.md', abs: '/h/.claude/commands/old.md' }]);
  });

  it('refuses to plan over a shared JSON file that does not parse, naming that file', () => {
    const o = output('@project/.mcp.json', 'mcp-json', JSON.stringify({ mcpServers: { shop: { command: 'node' } } }));
    assert.throws(
      () => plan([o], { '/h/@project/.mcp.json': '{"mcpServers": ' }),
      (err: unknown) => err instanceof UnmergeableFileError && err.abs === '/h/@project/.mcp.json' && /^@project\/\.mcp\.json is not valid JSON: /.test(err.message),
    );
  });
});
