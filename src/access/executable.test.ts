/**
 * The access side of executable content, pure: the class it asks for (the
 * `security` class, else the highest), the quick look that decides whether
 * anything must be rendered, and a wider `secrets.commands_from`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccess } from './check.js';
import { keyMayRun, mayChangeExecutable, widerCommandLayers, type ExecutableReport } from './executable.js';
import { parsePolicy } from './policy.js';
import type { Directory } from './principals.js';

const directory: Directory = { teams: ['web'], projects: ['shop'], members: [{ team: 'web', user: 'bob', role: 'developer', projects: ['shop'] }, { team: 'web', user: 'sam', role: 'reviewer', projects: [] }] };
const report: ExecutableReport = {
  targets: [{ target: { env: 'dev', team: 'web', project: 'shop', user: 'bob' }, added: [{ key: 'settings.statusLine', kind: 'status-line', description: 'statusLine: command "x"', identity: 'secret-ish' }], changed: [], removed: [] }],
};
const decide = (classes: Record<string, unknown>, executable?: ExecutableReport, approvers: string[] = []) => {
  const { policy, problems } = parsePolicy({
    roles: { developer: { permissions: ['projects/{assigned-projects}/**:write'], auto_approvals: ['minor'] }, reviewer: { permissions: ['**:read'] } },
    change_classes: classes,
  });
  assert.deepEqual(problems, []);
  return checkAccess({ policy, directory, author: 'bob', approvers, files: [{ path: 'projects/shop/claude-config.yml', status: 'modified' }], keys: [], treePaths: [], ...(executable ? { executable } : {}) });
};

describe('checkAccess with executable content', () => {
  it('raises a minor change to the security class: no automatic approval, the class roles approve', () => {
    const classes = { security: { paths: ['**/security.yml'], approvals: { roles: ['reviewer'], count: 1 } }, minor: { paths: ['**'], approvals: { count: 0 } } };
    assert.equal(decide(classes).class, 'minor');
    const r = decide(classes, report);
    assert.equal(r.class, 'security');
    assert.equal(r.executable_class, 'security');
    assert.equal(r.approvals.auto_approved_by, undefined);
    assert.equal(r.allowed, false);
    assert.equal(decide(classes, report, ['bob', 'sam']).allowed, true);
    // the report never shows an item's identity
    assert.deepEqual(r.executable[0]!.added, [{ key: 'settings.statusLine', kind: 'status-line', description: 'statusLine: command "x"' }]);
    assert.deepEqual(r.executable[0]!.target, { env: 'dev', team: 'web', project: 'shop', user: 'bob' });
  });

  it('takes the highest class when the policy has none named security', () => {
    const classes = { critical: { paths: ['base/**'], approvals: { roles: ['reviewer'], count: 1 } }, minor: { paths: ['**'], approvals: { count: 0 } } };
    assert.equal(decide(classes, report).class, 'critical');
  });

  it('counts a change whose executable content is unknown, or that widens commands_from', () => {
    const classes = { security: { approvals: { roles: ['reviewer'], count: 1 } }, minor: { paths: ['**'], approvals: { count: 0 } } };
    assert.equal(decide(classes, { targets: [], unknown: 'a.yml:1:1: bad' }).class, 'security');
    assert.equal(decide(classes, { targets: [], settings: 'wider' }).class, 'security');
    assert.equal(decide(classes, { targets: [] }).class, 'minor');
  });
});

describe('the quick look', () => {
  const cases: Array<[string, string[], unknown, unknown, boolean]> = [
    ['a hook', ['settings', 'hooks'], undefined, { Stop: [] }, true],
    ['an inert setting', ['settings', 'model'], 'a', 'b', false],
    ['an unknown setting (may hold a command)', ['settings', 'fileSuggestion'], undefined, { command: 'x' }, true],
    ['an env variable that loads no code', ['settings', 'env', 'TZ'], 'a', 'b', false],
    ['NODE_OPTIONS', ['settings', 'env', 'NODE_OPTIONS'], undefined, '--require x', true],
    ['a whole env map replaced by !delete', ['settings', 'env'], { TZ: 'x' }, '!delete', true],
    ['a cmd secret anywhere', ['instructions'], undefined, ['«secret:cmd:0123»'], true],
    ['instructions', ['instructions'], ['a'], ['b'], false],
    ["an MCP server's expect", ['mcpServers', 'm', 'expect'], {}, { min_tools: 1 }, false],
    ['an MCP server added with a description only (rendered as stdio)', ['mcpServers', 'm'], undefined, { description: 'x' }, true],
    ["a persona's tools", ['personas', 'p', 'tools'], ['Read'], ['Read', 'Bash'], false],
    ['a persona added with hooks', ['personas', 'p'], undefined, { hooks: {} }, true],
    ['a persona added without', ['personas', 'p'], undefined, { description: 'd' }, false],
    ["a workflow's description", ['workflows', 'w', 'description'], 'a', 'b', false],
    ["a workflow's prompt (a lower layer's inline shell may go)", ['workflows', 'w', 'prompt'], 'a', 'b', true],
    ["a workflow's allowed-tools", ['workflows', 'w', 'allowed-tools'], [], ['Bash'], true],
    ['the security policy', ['security', 'mcp'], {}, { require_https: true }, false],
  ];
  cases.forEach(([what, path, a, b, expected]) => {
    it(`${expected ? 'renders for' : 'skips'} ${what}`, () => assert.equal(keyMayRun(path, a, b), expected));
  });

  it('renders for overlays and merge rules, skips members and access.yml', () => {
    assert.match(mayChangeExecutable(['projects/shop/files/output-styles/x.md'], []) ?? '', /files\/ overlay/);
    assert.match(mayChangeExecutable(['claude-env.yml'], [], { before: { merge: { arrays: {} } }, after: { merge: { arrays: { x: 'append' } } } }) ?? '', /merge rules/);
    assert.equal(mayChangeExecutable(['claude-env.yml'], [], { before: { merge: {}, drift: {} }, after: { merge: {}, drift: { severity: [] } } }), undefined);
    assert.equal(mayChangeExecutable(['teams/web/members.yml', 'access.yml'], []), undefined);
    assert.match(mayChangeExecutable(['projects/shop/claude-config.yml'], []) ?? '', /does not parse/);
    const doc = (before: unknown, after: unknown) => [{ path: 'environments/dev/teams.yml', before, after, parsed: true }];
    assert.equal(mayChangeExecutable(['environments/dev/teams.yml'], doc({ web: { settings: { model: 'a' } } }, { web: { settings: { model: 'b' } } })), undefined);
    assert.match(mayChangeExecutable(['environments/dev/teams.yml'], doc({}, { web: { settings: { hooks: {} } } })) ?? '', /^environments\/dev\/teams\.yml: /);
    assert.equal(mayChangeExecutable(['environments/dev/teams.yml'], doc({ web: {} }, { web: { settings: { hooks: {} } } })), 'environments/dev/teams.yml: settings');
  });
});

describe('widerCommandLayers', () => {
  it('says when claude-env.yml lets !secret cmd: run from more layers, not when it narrows them', () => {
    assert.match(widerCommandLayers({ secrets: { commands_from: ['base', 'environments'] } }, { secrets: { commands_from: ['base', 'environments', 'teams'] } }) ?? '', /base, environments → base, environments, teams/);
    assert.equal(widerCommandLayers({}, { secrets: { commands_from: ['base'] } }), undefined);
    assert.equal(widerCommandLayers({ secrets: { commands_from: ['base'] } }, {}), 'claude-env.yml secrets.commands_from: base → base, environments: !secret cmd: values of more layers run at apply');
  });
});
