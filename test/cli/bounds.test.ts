/**
 * Bounded inputs, as a user meets them: a YAML alias bomb or an oversized
 * document in any layer is one clear finding with its place, and the command
 * that meets it finishes in seconds with its memory bounded (measured on the
 * built command, spawned, with `process.resourceUsage().maxRSS` at its exit).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TEST_CACHE_DIR, cli, fixture, snapshot, tempDir } from '../helpers.js';
import { billionLaughs } from '../support/bombs.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const bin = join(ROOT, 'bin', 'claude-env.js');
const target = ['--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];

/** A copy of the merge-rules fixture with `edit` applied. */
function repoWith(edit: (dir: string) => void): string {
  const dir = join(tmp.dir, `repo${n++}`);
  cpSync(fixture('merge-rules'), dir, { recursive: true });
  edit(dir);
  return dir;
}

/** The bounds the DoS rows promise for one command (see the README, "Bounded inputs"). */
export const DOS_BOUNDS = { seconds: 20, rssMB: 300 };

/**
 * Run the built command as a child, killed after `DOS_BOUNDS.seconds`, with a
 * V8 heap cap above the memory bound (a regression fails fast instead of
 * swapping); its peak resident memory comes back from its exit hook.
 */
export function spawnMeasured(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; rssMB: number; seconds: number } {
  const hook = `import { writeSync } from 'node:fs'; process.on('exit', () => writeSync(2, '\\nmaxrss-kb=' + process.resourceUsage().maxRSS + '\\n'));`;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=1024', '--import', `data:text/javascript,${encodeURIComponent(hook)}`, bin, ...args], {
    encoding: 'utf8',
    timeout: DOS_BOUNDS.seconds * 1000,
    env: { PATH: process.env['PATH'], HOME: TEST_CACHE_DIR, CLAUDE_ENV_CACHE: TEST_CACHE_DIR, ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  const m = /\nmaxrss-kb=(\d+)\n$/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: m ? r.stderr.slice(0, m.index) : r.stderr, rssMB: m ? Number(m[1]) / 1024 : Infinity, seconds };
}

describe('bounded YAML', () => {
  const bomb = (dir: string): void => appendFileSync(join(dir, 'teams/web/workflows.yml'), billionLaughs());

  it('validate stops a 9-level alias bomb in a team layer with one finding at the alias, in bounded time and memory', () => {
    const repo = repoWith(bomb);
    const r = spawnMeasured(['validate', '--repo', repo]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:15:\d+  error  yaml-alias-limit  aliases expand to more than 100,000 nodes in this document \(passed at this alias, \*a4\)/m);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
  });

  it('apply refuses the same bomb, names the file, line and column, and writes nothing', () => {
    const repo = repoWith(bomb);
    const home = join(tmp.dir, `home${n++}`);
    mkdirSync(home);
    const r = spawnMeasured(['apply', '--repo', repo, ...target, '--home', home], { HOME: home });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^claude-env: teams\/web\/workflows\.yml:15:\d+  yaml-alias-limit  aliases expand/);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
    assert.deepEqual([...snapshot(home).keys()], []);
  });

  it('refuses a document over 1 MiB without parsing it', async () => {
    const repo = repoWith((dir) => appendFileSync(join(dir, 'teams/web/workflows.yml'), `# ${'x'.repeat(1024 * 1024)}\n`));
    const r = await cli(['validate', '--repo', repo]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:1:1  error  document-too-large  the document is larger than 1 MiB, the limit for one document; split it/m);
  });

  it('bounds the machine\'s own local-overrides.yml the same way: a cycle of aliases is an error naming it', async () => {
    const home = join(tmp.dir, `home${n++}`);
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(join(home, '.claude', 'local-overrides.yml'), 'settings: &s\n  env: {A: *s}\n');
    const r = await cli(['render', '--repo', fixture('merge-rules'), ...target, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /local-overrides\.yml:2:12  yaml-alias-cycle  alias \*s stands for a node that contains it/);
  });
});
