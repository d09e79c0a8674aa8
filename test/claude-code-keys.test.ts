/**
 * Our known keys against those of the installed Claude Code releases, the
 * newest on npm and the oldest we support (read from their executables:
 * test/support/claude-keys.ts): a release that adds a key fails here instead
 * of in a user's validate, as a warning or an error on a key that exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_PERMISSIONS_KEYS, KNOWN_SETTINGS_KEYS } from '../src/schema/index.js';
import { MCP_SERVER_PROPERTIES } from '../src/schema/mcp.js';
import { PERSONA_PROPERTIES } from '../src/schema/persona.js';
import { HOOK_TYPES } from '../src/schema/settings.js';
import { CLAUDE_PACKAGES, findClaudeBin } from './support/claude.js';
import { claudeKeys, type ClaudeKeys } from './support/claude-keys.js';

const unknownToUs = (known: Iterable<string>, keys: ReadonlySet<string>): string[] => {
  const ours = new Set(known);
  return [...keys].filter((k) => !ours.has(k)).sort();
};

/** Every list of ours beside the one Claude Code has, so one comparison covers them all. */
function gaps(theirs: ClaudeKeys, ours: { settings: Iterable<string>; permissions: Iterable<string>; mcp: Iterable<string>; hooks: Record<string, Iterable<string>>; agent: Iterable<string> }): Record<string, string[]> {
  const out: Record<string, string[]> = {
    settings: unknownToUs(ours.settings, theirs.settings),
    permissions: unknownToUs(ours.permissions, theirs.permissions),
    agent: unknownToUs(ours.agent, theirs.agent),
  };
  for (const [transport, keys] of Object.entries(theirs.mcpServers)) out[`mcpServers (${transport})`] = unknownToUs(ours.mcp, keys);
  for (const [type, keys] of Object.entries(theirs.hookHandlers)) out[`${type} hook`] = unknownToUs(ours.hooks[type] ?? [], keys);
  return Object.fromEntries(Object.entries(out).filter(([, missing]) => missing.length > 0));
}

const OURS = {
  settings: KNOWN_SETTINGS_KEYS,
  permissions: KNOWN_PERMISSIONS_KEYS,
  mcp: Object.keys(MCP_SERVER_PROPERTIES),
  hooks: Object.fromEntries(Object.entries(HOOK_TYPES).map(([type, props]) => [type, Object.keys(props)])),
  agent: Object.keys(PERSONA_PROPERTIES),
};

for (const [which, pkg] of Object.entries(CLAUDE_PACKAGES)) {
  const claude = findClaudeBin(pkg);
  const theirs = claudeKeys(claude.path);

  describe(`the keys of Claude Code ${claude.version} (the ${which} we support)`, () => {
    it('are read from the executable: the keys every release has are among them', () => {
      for (const k of ['$schema', 'permissions', 'hooks', 'model', 'env', 'statusLine', 'sandbox', 'enabledMcpjsonServers']) assert.ok(theirs.settings.has(k), `${k} not found: the reader no longer finds Claude Code's settings schema`);
      assert.ok(theirs.settings.size >= 40, `only ${theirs.settings.size} keys read`);
      for (const k of ['allow', 'deny', 'ask', 'defaultMode', 'additionalDirectories']) assert.ok(theirs.permissions.has(k), `permissions.${k} not found`);
      for (const type of ['command', 'prompt', 'agent']) assert.ok(theirs.hookHandlers[type]?.has('timeout'), `the ${type} hook's keys not found`);
      assert.ok(theirs.hookHandlers['command']!.has('command'));
      assert.deepEqual([...theirs.mcpServers.stdio].filter((k) => ['command', 'args', 'env'].includes(k)).sort(), ['args', 'command', 'env'], 'the stdio server keys not found');
      for (const t of ['http', 'sse'] as const) assert.ok(theirs.mcpServers[t].has('url') && theirs.mcpServers[t].has('headers'), `the ${t} server keys not found`);
      for (const k of ['description', 'tools', 'model', 'permissionMode']) assert.ok(theirs.agent.has(k), `agent field ${k} not found`);
    });

    it('are all known to validate: settings, permissions, MCP servers, hook handlers and agent fields', () => {
      assert.deepEqual(gaps(theirs, OURS), {}, 'keys Claude Code has and validate does not know');
    });

    it('would fail on a gap: a known list without one of its keys is caught', () => {
      const without = (keys: Iterable<string>, drop: string): string[] => [...keys].filter((k) => k !== drop);
      const planted = gaps(theirs, {
        ...OURS,
        settings: without(OURS.settings, 'enableAllProjectMcpServers'),
        permissions: without(OURS.permissions, 'ask'),
        mcp: without(OURS.mcp, 'env'),
        hooks: { ...OURS.hooks, command: without(OURS.hooks['command']!, 'statusMessage') },
        agent: without(OURS.agent, 'permissionMode'),
      });
      assert.deepEqual(planted, {
        settings: ['enableAllProjectMcpServers'],
        permissions: ['ask'],
        'mcpServers (stdio)': ['env'],
        'command hook': ['statusMessage'],
        agent: ['permissionMode'],
      });
    });
  });
}
