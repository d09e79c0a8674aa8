/**
 * Crash test: an apply of many files is killed with SIGKILL at 200 points
 * spread over its run (deterministic crash points, not sleeps), then one
 * more claude-env command runs. Every output file must then be wholly old or
 * wholly new, and the set wholly old or wholly new: 0 torn or mixed in 200.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fixture, tempDir } from './helpers.js';

const FILES = 45;
const RUNS = 200;
const bin = join(ROOT, 'bin', 'claude-env.js');
const tmp = tempDir('claude-env-crash-');
after(() => tmp.cleanup());

const repo = join(tmp.dir, 'repo');
const homeA = join(tmp.dir, 'home-A');
const target = ['--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];

function writeVersion(version: string): void {
  mkdirSync(join(repo, 'base', 'files', 'many'), { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(repo, 'base', 'files', 'many', `f${String(i).padStart(2, '0')}.md`), `${version}\n`.repeat(50 + i));
  writeFileSync(join(repo, 'users', 'ann', 'overrides.yml'), `settings:\n  model: ${version === 'A' ? 'haiku' : 'opus'}\n  env:\n    VERSION: "${version}"\n`);
}

function claudeEnv(args: string[], home: string, extra: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [bin, ...args, '--repo', repo, '--home', home], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env['PATH'], HOME: home, CLAUDE_ENV_CACHE: join(tmp.dir, 'cache'), ...extra },
  });
}

/** Every file under a home (claude-env's own folder aside), with its content. */
function outputs(home: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(home, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (p === '.claude-env') continue;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(home, p), 'utf8'));
    }
  };
  walk('');
  return out;
}

let oldFiles: Map<string, string>;
let newFiles: Map<string, string>;
let points = 0;

before(() => {
  cpSync(fixture('merge-rules'), repo, { recursive: true });
  writeVersion('A');
  mkdirSync(homeA);
  assert.equal(claudeEnv(['apply', ...target], homeA).status, 0);
  oldFiles = outputs(homeA);
  writeVersion('B');
  const clean = join(tmp.dir, 'home-clean');
  cpSync(homeA, clean, { recursive: true });
  assert.equal(claudeEnv(['apply', ...target], clean).status, 0);
  newFiles = outputs(clean);
  // How many crash points does the apply pass? The smallest N at which it is not killed, by bisection.
  let lo = 1;
  let hi = 4096;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const home = join(tmp.dir, `probe-${mid}`);
    cpSync(homeA, home, { recursive: true });
    const r = claudeEnv(['apply', ...target], home, { CLAUDE_ENV_CRASH_AT: String(mid) });
    rmSync(home, { recursive: true, force: true });
    if (r.signal === 'SIGKILL') lo = mid + 1;
    else hi = mid;
  }
  points = lo - 1;
});

describe('apply killed at any point', () => {
  it('passes enough crash points to spread 200 kills over its run', () => {
    assert.ok(points >= RUNS, `apply passes ${points} crash points`);
    const changed = [...newFiles.keys()].filter((p) => oldFiles.get(p) !== newFiles.get(p));
    assert.ok(changed.length >= FILES, `${changed.length} files change between the versions`);
  });

  it('leaves every file wholly old or wholly new, and the set wholly one or the other, 200 times out of 200', () => {
    const torn: string[] = [];
    const mixed: string[] = [];
    let killed = 0;
    for (let i = 0; i < RUNS; i++) {
      const at = 1 + Math.floor((i * points) / RUNS);
      const home = join(tmp.dir, `run-${i}`);
      cpSync(homeA, home, { recursive: true });
      const r = claudeEnv(['apply', ...target], home, { CLAUDE_ENV_CRASH_AT: String(at) });
      if (r.signal === 'SIGKILL') killed++;
      // the next command finishes or undoes the interrupted apply
      const next = claudeEnv(['rollback', '--list'], home);
      assert.equal(next.status, 0, `${next.stdout}${next.stderr}`);
      const now = outputs(home);
      let sawOld = false;
      let sawNew = false;
      for (const path of new Set([...oldFiles.keys(), ...newFiles.keys()])) {
        const o = oldFiles.get(path);
        const n = newFiles.get(path);
        const c = now.get(path);
        if (o === n) continue;
        if (c === o) sawOld = true;
        else if (c === n) sawNew = true;
        else torn.push(`run ${i} (crash point ${at}): ${path}`);
      }
      const leftovers = [...now.keys()].filter((p) => p.includes('.claude-env-') && p.endsWith('.tmp'));
      if (leftovers.length) torn.push(`run ${i}: temp files left: ${leftovers.join(', ')}`);
      if (sawOld && sawNew) mixed.push(`run ${i} (crash point ${at})`);
      rmSync(home, { recursive: true, force: true });
    }
    assert.equal(killed, RUNS, 'every run was killed');
    assert.deepEqual(torn, [], 'no torn file');
    assert.deepEqual(mixed, [], 'no mixed set');
  });
});
