/**
 * `diff` is apply's dry run: on a machine where the user broke settings.json
 * by hand, the file diff shows as the new side is byte for byte what
 * `apply --dry-run` says it would write and what apply then writes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, parsePatch } from 'diff';
import { cli, fixture, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const target = ['--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];
const run = (args: string[], home: string) => cli([...args, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });

describe('diff of a settings.json that is not JSON', () => {
  it('shows as its new side the bytes apply --dry-run would write and apply writes', async () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(home);
    assert.equal((await run(['apply', ...target], home)).code, 0);
    const file = join(home, '.claude', 'settings.json');
    const broken = '{\n  "model": "opus",\n  // a comment the user added\n  "theme": "dark",\n';
    writeFileSync(file, broken);
    // diff: one file changes, the settings; its new side is the patch applied to the broken file
    const d = await run(['diff', ...target], home);
    assert.equal(d.code, 1, d.stderr);
    const patches = parsePatch(d.stdout);
    assert.deepEqual(patches.map((p) => p.newFileName), ['b/.claude/settings.json']);
    const shown = applyPatch(broken, patches[0]!);
    assert.equal(typeof shown, 'string');
    // apply --dry-run: repairs that one file, with as many bytes, and writes nothing
    const dry = await run(['apply', ...target, '--dry-run', '--json'], home);
    assert.deepEqual(JSON.parse(dry.stdout).written, [{ path: '.claude/settings.json', action: 'repair', bytes: Buffer.byteLength(shown as string), mode: '0644' }]);
    assert.equal(readFileSync(file, 'utf8'), broken);
    // apply: writes exactly what diff showed
    assert.equal((await run(['apply', ...target], home)).code, 0);
    assert.equal(readFileSync(file, 'utf8'), shown);
  });
});
