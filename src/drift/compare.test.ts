/** The drift report a developer sees: items, percentage, risk, recommendations and plan. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDrift, type DriftInput } from './compare.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { HomePath } from '../vocabulary.js';
import type { ActualFile, DriftItem, MachineState, ManagedOutput, SeverityRule } from './types.js';
import { summarize } from './values.js';

const SETTINGS = '.claude/settings.json';
const CLAUDE_JSON = '.claude.json';
const CLAUDE_MD = '.claude/CLAUDE.md';
const BLOCK = '<!-- claude-env:begin -->\nUse pnpm.\n<!-- claude-env:end -->\n';

const output = (path: string, kind: OutputKind, content: string, more: Partial<Output> = {}): Output => ({ path: path as HomePath, kind, content, encoding: 'utf8', mode: 0o644, secret: false, ...more });
const settings = (v: unknown): Output => output(SETTINGS, 'settings-json', `${JSON.stringify(v, null, 2)}\n`);
const servers = (v: unknown): Output => output(CLAUDE_JSON, 'claude-json', JSON.stringify({ mcpServers: v }, null, 2), { mode: 0o600 });
const block = (content = BLOCK): Output => output(CLAUDE_MD, 'claude-md', content);

type Files = Record<string, string | { content: string; mode: number }>;
const snapshot = (files: Files): Map<string, ActualFile> =>
  new Map(Object.entries(files).map(([p, f]) => [p, typeof f === 'string' ? { path: p as HomePath, content: f } : { path: p as HomePath, ...f }]));
const state = (outputs: Record<string, Partial<ManagedOutput> & Pick<ManagedOutput, 'kind'>> = {}): MachineState => ({
  version: 1,
  outputs: Object.fromEntries(Object.entries(outputs).map(([p, o]) => [p, { hash: 'h', ...o }])),
});

const drift = (desired: Output[], files: Files, opts: { state?: MachineState; rules?: SeverityRule[]; mcpHealth?: DriftInput['mcpHealth'] } = {}) =>
  compareDrift({ target: { env: 'development', team: 'web', user: 'ann' }, desired, actual: snapshot(files), state: opts.state ?? state(), rules: opts.rules ?? [], ...(opts.mcpHealth ? { mcpHealth: opts.mcpHealth } : {}) });
/** Items without their file, for short tables. */
const brief = (items: readonly DriftItem[]) => items.map(({ path, kind, expected, actual, severity, category }) => ({ path, kind, expected, actual, severity, category }));

describe('compareDrift: settings.json', () => {
  const desired = { permissions: { deny: ['Read(./.env)'], allow: ['Bash(npm test)'] }, env: { LOG_LEVEL: 'info' }, model: 'sonnet', alwaysThinkingEnabled: true };

  it('finds no drift when every rendered leaf is on disk, whatever the key order', () => {
    const r = drift([settings(desired)], { [SETTINGS]: JSON.stringify({ model: 'sonnet', alwaysThinkingEnabled: true, env: { LOG_LEVEL: 'info' }, permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)'] } }) });
    assert.deepEqual(r.items, []);
    assert.equal(r.drift_percentage, 0);
    assert.equal(r.risk_level, 'none');
    assert.deepEqual(r.recommendations, ['No drift: the machine matches the config repo']);
    assert.deepEqual(r.plan, []);
    assert.equal(r.managed_leaves, 5);
  });

  it('reports each changed or missing leaf with its severity, and the keys the user added apart from the percentage', () => {
    const actual = { permissions: { deny: [], allow: ['Bash(npm test)'], ask: ['Bash(rm:*)'] }, env: { LOG_LEVEL: 'info', MY_TOKEN: 'abc123' }, alwaysThinkingEnabled: 'yes', theme: 'dark' };
    const r = drift([settings(desired)], { [SETTINGS]: JSON.stringify(actual) });
    assert.deepEqual(brief(r.items), [
      { path: 'settings.alwaysThinkingEnabled', kind: 'modified', expected: true, actual: 'yes', severity: 'medium', category: 'feature-flag' },
      { path: 'settings.env.MY_TOKEN', kind: 'extra', expected: null, actual: '«hidden»', severity: 'low', category: 'user-preference' },
      { path: 'settings.model', kind: 'missing', expected: 'sonnet', actual: null, severity: 'medium', category: 'version' },
      { path: 'settings.permissions.ask', kind: 'extra', expected: null, actual: ['Bash(rm:*)'], severity: 'low', category: 'user-preference' },
      { path: 'settings.permissions.deny', kind: 'modified', expected: ['Read(./.env)'], actual: [], severity: 'critical', category: 'security-policy' },
      { path: 'settings.theme', kind: 'extra', expected: null, actual: 'dark', severity: 'low', category: 'user-preference' },
    ]);
    // 3 of 5 managed leaves drifted; the 3 extras do not count.
    assert.equal(r.managed_leaves, 5);
    assert.equal(r.drifted_leaves, 3);
    assert.equal(r.drift_percentage, 60);
    assert.equal(r.risk_level, 'critical');
    assert.ok(r.items.every((i) => i.file === SETTINGS));
  });

  it('reports a leaf claude-env wrote before and no longer renders as something apply will remove', () => {
    const own = state({ [SETTINGS]: { kind: 'settings-json', owned: ['model', 'env.OLD', 'env.LOG_LEVEL', 'statusLine.command'] } });
    const r = drift([settings({ env: { LOG_LEVEL: 'info' }, statusLine: { type: 'command', command: 's.sh' } })], { [SETTINGS]: JSON.stringify({ model: 'opus', env: { LOG_LEVEL: 'info', OLD: '1' }, statusLine: { type: 'command', command: 's.sh' } }) }, { state: own });
    assert.deepEqual(brief(r.items), [
      { path: 'settings.env.OLD', kind: 'modified', expected: null, actual: '«hidden»', severity: 'high', category: 'environment-inconsistency' },
      { path: 'settings.model', kind: 'modified', expected: null, actual: 'opus', severity: 'medium', category: 'version' },
    ]);
    assert.equal(r.managed_leaves, 5);
    assert.equal(r.drift_percentage, 40);
  });

  it('shows an owned leaf that now lies under a rendered one only once', () => {
    const own = state({ [SETTINGS]: { kind: 'settings-json', owned: ['hooks.Stop'] } });
    const r = drift([settings({ hooks: {} })], { [SETTINGS]: JSON.stringify({ hooks: { Stop: [] } }) }, { state: own });
    assert.deepEqual(r.items.map((i) => [i.path, i.kind]), [['settings.hooks', 'modified']]);
    assert.equal(r.managed_leaves, 1);
  });

  it('quotes odd keys in item paths', () => {
    const r = drift([settings({ enabledPlugins: { 'fmt@acme.tools': true } })], { [SETTINGS]: '{}' });
    assert.deepEqual(r.items.map((i) => i.path), ['settings.enabledPlugins."fmt@acme.tools"']);
  });

  it('reports every leaf missing when settings.json is gone, and nothing for an empty file with nothing rendered', () => {
    const r = drift([settings(desired)], {});
    assert.deepEqual(r.items.map((i) => i.kind), ['missing', 'missing', 'missing', 'missing', 'missing']);
    assert.equal(r.drift_percentage, 100);
    assert.deepEqual(drift([settings({})], { [SETTINGS]: '' }).items, []);
  });

  it('reports a settings.json that no longer parses as one critical item, with every managed leaf drifted', () => {
    const r = drift([settings(desired)], { [SETTINGS]: '{"model": "sonnet",}' });
    assert.deepEqual(brief(r.items), [{ path: 'settings', kind: 'corrupt', expected: 'a JSON object', actual: { error: 'not valid JSON', ...summarize('{"model": "sonnet",}') }, severity: 'critical', category: 'configuration' }]);
    assert.equal(r.drifted_leaves, 5);
    assert.equal(r.drift_percentage, 100);
    assert.equal(r.risk_level, 'critical');
    assert.equal(r.recommendations[0], '.claude/settings.json no longer parses: `claude-env apply` saves it in a restore point, then rewrites it');
    assert.deepEqual(r.plan, [{ path: 'settings', file: SETTINGS, kind: 'corrupt', severity: 'critical', action: 'restore-now' }]);
    assert.equal(drift([settings(desired)], { [SETTINGS]: '["a"]' }).items[0]!.actual instanceof Object, true);
    assert.equal((drift([settings(desired)], { [SETTINGS]: '["a"]' }).items[0]!.actual as { error: string }).error, 'not a JSON object');
  });

  it('treats a rendered secret as matching whatever it was resolved to, and never shows the value', () => {
    const r = drift([settings({ env: { API_KEY: '«secret:env:API_KEY»', URL: 'https://x/«secret:env:TENANT»/api' } })], { [SETTINGS]: JSON.stringify({ env: { API_KEY: 's3cr3t', URL: 'https://x/acme/api' } }) });
    assert.deepEqual(r.items, []);
    const changed = drift([settings({ env: { URL: 'https://x/«secret:env:TENANT»/api' } })], { [SETTINGS]: JSON.stringify({ env: { URL: 'https://evil/acme/api' } }) });
    assert.deepEqual(brief(changed.items), [{ path: 'settings.env.URL', kind: 'modified', expected: 'https://x/«secret:env:TENANT»/api', actual: '«hidden»', severity: 'high', category: 'environment-inconsistency' }]);
  });
});

describe('compareDrift: .claude.json mcpServers', () => {
  const memory = { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: {} };
  const claudeJson = (mcpServers: unknown, rest: Record<string, unknown> = {}) => JSON.stringify({ numStartups: 3, ...rest, mcpServers, userID: 'u1' }, null, 2);

  it("finds no drift when only Claude Code's own keys changed", () => {
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({ memory }, { numStartups: 40, projects: { '/w': { hasTrustDialogAccepted: true } }, tipsHistory: { a: 1 } }) });
    assert.deepEqual(r.items, []);
    assert.equal(r.managed_leaves, 4);
  });

  it("reports a managed server's changed command and args", () => {
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({ memory: { ...memory, command: 'node', args: ['mem.js'] } }) });
    assert.deepEqual(brief(r.items), [
      { path: 'mcpServers.memory.args', kind: 'modified', expected: memory.args, actual: ['mem.js'], severity: 'medium', category: 'version' },
      { path: 'mcpServers.memory.command', kind: 'modified', expected: 'npx', actual: 'node', severity: 'high', category: 'configuration' },
    ]);
    assert.equal(r.drift_percentage, 50);
    assert.ok(r.items.every((i) => i.file === CLAUDE_JSON));
  });

  it("reports the user's own servers as extras, with their credentials hidden, and servers claude-env wrote and dropped as removals", () => {
    const own = state({ [CLAUDE_JSON]: { kind: 'claude-json', owned: ['memory', 'old'] } });
    const mine = { type: 'http', url: 'https://mcp.example', headers: { Authorization: 'Bearer abc' } };
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({ memory, old: { command: 'old' }, mine }) }, { state: own });
    assert.deepEqual(brief(r.items), [
      { path: 'mcpServers.mine', kind: 'extra', expected: null, actual: { type: 'http', url: 'https://mcp.example', headers: { Authorization: '«hidden»' } }, severity: 'low', category: 'user-preference' },
      { path: 'mcpServers.old', kind: 'modified', expected: null, actual: { command: 'old' }, severity: 'high', category: 'configuration' },
    ]);
    assert.equal(r.managed_leaves, 5);
    assert.equal(r.drifted_leaves, 1);
    assert.match(r.recommendations.join('\n'), /1 MCP server added outside claude-env \(`mine`\) stays as it is; add it to the config repo/);
  });

  it('reports a key the user added inside a managed server, since apply rewrites the whole entry', () => {
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({ memory: { ...memory, env: { DEBUG: '1' }, timeout: 5000 } }) });
    // `env: {}` is a rendered leaf of its own; `timeout` is new in the entry.
    assert.deepEqual(brief(r.items), [
      { path: 'mcpServers.memory.env', kind: 'modified', expected: {}, actual: { DEBUG: '«hidden»' }, severity: 'high', category: 'configuration' },
      { path: 'mcpServers.memory.timeout', kind: 'modified', expected: null, actual: 5000, severity: 'medium', category: 'threshold' },
    ]);
  });

  it('reports every leaf of a missing server, and a .claude.json that no longer parses as one item', () => {
    assert.deepEqual(drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({}) }).items.map((i) => i.path), ['mcpServers.memory.args', 'mcpServers.memory.command', 'mcpServers.memory.env', 'mcpServers.memory.type']);
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: '{"oauthAccount": {' });
    assert.deepEqual(r.items.map((i) => [i.path, i.kind, i.severity]), [['mcpServers', 'corrupt', 'critical']]);
    assert.equal(r.drift_percentage, 100);
    assert.match(r.recommendations[0]!, /^\.claude\.json no longer parses and claude-env will not write it/);
  });

  it('matches a rendered secret in a header', () => {
    const api = { type: 'http', url: 'https://api', headers: { Authorization: 'Bearer «secret:env:API_TOKEN»' } };
    assert.deepEqual(drift([servers({ api })], { [CLAUDE_JSON]: claudeJson({ api: { ...api, headers: { Authorization: 'Bearer t0k3n' } } }) }).items, []);
  });

  it('reports a server that is down (drift --online) as critical, outside the percentage', () => {
    const r = drift([servers({ memory })], { [CLAUDE_JSON]: claudeJson({ memory }) }, { mcpHealth: [{ name: 'memory', up: false, error: 'spawn npx ENOENT' }, { name: 'other', up: true }] });
    assert.deepEqual(brief(r.items), [{ path: 'mcpServers.memory', kind: 'down', expected: 'up', actual: 'spawn npx ENOENT', severity: 'critical', category: 'mcp-server' }]);
    assert.equal(r.drift_percentage, 0);
    assert.equal(r.risk_level, 'critical');
    assert.deepEqual(r.recommendations, ['1 MCP server down (`memory`): run `claude-env mcp check` to see why']);
    assert.equal(r.plan[0]!.action, 'restore-now');
  });
});

describe('compareDrift: CLAUDE.md managed block', () => {
  it("finds no drift when only the user's text around the block changed", () => {
    assert.deepEqual(drift([block()], { [CLAUDE_MD]: `# My notes\n\n${BLOCK}\nMore notes.\n` }).items, []);
  });

  it('reports an edited block as modified, and a file or block that is gone as missing', () => {
    const edited = drift([block()], { [CLAUDE_MD]: BLOCK.replace('pnpm', 'npm') });
    assert.deepEqual(brief(edited.items), [{ path: 'instructions', kind: 'modified', expected: summarize(BLOCK), actual: summarize(BLOCK.replace('pnpm', 'npm')), severity: 'high', category: 'configuration' }]);
    assert.deepEqual(drift([block()], { [CLAUDE_MD]: '# Only mine\n' }).items.map((i) => [i.path, i.kind]), [['instructions', 'missing']]);
    assert.deepEqual(drift([block()], {}).items.map((i) => [i.path, i.kind, i.actual]), [['instructions', 'missing', null]]);
  });
});

describe('compareDrift: personas, workflows and files', () => {
  const agent = output('.claude/agents/reviewer.md', 'agent', '---\nname: reviewer\ndescription: Reviews\n---\n\nReview.\n');
  const command = output('.claude/commands/ship.md', 'command', '---\ndescription: Ship\n---\n\nShip it.\n');
  const hook = output('.claude/hooks/fmt.sh', 'file', '#!/bin/sh\nprettier -w "$1"\n', { mode: 0o755 });
  const managed = state({ '.claude/agents/reviewer.md': { kind: 'agent' }, '.claude/commands/ship.md': { kind: 'command' }, '.claude/hooks/fmt.sh': { kind: 'file' } });

  it('reports a missing managed file by its key in the merged tree, with a summary instead of its content', () => {
    const r = drift([agent, command, hook], { [command.path]: command.content, [hook.path]: { content: hook.content, mode: 0o755 } }, { state: managed });
    assert.deepEqual(brief(r.items), [{ path: 'personas.reviewer', kind: 'missing', expected: summarize(agent.content), actual: null, severity: 'high', category: 'configuration' }]);
    assert.equal(r.drift_percentage, 33.33);
    assert.equal(r.risk_level, 'critical');
  });

  it('reports an edited managed file, and an overlay that lost its executable bit', () => {
    const r = drift([command, hook], { [command.path]: command.content.replace('Ship it', 'Ship'), [hook.path]: { content: hook.content, mode: 0o644 } }, { state: managed });
    assert.deepEqual(brief(r.items), [
      { path: 'workflows.ship', kind: 'modified', expected: summarize(command.content), actual: summarize(command.content.replace('Ship it', 'Ship')), severity: 'high', category: 'configuration' },
      { path: 'files."hooks/fmt.sh"', kind: 'modified', expected: { ...summarize(hook.content), mode: '0755' }, actual: { ...summarize(hook.content), mode: '0644' }, severity: 'high', category: 'configuration' },
    ]);
    assert.ok(r.items.every((i) => !i.unmanaged));
  });

  it("reports the user's own agent in the way as modified configuration that only --force replaces", () => {
    const r = drift([agent], { [agent.path]: '---\nname: reviewer\ndescription: Mine\n---\n\nMy own.\n' });
    assert.equal(r.items.length, 1);
    assert.deepEqual({ ...r.items[0], expected: undefined, actual: undefined }, { path: 'personas.reviewer', file: agent.path, kind: 'modified', category: 'configuration', severity: 'high', unmanaged: true, expected: undefined, actual: undefined });
    assert.deepEqual(r.plan, [{ path: 'personas.reviewer', file: agent.path, kind: 'modified', severity: 'high', action: 'correct-and-revalidate', force: true }]);
    assert.deepEqual(r.recommendations, [
      '1 file claude-env did not write is in the way (`.claude/agents/reviewer.md`): `claude-env apply` will not overwrite it without --force, which saves it in a restore point first',
      '100 % of managed values drifted (over 25 %): risk raised to critical; re-apply with `claude-env apply`',
    ]);
    assert.deepEqual(drift([agent], { [agent.path]: agent.content }).items, []);
  });

  it('reports an output claude-env wrote before and no longer renders while it is still there', () => {
    const before = state({ '.claude/agents/old.md': { kind: 'agent' }, '.claude/commands/gone.md': { kind: 'command' } });
    const r = drift([], { '.claude/agents/old.md': 'old' }, { state: before });
    assert.deepEqual(brief(r.items), [{ path: 'personas.old', kind: 'modified', expected: null, actual: summarize('old'), severity: 'high', category: 'configuration' }]);
    assert.equal(r.managed_leaves, 1);
  });
});

describe('compareDrift: percentage and risk', () => {
  /** `total` rendered leaves, `drifted` of them changed on disk; every settings item ranked low so only the percentage raises the risk. */
  function atPercent(drifted: number, total: number) {
    const want: Record<string, string> = {};
    const have: Record<string, string> = {};
    for (let i = 0; i < total; i++) {
      want[`k${i}`] = 'v';
      have[`k${i}`] = i < drifted ? 'changed' : 'v';
    }
    return drift([settings(want)], { [SETTINGS]: JSON.stringify(have) }, { rules: [{ path: 'settings.**', severity: 'low' }] });
  }

  const table: Array<[number, number, number, string]> = [
    [0, 10, 0, 'none'],
    [1, 10, 10, 'low'],
    [21, 200, 10.5, 'high'],
    [1, 4, 25, 'high'],
    [51, 200, 25.5, 'critical'],
    [1, 3, 33.33, 'critical'],
  ];
  for (const [drifted, total, pct, risk] of table) {
    it(`is ${pct} % with ${drifted} of ${total} leaves drifted, risk ${risk}`, () => {
      const r = atPercent(drifted, total);
      assert.equal(r.drift_percentage, pct);
      assert.equal(r.risk_level, risk);
    });
  }

  it('says why the risk was raised', () => {
    assert.deepEqual(atPercent(21, 200).recommendations, [
      '21 low items: reported only; `claude-env apply` restores them if you want',
      '10.5 % of managed values drifted (over 10 %): risk raised to high; re-apply with `claude-env apply`',
    ]);
    assert.match(atPercent(51, 200).recommendations[1]!, /over 25 %\): risk raised to critical/);
  });

  it('is 0 % when nothing is managed', () => {
    const r = drift([], {});
    assert.equal(r.drift_percentage, 0);
    assert.equal(r.managed_leaves, 0);
    assert.equal(r.risk_level, 'none');
  });
});

describe('compareDrift: the whole report', () => {
  const desired = [
    settings({ permissions: { deny: ['Read(./.env)', 'Bash(curl:*)'] }, model: 'sonnet', env: { REGION: 'eu' } }),
    servers({ memory: { type: 'stdio', command: 'npx', args: [] } }),
    block(),
    output('.claude/agents/reviewer.md', 'agent', 'agent'),
  ];
  const files: Files = {
    [SETTINGS]: JSON.stringify({ permissions: { deny: [] }, model: 'opus', env: { REGION: 'us' }, theme: 'dark' }),
    [CLAUDE_JSON]: JSON.stringify({ mcpServers: { memory: { type: 'stdio', command: 'npx', args: [] } } }),
    [CLAUDE_MD]: BLOCK,
  };
  const managed = state({ '.claude/agents/reviewer.md': { kind: 'agent' } });

  it('orders items by file then path, and the plan worst first, without extras', () => {
    const r = drift(desired, files, { state: managed });
    assert.deepEqual(r.items.map((i) => `${i.file} ${i.path}`), [
      '.claude/agents/reviewer.md personas.reviewer',
      '.claude/settings.json settings.env.REGION',
      '.claude/settings.json settings.model',
      '.claude/settings.json settings.permissions.deny',
      '.claude/settings.json settings.theme',
    ]);
    assert.deepEqual(r.plan.map((s) => `${s.action} ${s.path}`), ['restore-now settings.permissions.deny', 'correct-and-revalidate personas.reviewer', 'correct-and-revalidate settings.env.REGION', 'correct-on-schedule settings.model']);
    assert.equal(r.drift_percentage, 50);
    assert.equal(r.risk_level, 'critical');
  });

  it('recommends what to run, worst first', () => {
    assert.deepEqual(drift(desired, files, { state: managed }).recommendations, [
      '1 critical item: run `claude-env remediate` now (restores the security policy)',
      '2 high items (the configuration, the environment): run `claude-env remediate` to correct and re-validate them',
      '1 medium item: corrected on schedule, or now with `claude-env remediate --include medium`',
      '1 setting you added (`settings.theme`) stays as it is; to keep it on every machine, put it in ~/.claude/local-overrides.yml or your user layer',
    ]);
    // 50 % drifted, but the risk is critical already: nothing to raise.
  });

  it('lets claude-env.yml rules override the defaults', () => {
    const r = drift(desired, files, { state: managed, rules: [{ path: 'settings.model', severity: 'critical', category: 'version-pin' }, { path: 'personas.*', severity: 'low' }] });
    const by = Object.fromEntries(r.items.map((i) => [i.path, `${i.severity}/${i.category}`]));
    assert.equal(by['settings.model'], 'critical/version-pin');
    assert.equal(by['personas.reviewer'], 'low/configuration');
    assert.equal(by['settings.permissions.deny'], 'critical/security-policy');
  });

  it('has the SPEC JSON shape, with null for an absent side', () => {
    const json = JSON.parse(JSON.stringify(drift(desired, files, { state: managed }))) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(json).slice(0, 6), ['target', 'items', 'drift_percentage', 'risk_level', 'recommendations', 'plan']);
    assert.deepEqual(json['target'], { env: 'development', team: 'web', user: 'ann' });
    for (const item of json.items) for (const key of ['path', 'expected', 'actual', 'category', 'severity']) assert.ok(key in item, `${String(item['path'])} has ${key}`);
    assert.equal(json.items.find((i) => i['path'] === 'personas.reviewer')!['actual'], null);
  });
});
