/**
 * Table tests of the shipped schemas: a valid example of every kind passes,
 * and each kind's typical mistakes give exactly the issues a user should see.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import {
  KNOWN_PERMISSIONS_KEYS,
  KNOWN_SETTINGS_KEYS,
  MANAGED_ONLY_SETTINGS_KEYS,
  SchemaContext,
  SCHEMA_KINDS,
  sharedSchemas,
  shippedSchema,
  validateDocument,
  type SchemaIssue,
  type SchemaKind,
} from './index.js';

const SECRET = '«secret:env:GITHUB_TOKEN»';

const VALID: Record<SchemaKind, unknown> = {
  'repo-settings': {
    version: 1,
    environments: ['development', 'staging', 'production'],
    merge: {
      arrays: {
        'settings.permissions.allow': 'unique',
        instructions: 'append',
        'workflows.*.steps': { 'merge-by-key': 'name' },
      },
    },
    drift: { severity: [{ path: 'settings.permissions.deny', severity: 'critical', category: 'security-policy' }] },
    secrets: { age: { recipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'] }, allow: [{ fingerprint: 'sha256:0123456789abcdef', reason: 'the public sample key of the docs' }] },
    rollout: {
      development: { strategy: 'immediate' },
      production: {
        strategy: 'canary',
        steps: [10, 50, 100],
        pause: '10m',
        max_failure_rate: 0.05,
        approval: { roles: ['team_lead', 'security_reviewer'], count: 2 },
      },
    },
    schedules: { drift: ['0 8-18/2 * * 1-5', '0 0,6,12,18 * * 0,6', '@daily'] },
    notifications: [
      { type: 'slack', url_secret: SECRET, on: ['drift.critical', 'rollout.failed'] },
      { type: 'teams', url_secret: '«secret:age:0123456789abcdef»', on: ['rollout.awaiting-approval'] },
      { type: 'webhook', url: 'https://hooks.example.com/claude-env', secret: SECRET, headers: { 'X-Team': 'platform' }, on: ['*'] },
      { type: 'email', smtp_secret: SECRET, from: 'claude-env@example.com', to: ['platform@example.com'], subject_prefix: '[claude-env]', on: ['rollout.awaiting-approval'] },
      { type: 'email', smtp: 'smtp://relay.example.com:25', from: 'claude-env@example.com', to: ['oncall@example.com'], on: ['mcp.down'] },
    ],
  },
  access: {
    roles: {
      admin: { permissions: ['*'], members: ['team:devops-team', 'alice'] },
      developer: {
        description: 'writes workflows',
        permissions: ['teams/{their-team}/workflows.yml:write', '**:read'],
        auto_approvals: ['minor'],
      },
      team_lead: { permissions: ['**:read'], approval_power: ['team-changes'] },
    },
    change_classes: {
      security: { paths: ['**/security.yml'], keys: ['settings.permissions.**'], approvals: { roles: ['security_reviewer'], count: 1 } },
      minor: { paths: ['**'], approvals: { count: 0 } },
    },
  },
  config: {
    settings: {
      $schema: 'https://json.schemastore.org/claude-code-settings.json',
      model: 'sonnet',
      permissions: {
        allow: ['Bash(npm run test:*)', 'Read(./src/**)'],
        deny: ['Read(./.env)', 'WebFetch(domain:example.com)'],
        defaultMode: 'acceptEdits',
        disableBypassPermissionsMode: 'disable',
        someFuturePermissionsKey: true,
      },
      env: { NODE_ENV: 'development', http_proxy: 'http://proxy:3128', API_TOKEN: SECRET },
      hooks: {
        PreToolUse: [
          {
            matcher: 'Edit|Write',
            hooks: [{ type: 'command', command: '"$CLAUDE_PROJECT_DIR"/.claude/fmt.sh', timeout: 30 }],
          },
        ],
        SessionStart: [
          { matcher: 'startup', hooks: [{ type: 'prompt', prompt: 'Check $ARGUMENTS' }] },
          { hooks: [{ type: 'http', url: 'https://hooks.example.com', headers: { 'X-Token': '$TOKEN' } }] },
          { hooks: [{ type: 'mcp_tool', server: 'memory', tool: 'save', input: { note: '${cwd}' } }] },
          { hooks: [{ type: 'agent', prompt: 'Verify the build', timeout: 60 }] },
        ],
      },
      cleanupPeriodDays: 30,
      attribution: { commit: '', pr: 'Generated with Claude Code', sessionUrl: false },
      statusLine: { type: 'command', command: '~/.claude/statusline.sh', padding: 0 },
      enableAllProjectMcpServers: false,
      enabledMcpjsonServers: ['github'],
      allowedMcpServers: [{ serverName: 'github' }, { serverCommand: ['npx', 'server'] }, { serverUrl: 'https://*.example.com/*' }],
      theme: 'dark',
      editorMode: 'vim',
      verbose: false,
      fallbackModel: ['opus', 'haiku'],
      enabledPlugins: { 'formatter@acme': true },
      skillOverrides: { deploy: 'name-only' },
      aSettingFromANewerClaude: { anything: 1 },
    },
    mcpServers: { github: { enabled: false }, memory: { env: { MEMORY_DIR: '/tmp/memory' } } },
    personas: { reviewer: { model: 'opus' } },
    workflows: { review: { steps: [{ name: 'lint', $delete: true }] } },
    instructions: ['Use TypeScript strict mode.', 'Never commit secrets.'],
    security: { permissions: { required_deny: ['Read(./.env)'] } },
  },
  'mcp-server': {
    type: 'stdio',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-github'],
    env: { GITHUB_TOKEN: SECRET },
    timeout: 30000,
    enabled: true,
    expect: { tools: ['search_repositories'], min_tools: 1, max_latency_ms: 2000 },
    description: 'GitHub access',
  },
  'mcp-servers': {
    github: { enabled: false },
    docs: { type: 'http', url: 'https://docs.example.com/mcp', headers: { Authorization: SECRET } },
  },
  persona: {
    description: 'Reviews code for correctness',
    prompt: 'You are a careful reviewer.',
    tools: ['Read', 'Grep'],
    model: 'opus',
    disallowedTools: 'Bash',
    permissionMode: 'plan',
    maxTurns: 20,
    skills: ['review'],
    effort: 'high',
    color: 'blue',
  },
  personas: { reviewer: { tools: 'Read, Grep' }, 'security-auditor': { description: 'Audits', prompt: 'Audit.' } },
  workflows: {
    review: {
      description: 'Review the current diff',
      'allowed-tools': ['Bash(git diff:*)', 'Read'],
      'argument-hint': '[branch]',
      model: 'sonnet',
      prompt: 'Review $ARGUMENTS',
      persona: 'reviewer',
    },
    release: { steps: [{ name: 'test', prompt: 'Run the tests' }, { name: 'tag', persona: 'releaser' }] },
  },
  security: {
    permissions: {
      required_deny: ['Read(./.env)', 'Bash(curl:*)'],
      forbidden_allow: ['Bash(rm -rf:*)'],
      forbidden_modes: ['bypassPermissions'],
    },
    mcp: { allowlist: [{ name: 'github' }, { command: 'npx' }, { url: 'https://*.example.com/*' }], require_https: true },
    env: { credential_patterns: ['*_TOKEN', '*_KEY'], credentials_must_be_secret: true },
    enforce: { settings: { permissions: { disableBypassPermissionsMode: 'disable' }, allowManagedHooksOnly: true } },
  },
  'environment-teams': { 'web-team': { settings: { model: 'opus' }, mcpServers: { github: { enabled: true } } } },
  members: [
    { user: 'alice', role: 'team_lead', projects: ['web-application'], name: 'Alice', email: 'alice@example.com' },
    { user: 'bob.smith', role: 'developer' },
  ],
  merged: {
    settings: { model: 'sonnet', statusLine: { type: 'command', command: 'status.sh' } },
    mcpServers: {
      github: { command: 'npx', args: ['server'], enabled: true, expect: { min_tools: 1 } },
      docs: { type: 'sse', url: 'https://docs.example.com/sse' },
    },
    personas: { reviewer: { description: 'Reviews', prompt: 'Review.' } },
    workflows: { review: { prompt: 'Review' }, release: { steps: [{ name: 'test' }] } },
    instructions: ['Be brief.'],
    security: { mcp: { require_https: true } },
    files: { 'hooks/fmt.sh': '#!/bin/sh\n' },
  },
};

interface Case {
  /** What the user sees, in words. */
  name: string;
  kind: SchemaKind;
  value: unknown;
  issues: Pick<SchemaIssue, 'pointer' | 'key' | 'message'>[];
}

const unknownKey = (pointer: string, key: string, suggestion?: string) => ({
  pointer,
  key,
  message: `unknown key "${key}"${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`,
});
const missingKey = (pointer: string, key: string) => ({ pointer, key, message: `missing key "${key}"` });
const at = (pointer: string, message: string) => ({ pointer, message });
const MODES = 'must be one of: default, acceptEdits, plan, auto, dontAsk, bypassPermissions';
const EVENTS = 'sync.succeeded, sync.failed, rollout.started, rollout.step, rollout.awaiting-approval, rollout.approved, rollout.paused, rollout.failed, rollout.rolled-back, rollout.completed, drift.critical, drift.high, mcp.down, machine.enrolled, machine.stale, fleet.frozen, fleet.unfrozen, sync.held, backup.failed';
const NOT_SECRET = 'must be a !secret or !encrypted value; a key or a URL with a token never goes into the repo in clear';
const URL_NEEDS_TYPE = 'needs type: http or sse; without it Claude Code reads the entry as stdio and skips it';

const CASES: Case[] = [
  // claude-env.yml
  { name: 'claude-env.yml: a misspelt top-level key is an unknown key, with a suggestion', kind: 'repo-settings', value: { version: 1, environmentz: ['dev'] }, issues: [unknownKey('', 'environmentz', 'environments')] },
  { name: 'claude-env.yml: an unknown key deep inside rollout is an error too', kind: 'repo-settings', value: { version: 1, rollout: { production: { strategy: 'canary', stepz: [10] } } }, issues: [unknownKey('/rollout/production', 'stepz', 'steps')] },
  { name: 'claude-env.yml: without version', kind: 'repo-settings', value: { environments: ['dev'] }, issues: [missingKey('', 'version')] },
  { name: 'claude-env.yml: version 2', kind: 'repo-settings', value: { version: 2 }, issues: [at('/version', 'must be 1')] },
  { name: 'claude-env.yml: an unknown rollout strategy lists the strategies', kind: 'repo-settings', value: { version: 1, rollout: { staging: { strategy: 'big-bang' } } }, issues: [at('/rollout/staging/strategy', 'must be one of: immediate, staged, canary, blue-green')] },
  { name: 'claude-env.yml: a misspelt array strategy lists the strategies', kind: 'repo-settings', value: { version: 1, merge: { arrays: { instructions: 'uniq' } } }, issues: [at('/merge/arrays/instructions', 'must be one of: replace, append, unique')] },
  { name: 'claude-env.yml: merge_by_key instead of merge-by-key', kind: 'repo-settings', value: { version: 1, merge: { arrays: { 'workflows.*.steps': { merge_by_key: 'name' } } } }, issues: [missingKey('/merge/arrays/workflows.*.steps', 'merge-by-key'), unknownKey('/merge/arrays/workflows.*.steps', 'merge_by_key', 'merge-by-key')] },
  { name: 'claude-env.yml: a strategy that is neither a word nor an object', kind: 'repo-settings', value: { version: 1, merge: { arrays: { instructions: 3 } } }, issues: [at('/merge/arrays/instructions', 'must be replace, append, unique or {merge-by-key: <field>}')] },
  { name: 'claude-env.yml: a failure rate above 1', kind: 'repo-settings', value: { version: 1, rollout: { production: { strategy: 'canary', max_failure_rate: 5 } } }, issues: [at('/rollout/production/max_failure_rate', 'must be at most 1')] },
  { name: 'claude-env.yml: a canary step above 100', kind: 'repo-settings', value: { version: 1, rollout: { production: { strategy: 'canary', steps: [10, 150] } } }, issues: [at('/rollout/production/steps/1', 'must be at most 100')] },
  { name: 'claude-env.yml: a pause in words', kind: 'repo-settings', value: { version: 1, rollout: { production: { strategy: 'canary', pause: '10 minutes' } } }, issues: [at('/rollout/production/pause', 'must be a duration such as 30s, 10m or 1h30m')] },
  { name: 'claude-env.yml: a cron line with 4 fields', kind: 'repo-settings', value: { version: 1, schedules: { drift: ['0 8 * *'] } }, issues: [at('/schedules/drift/0', 'must be a cron expression of 5 fields, such as "0 8-18/2 * * 1-5"')] },
  { name: 'claude-env.yml: a notification without url or url_secret', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'slack', on: ['drift.critical'] }] }, issues: [at('/notifications/0', 'needs exactly one of: url, url_secret')] },
  { name: 'claude-env.yml: a notification with both url and url_secret', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'teams', url: 'https://x.example.com/hook', url_secret: SECRET, on: ['*'] }] }, issues: [at('/notifications/0', 'needs exactly one of: url, url_secret')] },
  { name: 'claude-env.yml: a misspelt event lists the events', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'slack', url_secret: SECRET, on: ['rollout.fail'] }] }, issues: [at('/notifications/0/on/0', `must be "*" or an event: ${EVENTS}`)] },
  { name: 'claude-env.yml: a notification with no events', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'slack', url_secret: SECRET, on: [] }] }, issues: [at('/notifications/0/on', 'must not be empty')] },
  { name: 'claude-env.yml: an unknown notification type lists the types', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'pager', url: 'https://x.example.com', on: ['*'] }] }, issues: [at('/notifications/0/type', 'must be one of: slack, teams, webhook, email')] },
  { name: 'claude-env.yml: a url_secret written in clear is refused', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'slack', url_secret: 'https://hooks.slack.com/services/T0/B0/abc', on: ['*'] }] }, issues: [at('/notifications/0/url_secret', NOT_SECRET)] },
  { name: 'claude-env.yml: a webhook HMAC key written in clear is refused', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'webhook', url: 'https://hooks.example.com/x', secret: 'hunter2', on: ['*'] }] }, issues: [at('/notifications/0/secret', NOT_SECRET)] },
  { name: 'claude-env.yml: an HMAC key on a slack channel is only for webhooks', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'slack', url_secret: SECRET, secret: SECRET, on: ['*'] }] }, issues: [at('/notifications/0/secret', 'is only for type: webhook')] },
  { name: 'claude-env.yml: a misspelt notification key, with a suggestion', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'webhook', url: 'https://hooks.example.com/x', secrte: SECRET, on: ['*'] }] }, issues: [unknownKey('/notifications/0', 'secrte', 'secret')] },
  { name: 'claude-env.yml: an email channel without smtp, from or to', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'email', on: ['*'] }] }, issues: [at('/notifications/0', 'needs exactly one of: smtp_secret, smtp'), missingKey('/notifications/0', 'from'), missingKey('/notifications/0', 'to')] },
  { name: 'claude-env.yml: an email channel with a url', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'email', smtp_secret: SECRET, from: 'a@example.com', to: ['b@example.com'], url: 'https://x.example.com', on: ['*'] }] }, issues: [at('/notifications/0/url', 'is only for slack, teams and webhook')] },
  { name: 'claude-env.yml: an email channel with nobody to send to', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'email', smtp_secret: SECRET, from: 'a@example.com', to: [], on: ['*'] }] }, issues: [at('/notifications/0/to', 'must not be empty')] },
  { name: 'claude-env.yml: an email recipient that is not an address', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'email', smtp_secret: SECRET, from: 'a@example.com', to: ['platform team'], on: ['*'] }] }, issues: [at('/notifications/0/to/0', 'must be an email address such as platform@example.com')] },
  { name: 'claude-env.yml: an smtp URL with a password in clear is refused', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'email', smtp: 'smtp://user:pass@mail.example.com:587', from: 'a@example.com', to: ['b@example.com'], on: ['*'] }] }, issues: [at('/notifications/0/smtp', 'must be an smtp:// or smtps:// URL without a password (one with a password goes in smtp_secret)')] },
  { name: 'claude-env.yml: smtp fields on a webhook are only for email', kind: 'repo-settings', value: { version: 1, notifications: [{ type: 'webhook', url: 'https://hooks.example.com/x', from: 'a@example.com', on: ['*'] }] }, issues: [at('/notifications/0/from', 'is only for type: email')] },
  { name: 'claude-env.yml: a drift rule without severity', kind: 'repo-settings', value: { version: 1, drift: { severity: [{ path: 'settings.model' }] } }, issues: [missingKey('/drift/severity/0', 'severity')] },
  { name: 'claude-env.yml: an environment listed twice', kind: 'repo-settings', value: { version: 1, environments: ['dev', 'dev'] }, issues: [at('/environments', 'must not list "dev" twice')] },
  { name: 'claude-env.yml: a secrets.allow entry with no reason', kind: 'repo-settings', value: { version: 1, secrets: { allow: [{ fingerprint: 'sha256:0123456789abcdef' }] } }, issues: [missingKey('/secrets/allow/0', 'reason')] },
  { name: 'claude-env.yml: a secrets.allow fingerprint of another form', kind: 'repo-settings', value: { version: 1, secrets: { allow: [{ fingerprint: 'abc', reason: 'x' }] } }, issues: [at('/secrets/allow/0/fingerprint', 'must be a fingerprint as validate prints it: sha256: and 16 hex digits')] },
  { name: 'claude-env.yml: an age recipient that is not age1…', kind: 'repo-settings', value: { version: 1, secrets: { age: { recipients: ['ssh-rsa AAAA'] } } }, issues: [at('/secrets/age/recipients/0', 'must be an age recipient (age1…)')] },

  // access.yml
  { name: 'access.yml: a misspelt role key', kind: 'access', value: { roles: { admin: { permissions: ['*'], member: ['alice'] } } }, issues: [unknownKey('/roles/admin', 'member', 'members')] },
  { name: 'access.yml: a grant without :read or :write', kind: 'access', value: { roles: { dev: { permissions: ['teams/**'] } } }, issues: [at('/roles/dev/permissions/0', 'must be "<glob>:read", "<glob>:write" or "*"')] },
  { name: 'access.yml: a role without permissions', kind: 'access', value: { roles: { dev: { members: ['bob'] } } }, issues: [missingKey('/roles/dev', 'permissions')] },
  { name: 'access.yml: a change class without approvals', kind: 'access', value: { roles: {}, change_classes: { minor: { paths: ['**'] } } }, issues: [missingKey('/change_classes/minor', 'approvals')] },
  { name: 'access.yml: an unknown top-level key', kind: 'access', value: { roles: {}, approvers: [] }, issues: [unknownKey('', 'approvers')] },

  // config documents and the settings inside them
  { name: 'config: a misspelt section', kind: 'config', value: { setings: { model: 'opus' } }, issues: [unknownKey('', 'setings', 'settings')] },
  { name: 'config: files is a folder, not a YAML section', kind: 'config', value: { files: { a: 'b' } }, issues: [unknownKey('', 'files')] },
  { name: 'settings: a bad defaultMode lists the modes', kind: 'config', value: { settings: { permissions: { defaultMode: 'bogus' } } }, issues: [at('/settings/permissions/defaultMode', MODES)] },
  { name: 'settings: cleanupPeriodDays 0', kind: 'config', value: { settings: { cleanupPeriodDays: 0 } }, issues: [at('/settings/cleanupPeriodDays', 'must be at least 1')] },
  { name: 'settings: cleanupPeriodDays "abc"', kind: 'config', value: { settings: { cleanupPeriodDays: 'abc' } }, issues: [at('/settings/cleanupPeriodDays', 'must be integer')] },
  { name: 'settings: a boolean written as "yes"', kind: 'config', value: { settings: { verbose: 'yes' } }, issues: [at('/settings/verbose', 'must be boolean')] },
  { name: 'settings: an env value that is a list', kind: 'config', value: { settings: { env: { DEBUG: [1] } } }, issues: [at('/settings/env/DEBUG', 'must be string or number')] },
  { name: 'settings: an env name with a dash', kind: 'config', value: { settings: { env: { 'MY-VAR': 'x' } } }, issues: [{ pointer: '/settings/env', key: 'MY-VAR', message: 'invalid environment variable name "MY-VAR": use letters, digits and "_", not starting with a digit' }] },
  { name: 'settings: a misspelt hook event, with a suggestion', kind: 'config', value: { settings: { hooks: { PreToolUs: [] } } }, issues: [{ pointer: '/settings/hooks', key: 'PreToolUs', message: 'unknown hook event "PreToolUs"; did you mean "PreToolUse"?' }] },
  { name: 'settings: a hook event that is not a list', kind: 'config', value: { settings: { hooks: { Stop: { hooks: [] } } } }, issues: [at('/settings/hooks/Stop', 'must be array')] },
  { name: 'settings: a matcher group without hooks', kind: 'config', value: { settings: { hooks: { Stop: [{ matcher: '*' }] } } }, issues: [missingKey('/settings/hooks/Stop/0', 'hooks')] },
  { name: 'settings: a command hook without command', kind: 'config', value: { settings: { hooks: { Stop: [{ hooks: [{ type: 'command' }] }] } } }, issues: [missingKey('/settings/hooks/Stop/0/hooks/0', 'command')] },
  { name: 'settings: a hook without type', kind: 'config', value: { settings: { hooks: { Stop: [{ hooks: [{ command: 'x' }] }] } } }, issues: [missingKey('/settings/hooks/Stop/0/hooks/0', 'type')] },
  { name: 'settings: an unknown hook type lists the types', kind: 'config', value: { settings: { hooks: { Stop: [{ hooks: [{ type: 'shell', command: 'x' }] }] } } }, issues: [at('/settings/hooks/Stop/0/hooks/0/type', 'must be one of: command, prompt, agent, http, mcp_tool')] },
  { name: 'settings: a hook timeout of 0', kind: 'config', value: { settings: { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'x', timeout: 0 }] }] } } }, issues: [at('/settings/hooks/Stop/0/hooks/0/timeout', 'must be greater than 0')] },
  { name: 'settings: an MCP server rule with two keys', kind: 'config', value: { settings: { deniedMcpServers: [{ serverName: 'a', serverUrl: 'https://x' }] } }, issues: [at('/settings/deniedMcpServers/0', 'must have exactly one of: serverName, serverCommand, serverUrl')] },
  { name: 'settings: an MCP server rule with a bad name', kind: 'config', value: { settings: { allowedMcpServers: [{ serverName: 'bad.name' }] } }, issues: [at('/settings/allowedMcpServers/0/serverName', 'must be an MCP server name: letters, digits, "-" and "_"')] },
  { name: 'settings: four fallback models', kind: 'config', value: { settings: { fallbackModel: ['a', 'b', 'c', 'd'] } }, issues: [at('/settings/fallbackModel', 'must have at most 3 items')] },
  { name: 'settings: disableBypassPermissionsMode true instead of "disable"', kind: 'config', value: { settings: { permissions: { disableBypassPermissionsMode: true } } }, issues: [at('/settings/permissions/disableBypassPermissionsMode', 'must be "disable"')] },
  { name: 'config: instructions as one string', kind: 'config', value: { instructions: 'Be brief.' }, issues: [at('/instructions', 'must be array')] },
  { name: 'config: an MCP server name with a dot', kind: 'config', value: { mcpServers: { 'bad.name': { enabled: true } } }, issues: [{ pointer: '/mcpServers', key: 'bad.name', message: 'invalid MCP server name "bad.name": use letters, digits, "-" and "_" only' }] },
  { name: 'config: a persona name that is a path', kind: 'config', value: { personas: { '../evil': { model: 'opus' } } }, issues: [{ pointer: '/personas', key: '../evil', message: 'invalid name "../evil": use letters, digits, ".", "-" and "_", starting with a letter or digit' }] },

  // base/mcp/<name>.yml
  { name: 'mcp server: an http server without url', kind: 'mcp-server', value: { type: 'http' }, issues: [missingKey('', 'url')] },
  { name: 'mcp server: a url without type (Claude Code would skip it)', kind: 'mcp-server', value: { url: 'https://mcp.example.com' }, issues: [at('/url', URL_NEEDS_TYPE)] },
  { name: 'mcp server: an http server without type, with headers, gets one clear issue', kind: 'mcp-server', value: { url: 'https://mcp.example.com', headers: { Authorization: SECRET } }, issues: [at('/url', URL_NEEDS_TYPE)] },
  { name: 'mcp server: a stdio server with a url', kind: 'mcp-server', value: { type: 'stdio', command: 'npx', url: 'https://x' }, issues: [at('/url', URL_NEEDS_TYPE)] },
  { name: 'mcp server: a stdio server without command', kind: 'mcp-server', value: { args: ['server.js'] }, issues: [missingKey('', 'command')] },
  { name: 'mcp server: an empty command', kind: 'mcp-server', value: { command: '' }, issues: [at('/command', 'must not be empty')] },
  { name: 'mcp server: an http server with a command', kind: 'mcp-server', value: { type: 'http', url: 'https://x', command: 'npx' }, issues: [at('/command', 'is only for stdio servers; this one is remote (http, sse or ws)')] },
  { name: 'mcp server: a stdio server with headers', kind: 'mcp-server', value: { command: 'npx', headers: { A: 'b' } }, issues: [at('/headers', 'is only for http, sse and ws servers; set type: http, sse or ws')] },
  { name: 'mcp server: an unknown transport lists the transports', kind: 'mcp-server', value: { type: 'websocket', url: 'wss://x' }, issues: [at('/type', 'must be one of: stdio, http, streamable-http, sse, ws')] },
  { name: 'mcp server: a timeout of 0 ms', kind: 'mcp-server', value: { command: 'npx', timeout: 0 }, issues: [at('/timeout', 'must be at least 1')] },
  { name: 'mcp server: a timeout of 1.5 ms', kind: 'mcp-server', value: { command: 'npx', timeout: 1.5 }, issues: [at('/timeout', 'must be integer')] },
  { name: 'mcp server: a misspelt expect key', kind: 'mcp-server', value: { command: 'npx', expect: { min_tool: 1 } }, issues: [unknownKey('/expect', 'min_tool', 'min_tools')] },
  { name: 'mcp server: a misspelt key', kind: 'mcp-server', value: { comand: 'npx' }, issues: [missingKey('', 'command')] },

  // mcp-servers overlays
  { name: 'mcp-servers: an overlay may omit type, command and url', kind: 'mcp-servers', value: { github: { timeout: 60000 } }, issues: [] },
  { name: 'mcp-servers: a server name with a space', kind: 'mcp-servers', value: { 'my server': {} }, issues: [{ pointer: '', key: 'my server', message: 'invalid MCP server name "my server": use letters, digits, "-" and "_" only' }] },

  // personas
  { name: 'persona: without description', kind: 'persona', value: { prompt: 'Review.' }, issues: [missingKey('', 'description')] },
  { name: 'persona: without prompt', kind: 'persona', value: { description: 'Reviews' }, issues: [missingKey('', 'prompt')] },
  { name: 'persona: tools as a number', kind: 'persona', value: { description: 'd', prompt: 'p', tools: 3 }, issues: [at('/tools', 'must be a string or a list of strings')] },
  { name: 'persona: a tool list with a non-string', kind: 'persona', value: { description: 'd', prompt: 'p', tools: ['Read', 3] }, issues: [at('/tools/1', 'must be string')] },
  { name: 'persona: a bad permissionMode lists the modes', kind: 'persona', value: { description: 'd', prompt: 'p', permissionMode: 'yolo' }, issues: [at('/permissionMode', MODES)] },
  // Claude Code ignores agent and command fields it does not know: the schema keeps them (a look-alike of a field is validate's warning, frontmatter-unknown-key).
  { name: 'persona: an unknown key is kept', kind: 'persona', value: { description: 'd', prompt: 'p', category: 'engineering' }, issues: [] },
  { name: 'persona: the fields Claude Code reads are typed', kind: 'persona', value: { description: 'd', prompt: 'p', memory: 'team', background: 'yes' }, issues: [at('/memory', 'must be one of: user, project, local'), at('/background', 'must be boolean')] },
  { name: 'personas: an overlay may omit description and prompt', kind: 'personas', value: { reviewer: { model: 'haiku' } }, issues: [] },
  { name: 'personas: maxTurns 0', kind: 'personas', value: { reviewer: { maxTurns: 0 } }, issues: [at('/reviewer/maxTurns', 'must be at least 1')] },

  // workflows
  { name: 'workflows: a step without name', kind: 'workflows', value: { release: { steps: [{ prompt: 'Run tests' }] } }, issues: [missingKey('/release/steps/0', 'name')] },
  { name: 'workflows: an unknown key is kept', kind: 'workflows', value: { review: { 'x-owner': 'web', prompt: 'p' } }, issues: [] },
  { name: 'workflows: the fields Claude Code reads are typed', kind: 'workflows', value: { review: { 'user-invocable': 'no' } }, issues: [at('/review/user-invocable', 'must be boolean')] },
  { name: 'workflows: allowed-tools as a number', kind: 'workflows', value: { review: { 'allowed-tools': 1 } }, issues: [at('/review/allowed-tools', 'must be a string or a list of strings')] },

  // security
  { name: 'security: an allowlist entry with name and url', kind: 'security', value: { mcp: { allowlist: [{ name: 'a', url: 'https://x' }] } }, issues: [at('/mcp/allowlist/0', 'must have exactly one of: name, command, url')] },
  { name: 'security: an empty allowlist entry', kind: 'security', value: { mcp: { allowlist: [{}] } }, issues: [at('/mcp/allowlist/0', 'must have exactly one of: name, command, url')] },
  { name: 'security: a forbidden mode that is not a mode', kind: 'security', value: { permissions: { forbidden_modes: ['yolo'] } }, issues: [at('/permissions/forbidden_modes/0', MODES)] },
  { name: 'security: enforced settings are Claude Code settings', kind: 'security', value: { enforce: { settings: { permissions: { defaultMode: 'bogus' } } } }, issues: [at('/enforce/settings/permissions/defaultMode', MODES)] },
  { name: 'security: a misspelt key', kind: 'security', value: { permissions: { required_denies: [] } }, issues: [unknownKey('/permissions', 'required_denies', 'required_deny')] },

  // environments/<env>/teams.yml
  { name: 'environment teams: a misspelt section under a team', kind: 'environment-teams', value: { web: { setings: {} } }, issues: [unknownKey('/web', 'setings', 'settings')] },
  { name: 'environment teams: settings are checked too', kind: 'environment-teams', value: { web: { settings: { cleanupPeriodDays: 0 } } }, issues: [at('/web/settings/cleanupPeriodDays', 'must be at least 1')] },

  // members.yml
  { name: 'members: an entry without role', kind: 'members', value: [{ user: 'alice' }], issues: [missingKey('/0', 'role')] },
  { name: 'members: an entry without user', kind: 'members', value: [{ role: 'developer' }], issues: [missingKey('/0', 'user')] },
  { name: 'members: a user name with capitals', kind: 'members', value: [{ user: 'Alice', role: 'developer' }], issues: [at('/0/user', 'must be lower case letters, digits, ".", "-" and "_", starting with a letter or digit')] },
  { name: 'members: a bad email', kind: 'members', value: [{ user: 'alice', role: 'developer', email: 'alice' }], issues: [at('/0/email', 'must be a valid email')] },
  { name: 'members: a map instead of a list', kind: 'members', value: { alice: 'developer' }, issues: [at('', 'must be array')] },

  // the merged tree
  { name: 'merged: a persona without prompt', kind: 'merged', value: { personas: { reviewer: { description: 'Reviews' } } }, issues: [missingKey('/personas/reviewer', 'prompt')] },
  { name: 'merged: a server with a url but no type', kind: 'merged', value: { mcpServers: { docs: { url: 'https://x' } } }, issues: [at('/mcpServers/docs/url', URL_NEEDS_TYPE)] },
  { name: 'merged: a workflow with neither prompt nor steps', kind: 'merged', value: { workflows: { review: { description: 'Review' } } }, issues: [at('/workflows/review', 'needs a prompt or steps')] },
  { name: 'merged: a $delete marker left in a step', kind: 'merged', value: { workflows: { r: { steps: [{ name: 'a', $delete: true }] } } }, issues: [unknownKey('/workflows/r/steps/0', '$delete')] },
  { name: 'merged: a status line without command', kind: 'merged', value: { settings: { statusLine: { type: 'command' } } }, issues: [missingKey('/settings/statusLine', 'command')] },
  { name: 'merged: a file whose content is not text', kind: 'merged', value: { files: { 'a.sh': 1 } }, issues: [at('/files/a.sh', 'must be string')] },
  { name: 'merged: an unknown section', kind: 'merged', value: { instruction: [] }, issues: [unknownKey('', 'instruction', 'instructions')] },
];

const shown = (issues: SchemaIssue[]) =>
  issues.map(({ pointer, key, message }) => (key === undefined ? { pointer, message } : { pointer, key, message }));

describe('shipped schemas: valid documents pass', () => {
  it('has a valid example for every kind', () => {
    assert.deepEqual(Object.keys(VALID).sort(), [...SCHEMA_KINDS].sort());
  });
  for (const kind of SCHEMA_KINDS) {
    it(`a valid ${kind} document has no issues`, () => {
      assert.deepEqual(validateDocument(kind, VALID[kind]), []);
    });
  }
  it('a layer statusLine may leave type to a lower layer', () => {
    assert.deepEqual(validateDocument('config', { settings: { statusLine: { command: 'x' } } }), []);
  });
});

describe('shipped schemas: typical mistakes', () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.deepEqual(shown(validateDocument(c.kind, c.value)), c.issues);
    });
  }
});

describe('shipped schemas: shape', () => {
  it('every shipped and shared schema is a valid draft-07 schema', () => {
    const ajv = new Ajv({ strict: false });
    for (const schema of [...SCHEMA_KINDS.map(shippedSchema), ...sharedSchemas()]) {
      assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    }
  });
  it('reports the keyword with every issue', () => {
    const [issue] = validateDocument('persona', { prompt: 'p' });
    assert.equal(issue?.keyword, 'required');
  });
  it('knows the settings keys of CLAUDE-CODE.md, and not their typos', () => {
    for (const key of ['model', 'permissions', 'env', 'hooks', 'statusLine', 'claudeMd', 'voice', 'skipDangerousModePermissionPrompt']) {
      assert.ok(KNOWN_SETTINGS_KEYS.has(key), key);
    }
    assert.ok(!KNOWN_SETTINGS_KEYS.has('modle'));
    assert.ok(KNOWN_PERMISSIONS_KEYS.has('defaultMode') && !KNOWN_PERMISSIONS_KEYS.has('alow'));
    assert.ok([...MANAGED_ONLY_SETTINGS_KEYS].every((key) => KNOWN_SETTINGS_KEYS.has(key)));
  });
  it('importing the module loads no validator (start-up stays near Node\'s floor)', () => {
    const index = fileURLToPath(new URL('./index.js', import.meta.url));
    const script = `import { createRequire } from 'node:module';
      await import(${JSON.stringify(index)});
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/ajv'));
      process.stdout.write(String(loaded));`;
    assert.equal(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }), 'false');
  });
});

describe('org schemas', () => {
  it('an org schema applies on top of ours and names its file', () => {
    const schemas = new SchemaContext();
    schemas.addOrgSchema('config', { properties: { settings: { required: ['model'] } } }, 'schemas/config.schema.json');
    assert.deepEqual(schemas.validateDocument('config', { settings: {} }), [
      { pointer: '/settings', key: 'model', keyword: 'required', message: 'missing key "model"', source: 'schemas/config.schema.json' },
    ]);
    assert.deepEqual(schemas.validateDocument('persona', { description: 'd', prompt: 'p' }), []);
  });
  it('an org schema that does not compile is an error naming its file', () => {
    const schemas = new SchemaContext();
    assert.throws(
      () => schemas.addOrgSchema('config', { type: 'nonsense' }, 'schemas/bad.schema.json'),
      /schemas\/bad\.schema\.json: not a valid JSON Schema/,
    );
    assert.deepEqual(schemas.validateDocument('config', {}), []);
  });
  it('an org schema may not take the $id of ours, and ours keep working', () => {
    const schemas = new SchemaContext();
    const [shared] = sharedSchemas();
    assert.throws(
      () => schemas.addOrgSchema('config', { $id: shared?.$id, type: 'object' }, 'schemas/copy.schema.json'),
      /schemas\/copy\.schema\.json: .* is already used by another schema/,
    );
    assert.equal(schemas.validateDocument('merged', { settings: { cleanupPeriodDays: 0 } }).length, 1);
  });
  it('an org schema for a newer draft is an error naming its file', () => {
    assert.throws(
      () => new SchemaContext().addOrgSchema('config', { $schema: 'https://json-schema.org/draft/2020-12/schema' }, 'schemas/new.schema.json'),
      /schemas\/new\.schema\.json: not a valid JSON Schema \(draft-07\)/,
    );
  });
  it("belong to their context: another one, and ours alone, do not apply them, and may use the same $id", () => {
    const schema = { $id: 'https://example.com/org.json', properties: { instructions: { maxItems: 1 } } };
    const one = new SchemaContext();
    one.addOrgSchema('config', schema, 'schemas/config.schema.json');
    assert.equal(one.validateDocument('config', { instructions: ['a', 'b'] }).length, 1);
    const other = new SchemaContext();
    assert.deepEqual(other.validateDocument('config', { instructions: ['a', 'b'] }), []);
    assert.deepEqual(validateDocument('config', { instructions: ['a', 'b'] }), []);
    other.addOrgSchema('config', { ...schema, properties: { instructions: { maxItems: 3 } } }, 'schemas/config.schema.json');
    assert.deepEqual(other.validateDocument('config', { instructions: ['a', 'b'] }), []);
    assert.equal(one.validateDocument('config', { instructions: ['a', 'b'] }).length, 1);
  });
});
