/**
 * The security policy as data (base/security/*.yml, environments/<env>/security.yml),
 * checked by `claude-env validate` against the merged tree of every target:
 * one finding per place in the repo, naming how many targets it affects.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import type { Finding } from '../../src/vocabulary.js';
import { cli, fixture, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());


const REPO = fixture('policy-violations');

/** file:line:col of the `nth` occurrence of `needle` in a fixture file, as validate prints it. */
function at(file: string, needle: string, nth = 1): string {
  const text = readFileSync(join(REPO, file), 'utf8');
  let i = -1;
  for (let n = 0; n < nth; n++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, `${file} has ${needle}`);
  const before = text.slice(0, i);
  return `${file}:${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

describe('validate: security policy', () => {
  it('reports each violation once at its place, with the number of targets it affects', async () => {
    const r = await cli(['validate', '--repo', REPO, '--format', 'json', '--no-secret-scan']);
    // Policy violations are errors: exit 1.
    assert.equal(r.code, 1, r.stderr);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    // Nothing but the policy findings in this fixture.
    assert.deepEqual(findings.filter((f) => !f.rule.startsWith('policy-')), []);
    const got = findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule} ${f.message}`);
    const all = '(4 targets, e.g. development/web/ann/shop)';
    assert.deepEqual(got, [
      // The forbidden allow rule, at the list entry that allows it.
      `${at('base/config.yml', 'Bash(curl:*)')} error policy-forbidden-allow settings.permissions.allow has "Bash(curl:*)", which the security policy forbids (base/security/policy.yml:6) ${all}`,
      // Required deny rules, at the deny list of the targets that lack them; production requires one more.
      `${at('base/config.yml', 'deny:')} error policy-required-deny settings.permissions.deny lacks "Read(./secrets/**)", which the security policy requires (base/security/policy.yml:4) ${all}`,
      `${at('base/config.yml', 'deny:')} error policy-required-deny settings.permissions.deny lacks "Bash(kubectl delete:*)", which the security policy requires (environments/production/security.yml:3) (2 targets, e.g. production/web/ann/shop)`,
      // A credential-looking env variable with a plain value ($NPM_TOKEN-style references are fine).
      `${at('base/config.yml', 'not-a-real-token')} error policy-credential-plain settings.env "GITHUB_TOKEN" looks like a credential (pattern *_TOKEN) but holds a plain value; make it a !secret reference or an !encrypted value ${all}`,
      // An MCP server off the allowlist, at its definition; its plain http URL; its plain API key header.
      `${at('base/mcp/tracker.yml', 'http://')} error policy-mcp-allowlist MCP server "tracker" is not on the security policy's MCP allowlist (base/security/policy.yml:9) ${all}`,
      `${at('base/mcp/tracker.yml', 'http://')} error policy-mcp-https MCP server "tracker" is reached over http; the security policy requires https for remote servers ${all}`,
      `${at('base/mcp/tracker.yml', 'plain-key-value')} error policy-credential-plain MCP server "tracker" header "X-Api-Key" looks like a credential (pattern *_API_KEY) but holds a plain value; make it a !secret reference or an !encrypted value ${all}`,
      // A forbidden permission mode, in a persona and in development's defaultMode.
      `${at('base/personas/fixer.yml', 'bypassPermissions')} error policy-forbidden-mode persona "fixer" runs in permission mode "bypassPermissions", which the security policy forbids (base/security/policy.yml:7) ${all}`,
      `${at('environments/development/config.yml', 'bypassPermissions')} error policy-forbidden-mode permission mode "bypassPermissions" is forbidden by the security policy (base/security/policy.yml:7) (2 targets, e.g. development/web/ann/shop)`,
    ]);
  });

  it('lists every policy rule id in the SARIF rules, with a description', async () => {
    const r = await cli(['validate', '--repo', REPO, '--format', 'sarif', '--no-secret-scan']);
    const rules = (JSON.parse(r.stdout) as { runs: Array<{ tool: { driver: { rules: Array<{ id: string; shortDescription: { text: string } }> } } }> }).runs[0]!.tool.driver.rules;
    for (const id of ['policy-required-deny', 'policy-forbidden-allow', 'policy-forbidden-mode', 'policy-mcp-allowlist', 'policy-mcp-https', 'policy-credential-plain', 'secret-detected']) {
      const rule = rules.find((x) => x.id === id);
      assert.ok(rule && rule.shortDescription.text.length > 20, id);
    }
  });

  it('finds no policy violation in the seed repo, whose policy is strict', async () => {
    const dir = join(tmp.dir, 'seed');
    await initRepo(dir, { PATH: process.env['PATH'] });
    const r = await cli(['validate', '--repo', dir, '--format', 'json', '--no-secret-scan']);
    assert.equal(r.code, 0);
    assert.deepEqual((JSON.parse(r.stdout) as { findings: Finding[] }).findings, []);
    // The seed does have a policy of every kind, so each rule had something to check.
    const policy = ['permissions', 'mcp', 'env'].map((p) => readFileSync(join(dir, 'base/security', `${p}.yml`), 'utf8')).join('\n');
    for (const key of ['required_deny', 'forbidden_allow', 'forbidden_modes', 'allowlist', 'require_https', 'credential_patterns']) assert.ok(policy.includes(`${key}:`), key);

    // One user who turns on bypassPermissions: one finding, for that user's targets only (2 projects × 3 environments).
    mkdirSync(join(dir, 'users/carol'), { recursive: true });
    writeFileSync(join(dir, 'users/carol/overrides.yml'), 'settings:\n  permissions:\n    defaultMode: bypassPermissions\n');
    const bad = await cli(['validate', '--repo', dir, '--no-secret-scan']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^users\/carol\/overrides\.yml:3:18  error  policy-forbidden-mode  permission mode "bypassPermissions" is forbidden by the security policy \(base\/security\/permissions\.yml:\d+\) \(6 targets, e\.g\. development\/[a-z-]+\/carol\/[a-z-]+\)\n1 error\(s\), 0 warning\(s\)\n$/);
  });

  it('ranks drift of policy keys as critical: the permission mode, and an MCP server off the allowlist that a developer added', async () => {
    const dir = join(tmp.dir, 'drift');
    await initRepo(dir, { PATH: process.env['PATH'] });
    const home = join(tmp.dir, 'drift-home');
    mkdirSync(home);
    const run = (args: string[]) => cli([...args, '--repo', dir, '--env', 'development', '--user', 'alice', '--home', home], { env: { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'Bearer test-token' } });
    assert.equal((await run(['apply'])).code, 0);
    // The developer switches the permission mode by hand and adds a server that is not on the allowlist with `claude mcp add`.
    const settingsFile = join(home, '.claude', 'settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    settings.permissions.defaultMode = 'bypassPermissions';
    writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
    const claudeJson = join(home, '.claude.json');
    const state = JSON.parse(readFileSync(claudeJson, 'utf8'));
    state.mcpServers['shady-tools'] = { type: 'stdio', command: 'npx', args: ['-y', 'shady-mcp'] };
    writeFileSync(claudeJson, JSON.stringify(state, null, 2));
    const r = await run(['drift', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const items = (JSON.parse(r.stdout) as { items: Array<{ path: string; severity: string; category: string }> }).items;
    const rank = (path: string) => {
      const item = items.find((i) => i.path === path);
      return item && `${item.severity} ${item.category}`;
    };
    assert.equal(rank('settings.permissions.defaultMode'), 'critical security-policy');
    assert.equal(rank('mcpServers.shady-tools'), 'critical security-policy');
  });
});
