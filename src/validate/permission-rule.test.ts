/**
 * Table tests of Claude Code permission-rule syntax: valid rules pass, and an
 * invalid rule gets the message a user sees in `claude-env validate`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPermissionRule } from './permission-rule.js';

const VALID = [
  'Bash',
  'Bash(npm run build)',
  'Bash(npm run test:*)',
  'Bash(git * main)',
  'Bash(ls*)',
  'Bash(echo \\(escaped)',
  'Bash(bash -c "echo (nested)")',
  'Read',
  'Read(./.env)',
  'Read(./secrets/**)',
  'Read(//Users/alice/secrets/**)',
  'Read(~/Documents/*.pdf)',
  'Read(/src/**)',
  'Read(src/*.ts)',
  'Edit(/src/**/*.ts)',
  'Write(./dist/**)',
  'NotebookEdit(./notebooks/*.ipynb)',
  'WebFetch',
  'WebFetch(domain:example.com)',
  'WebFetch(domain:*.example.com)',
  'WebSearch',
  'Agent(Explore)',
  'Skill(deploy)',
  'TodoWrite',
  'mcp__github',
  'mcp__github__*',
  'mcp__github__search_repositories',
  'mcp__my-server__get-page',
  'mcp__memory__create_entities',
];

/** What Claude Code 2.1.332 drops: an error. */
const INVALID: [rule: string, message: string][] = [
  ['', 'empty rule'],
  ['   ', 'empty rule'],
  [' Bash', 'leading or trailing whitespace'],
  ['Read(./.env) ', 'leading or trailing whitespace'],
  ['bash(ls)', 'tool name "bash" must start with an uppercase letter'],
  ['read', 'tool name "read" must start with an uppercase letter'],
  ['(ls)', 'missing tool name before "("'],
  ['Bash()', 'Bash() is invalid: give a specifier or write just Bash'],
  ['Read( )', 'Read() is invalid: give a specifier or write just Read'],
  ['Bash(ls', 'missing closing ")"'],
  ['Bash)', 'a ")" without its "("'],
  ['Bash(ls) && rm', 'text after the closing ")"'],
  ['Bash(npm:* run)', '":*" is allowed only at the end, as in Bash(npm run test:*)'],
  ['Bash(npm run:*:*)', '":*" is allowed only at the end, as in Bash(npm run test:*)'],
  ['Bash(:*)', '":*" needs a command prefix before it, as in Bash(npm run test:*)'],
  ['Read(src:*)', '":*" is Bash prefix syntax; Read takes a gitignore-style glob such as Read(./src/**)'],
  ['Edit(./src/:*)', '":*" is Bash prefix syntax; Edit takes a gitignore-style glob such as Edit(./src/**)'],
  ['Write(docs:*)', '":*" is Bash prefix syntax; Write takes a gitignore-style glob such as Write(./src/**)'],
  ['WebFetch(example.com)', 'WebFetch rules take domain:<host>, as in WebFetch(domain:example.com)'],
  ['WebFetch(domain:)', 'missing host after domain:'],
  ['WebFetch(domain:https://example.com)', 'domain "https://example.com" must be a host name, not a URL or path'],
  ['WebFetch(domain:example.com/docs)', 'domain "example.com/docs" must be a host name, not a URL or path'],
  ['mcp__github(search)', 'MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool'],
  ['mcp__github__search()', 'MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool'],
  ['mcp__', 'missing MCP server name after mcp__'],
  ['mcp____tool', 'missing MCP server name after mcp__'],
  ['mcp__github__', 'missing tool name after the server name'],
  ['mcp__*', 'a wildcard server name ("*") is not taken in allow rules; name the server, as in mcp__github__*'],
];

/** What Claude Code keeps but no tool can match: a warning. */
const DEAD: [rule: string, message: string][] = [
  ['Web Fetch', 'tool name "Web Fetch" has characters no tool name has; did you mean "WebFetch"?'],
  ['Web Search(*)', 'tool name "Web Search" has characters no tool name has; did you mean "WebSearch"?'],
  ['Bash-Tool', 'tool name "Bash-Tool" has characters no tool name has; did you mean "BashTool"?'],
  ['Bash (ls)', 'a space between the tool name and "(": the tool name is then "Bash ", which no tool has'],
  ['mcp__bad.name', 'MCP server name "bad.name" has characters no server name has (letters, digits, "-" and "_")'],
  ['mcp__github__get page', 'MCP tool name "get page" has characters no tool name has (letters, digits, "-" and "_")'],
];

/** Valid in a deny or ask list only, or in Claude Code though our older checker refused them. */
const VALID_IN_DENY = ['mcp__*', 'mcp__git*__push', 'mcp__github__search*', 'Bash(ls))', 'Bash(a(b)'];

describe('permission rules: valid', () => {
  for (const rule of VALID) {
    it(`${rule} is accepted`, () => assert.equal(checkPermissionRule(rule), undefined));
  }
  for (const rule of VALID_IN_DENY) {
    it(`${rule} is accepted in a deny list`, () => assert.equal(checkPermissionRule(rule, 'deny'), undefined));
  }
});

describe('permission rules: invalid', () => {
  for (const [rule, message] of INVALID) {
    it(`${JSON.stringify(rule)} says: ${message}`, () => assert.deepEqual(checkPermissionRule(rule), { severity: 'error', message }));
  }
});

describe('permission rules Claude Code keeps that match nothing', () => {
  for (const [rule, message] of DEAD) {
    it(`${JSON.stringify(rule)} warns: ${message}`, () => assert.deepEqual(checkPermissionRule(rule), { severity: 'warning', message }));
  }
});
