/**
 * remediate and Claude Code's lock on `.claude.json`: a fix in that file is
 * written under the lock, so remediate waits for Claude Code to let go of
 * it (as long as `--wait` says, 5 s by default) and never writes meanwhile.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, snapshot, tempDir } from '../helpers.js';
import { runWhileClaudeHoldsItsLock, runWhileClaudeKeepsItsLock } from '../support/claude-lock.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const target = ['--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];
const run = (args: string[], home: string) => cli([...args, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });

/** An applied home where someone changed the command of the managed server `memory` in `.claude.json`. */
async function driftedClaudeJson(): Promise<{ home: string; file: string; edited: string; rendered: string }> {
  const home = join(tmp.dir, `home${n++}`);
  mkdirSync(home);
  assert.equal((await run(['apply', ...target], home)).code, 0);
  const file = join(home, '.claude.json');
  const c = JSON.parse(readFileSync(file, 'utf8'));
  const rendered = c.mcpServers.memory.command;
  c.mcpServers.memory.command = 'something-else';
  writeFileSync(file, JSON.stringify(c, null, 2), { mode: 0o600 });
  return { home, file, edited: readFileSync(file, 'utf8'), rendered };
}

const serverCommand = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8')).mcpServers.memory.command;
/** The home without claude-env's own folder. */
const usersFiles = (home: string): Map<string, string> => new Map([...snapshot(home)].filter(([p]) => !p.startsWith('.claude-env/')));

describe('remediate and Claude Code\'s .claude.json.lock', () => {
  it('remediate waits for a held .claude.json.lock, writes nothing meanwhile, then fixes the file', async () => {
    const { home, file, edited, rendered } = await driftedClaudeJson();
    const held = await runWhileClaudeHoldsItsLock(home, () => run(['remediate', ...target, '--json'], home));
    // it was still waiting when Claude Code let go, and had not touched the file
    assert.equal(held.finishedWhileHeld, false);
    assert.equal(held.whileHeld, edited);
    // then it fixed the server
    assert.equal(held.run.code, 0, held.run.stderr);
    assert.deepEqual(JSON.parse(held.run.stdout).fixed.map((s: { path: string }) => s.path), ['mcpServers.memory.command']);
    assert.equal(serverCommand(file), rendered);
  });

  it('with a short --wait, fails with lock-held naming the lock and changes nothing', async () => {
    const { home } = await driftedClaudeJson();
    const before = usersFiles(home);
    const r = await runWhileClaudeKeepsItsLock(home, () => run(['remediate', ...target, '--wait', '0.2'], home));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /\.claude\.json\.lock  lock-held  Claude Code holds .*\.claude\.json\.lock \(the lock, /);
    assert.deepEqual(usersFiles(home), before);
  });
});
