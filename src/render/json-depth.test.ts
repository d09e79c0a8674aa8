/** A shared file read back that nests past the stack is a file that does not parse, not a crash. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { UnparsableFileError, mergeClaudeJson, mergeSettingsJson } from './shared-files.js';

const nested = (depth: number): string => `{"mcpServers": {}, "x": ${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('nestsDeeperThan', () => {
  it('counts objects and arrays without recursing', () => {
    assert.equal(nestsDeeperThan({ a: [{ b: 1 }] }, 3), false);
    assert.equal(nestsDeeperThan({ a: [{ b: {} }] }, 3), true);
    assert.equal(nestsDeeperThan(JSON.parse(nested(200_000))), true);
    assert.equal(nestsDeeperThan('text'), false);
  });

  it('makes a .claude.json nested 200,000 deep an UnparsableFileError naming the depth; a settings.json one is repaired', () => {
    assert.throws(() => mergeClaudeJson('{"mcpServers":{}}', nested(200_000), []), (e: unknown) => e instanceof UnparsableFileError && e.message === `.claude.json is not valid JSON: it nests deeper than ${MAX_JSON_DEPTH} levels`);
    assert.deepEqual(JSON.parse(mergeSettingsJson('{"model":"opus"}', nested(200_000), [], true).content), { model: 'opus' });
    // What Claude Code writes stays well inside.
    assert.deepEqual(JSON.parse(mergeClaudeJson('{"mcpServers":{}}', nested(100), []).content).x.length, 1);
  });
});
