/**
 * Our known settings keys against the installed Claude Code's own (read from
 * its executable: test/support/claude-keys.ts): a release that adds a key
 * fails here instead of in a user's validate, as an unknown-key warning on a
 * setting that exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_PERMISSIONS_KEYS, KNOWN_SETTINGS_KEYS } from '../src/schema/index.js';
import { findClaudeBin } from './support/claude.js';
import { claudeSettingsKeys } from './support/claude-keys.js';

const claude = findClaudeBin();
const theirs = claudeSettingsKeys(claude.path);
const unknownToUs = (known: ReadonlySet<string>, keys: ReadonlySet<string>): string[] => [...keys].filter((k) => !known.has(k)).sort();

describe(`the settings keys of Claude Code ${claude.version}`, () => {
  it('are read from the executable: the keys every release has are among them', () => {
    for (const k of ['$schema', 'permissions', 'hooks', 'model', 'env', 'statusLine', 'sandbox', 'enabledMcpjsonServers']) assert.ok(theirs.settings.has(k), `${k} not found: the reader no longer finds Claude Code's settings schema`);
    assert.ok(theirs.settings.size >= 100, `only ${theirs.settings.size} keys read`);
    for (const k of ['allow', 'deny', 'ask', 'defaultMode', 'additionalDirectories']) assert.ok(theirs.permissions.has(k), `permissions.${k} not found`);
  });

  it('are all known to validate, top level and inside permissions', () => {
    assert.deepEqual(unknownToUs(KNOWN_SETTINGS_KEYS, theirs.settings), [], 'settings keys Claude Code has and validate would warn about');
    assert.deepEqual(unknownToUs(KNOWN_PERMISSIONS_KEYS, theirs.permissions), [], 'permissions keys Claude Code has and validate would call an error');
  });

  it('would fail on a gap: a known list without one of its keys is caught', () => {
    const planted = new Set([...KNOWN_SETTINGS_KEYS].filter((k) => k !== 'enableWorkflows'));
    assert.deepEqual(unknownToUs(planted, theirs.settings), ['enableWorkflows']);
    const plantedPerms = new Set([...KNOWN_PERMISSIONS_KEYS].filter((k) => k !== 'ask'));
    assert.deepEqual(unknownToUs(plantedPerms, theirs.permissions), ['ask']);
  });
});
