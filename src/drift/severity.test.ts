/** Severity and category of drift items: the seed's defaults, the repo's rules, and the risk level. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_BY_SEVERITY, classifier, defaultClassification, riskLevel, worstSeverity, type Classifiable } from './severity.js';
import type { DriftKind } from './types.js';

const item = (path: string, value: unknown = 'x', kind: DriftKind = 'modified'): Classifiable => ({ segments: path.split('.'), kind, value });

describe('defaultClassification', () => {
  const table: Array<[string, unknown, DriftKind, string, string]> = [
    ['settings.permissions.deny', ['Read(./.env)'], 'modified', 'critical', 'security-policy'],
    ['settings.permissions.deny', ['Read(./.env)'], 'missing', 'critical', 'security-policy'],
    ['security.mcp.allowlist', ['memory'], 'modified', 'critical', 'security-policy'],
    ['mcpServers.memory', 'up', 'down', 'critical', 'mcp-server'],
    ['settings', undefined, 'corrupt', 'critical', 'configuration'],
    ['settings.permissions.allow', ['Bash(ls)'], 'modified', 'high', 'team-permissions'],
    ['settings.permissions.defaultMode', 'bypassPermissions', 'modified', 'critical', 'security-policy'],
    ['settings.permissions.disableBypassPermissionsMode', 'disable', 'missing', 'critical', 'security-policy'],
    ['settings.permissions.additionalDirectories', ['../x'], 'modified', 'high', 'team-permissions'],
    ['settings.env.LOG_LEVEL', 'debug', 'modified', 'high', 'environment-inconsistency'],
    ['settings.model', 'opus', 'modified', 'medium', 'version'],
    ['mcpServers.memory.version', '1.2.0', 'modified', 'medium', 'version'],
    ['mcpServers.memory.args', ['-y', 'memory@1'], 'modified', 'medium', 'version'],
    ['settings.alwaysThinkingEnabled', true, 'modified', 'medium', 'feature-flag'],
    ['settings.cleanupPeriodDays', 30, 'missing', 'medium', 'threshold'],
    ['settings.theme', 'dark', 'modified', 'low', 'user-preference'],
    ['settings.editorMode', 'vim', 'modified', 'low', 'user-preference'],
    ['settings.outputStyle', 'Explanatory', 'modified', 'low', 'user-preference'],
    ['settings.spinnerTipsEnabled', false, 'modified', 'low', 'user-preference'],
    ['settings.verbose', true, 'modified', 'low', 'user-preference'],
    ['settings.permissions.ask', ['Bash(rm:*)'], 'extra', 'low', 'user-preference'],
    ['mcpServers.mine', { command: 'x' }, 'extra', 'low', 'user-preference'],
    ['settings.statusLine.command', 'status.sh', 'modified', 'high', 'configuration'],
    ['mcpServers.memory.command', 'npx', 'modified', 'high', 'configuration'],
    ['personas.reviewer', { sha256: 'ab', bytes: 2 }, 'missing', 'high', 'configuration'],
    ['instructions', { sha256: 'ab', bytes: 2 }, 'modified', 'high', 'configuration'],
  ];
  for (const [path, value, kind, severity, category] of table) {
    it(`ranks ${kind} ${path} as ${severity} ${category}`, () => {
      assert.deepEqual({ ...defaultClassification(item(path, value, kind)) }, { severity, category });
    });
  }
});

describe('classifier with claude-env.yml drift.severity rules', () => {
  it('lets the first matching rule win over the defaults', () => {
    const classify = classifier([
      { path: 'settings.model', severity: 'critical', category: 'version-pin' },
      { path: 'settings.env.*', severity: 'low', category: 'environment-inconsistency' },
      { path: 'settings.env.REGION', severity: 'critical' },
    ]);
    assert.deepEqual({ ...classify(item('settings.model', 'opus')) }, { severity: 'critical', category: 'version-pin' });
    assert.deepEqual({ ...classify(item('settings.env.REGION', 'eu')) }, { severity: 'low', category: 'environment-inconsistency' });
    assert.deepEqual({ ...classify(item('settings.permissions.deny', [])) }, { severity: 'critical', category: 'security-policy' });
  });

  it('keeps the default category when a rule names only a severity', () => {
    const classify = classifier([{ path: 'settings.permissions.**', severity: 'medium' }]);
    assert.deepEqual({ ...classify(item('settings.permissions.allow', [])) }, { severity: 'medium', category: 'team-permissions' });
    assert.deepEqual({ ...classify(item('settings.permissions.deny', [])) }, { severity: 'medium', category: 'security-policy' });
  });

  it('matches a file path as one key, so `files.*` covers files in sub-folders', () => {
    const classify = classifier([{ path: 'files.*', severity: 'low', category: 'framework' }]);
    assert.deepEqual({ ...classify({ segments: ['files', 'hooks/fmt.sh'], kind: 'modified', value: {} }) }, { severity: 'low', category: 'framework' });
    assert.equal(classify({ segments: ['files', 'a', 'b'], kind: 'modified', value: {} }).severity, 'high');
  });

  it('applies rules to a broken file and to extras too', () => {
    const classify = classifier([
      { path: 'settings', severity: 'high' },
      { path: 'mcpServers.*', severity: 'medium', category: 'unapproved-server' },
    ]);
    assert.deepEqual({ ...classify(item('settings', undefined, 'corrupt')) }, { severity: 'high', category: 'configuration' });
    assert.deepEqual({ ...classify(item('mcpServers.mine', {}, 'extra')) }, { severity: 'medium', category: 'unapproved-server' });
  });
});

describe('classifier with the security policy', () => {
  const policy = { mcpServerAllowed: (name: string) => name === 'memory' };
  const extra = (name: string) => ({ segments: ['mcpServers', name], kind: 'extra' as const, value: { command: 'npx' } });

  it('ranks an added MCP server that is off the allowlist as critical, over the repo rules', () => {
    const classify = classifier([{ path: 'mcpServers.**', severity: 'high', category: 'configuration' }], policy);
    assert.deepEqual({ ...classify(extra('shady')) }, { severity: 'critical', category: 'security-policy' });
  });

  it('leaves an added server on the allowlist, and changes inside managed servers, to the rules and defaults', () => {
    const classify = classifier([{ path: 'mcpServers.**', severity: 'high', category: 'configuration' }], policy);
    assert.deepEqual({ ...classify(extra('memory')) }, { severity: 'high', category: 'configuration' });
    assert.deepEqual({ ...classifier([], policy)(extra('memory')) }, { severity: 'low', category: 'user-preference' });
    assert.deepEqual({ ...classifier([], policy)(item('mcpServers.shady.command', 'x')) }, { severity: 'high', category: 'configuration' });
  });
});

describe('risk level', () => {
  it('is the worst item severity, none without items', () => {
    assert.equal(worstSeverity([]), 'none');
    assert.equal(worstSeverity(['low', 'high', 'medium']), 'high');
    assert.equal(worstSeverity(['critical', 'low']), 'critical');
  });

  const table: Array<[Parameters<typeof riskLevel>[0], number, string]> = [
    ['none', 0, 'none'],
    ['low', 10, 'low'],
    ['low', 10.5, 'high'],
    ['medium', 10.01, 'high'],
    ['critical', 10.5, 'critical'],
    ['high', 25, 'high'],
    ['low', 25, 'high'],
    ['low', 25.01, 'critical'],
    ['medium', 100, 'critical'],
  ];
  for (const [worst, pct, risk] of table) {
    it(`is ${risk} for a worst item of ${worst} at ${pct} %`, () => assert.equal(riskLevel(worst, pct), risk));
  }
});

describe('remediation action', () => {
  it('restores critical items now, corrects and re-validates high, schedules medium, reports low', () => {
    assert.deepEqual({ ...ACTION_BY_SEVERITY }, { critical: 'restore-now', high: 'correct-and-revalidate', medium: 'correct-on-schedule', low: 'report-only' });
  });
});
