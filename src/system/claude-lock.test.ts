/** Claude Code's lock on `.claude.json`: taken as Claude Code takes it, judged by age, never waited for past the deadline. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { lockClaudeJson } from './claude-lock.js';

const root = mkdtempSync(join(tmpdir(), 'claude-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function home(): { file: string; lock: string; dir: string } {
  const dir = join(root, `h${n++}`);
  mkdirSync(dir);
  const file = join(dir, '.claude.json');
  return { file, lock: `${file}.lock`, dir };
}
/** Set a path's own mtime (a symlink's too) `secondsAgo` in the past (negative: in the future). */
const age = (path: string, secondsAgo: number): void => {
  const t = Date.now() / 1000 - secondsAgo;
  lutimesSync(path, t, t);
};
/** Runs `fn`; `others`: whether the rest of the process went on meanwhile (a timer of its own fired): a blocking wait leaves it false. */
async function meanwhile(fn: () => Promise<void>): Promise<{ others: boolean }> {
  let others = false;
  const timer = setInterval(() => (others = true), 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return { others };
}
const held = (e: unknown): boolean => e instanceof ClaudeEnvError && e.code === 'lock-held';

describe('lockClaudeJson', () => {
  it('makes the lock folder, and its release removes it', async () => {
    const h = home();
    const release = await lockClaudeJson(h.file, 100);
    assert.ok(existsSync(h.lock));
    await release();
    assert.ok(!existsSync(h.lock));
  });

  it('waits for a fresh lock, sleeping, and gives up at the deadline with lock-held, leaving the lock', async () => {
    const h = home();
    mkdirSync(h.lock);
    let err: unknown;
    const t = await meanwhile(async () => {
      try {
        await lockClaudeJson(h.file, 400);
      } catch (e) {
        err = e;
      }
    });
    assert.ok(held(err), String(err));
    assert.match((err as Error).message, /^Claude Code holds .*\.claude\.json\.lock \(the lock, \d+(\.\d)? s old; stale after 10 s\)/);
    assert.ok(t.others, 'the process went on while it waited');
    assert.ok(existsSync(h.lock));
  });

  it('waits for a fresh FILE in the lock\'s place until the deadline too, never spinning', async () => {
    const h = home();
    writeFileSync(h.lock, 'x');
    let err: unknown;
    const t = await meanwhile(async () => {
      try {
        await lockClaudeJson(h.file, 300);
      } catch (e) {
        err = e;
      }
    });
    assert.ok(held(err));
    assert.match((err as Error).message, /a file in the lock's place/);
    assert.ok(t.others, 'the process went on while it waited');
  });

  it('takes over a stale empty folder at once, as proper-lockfile does', async () => {
    const h = home();
    mkdirSync(h.lock);
    age(h.lock, 60);
    const release = await lockClaudeJson(h.file, 0);
    await release();
    assert.deepEqual(readdirSync(h.dir), []);
  });

  it('moves a stale file, symlink or non-empty folder aside, keeping every byte, and takes the lock', async () => {
    for (const make of [
      (p: string) => writeFileSync(p, 'pid 4242\n'),
      (p: string) => symlinkSync('/nonexistent/target', p),
      (p: string) => {
        mkdirSync(p);
        writeFileSync(join(p, 'note'), 'kept');
      },
    ]) {
      const h = home();
      make(h.lock);
      age(h.lock, 3600);
      const release = await lockClaudeJson(h.file, 0);
      await release();
      const aside = readdirSync(h.dir).filter((f) => f.startsWith('.claude.json.lock.stale-'));
      assert.equal(aside.length, 1, `one copy kept aside: ${readdirSync(h.dir).join(', ')}`);
      assert.ok(!existsSync(h.lock));
      const kept = join(h.dir, aside[0]!);
      if (existsSync(join(kept, 'note'))) assert.equal(readFileSync(join(kept, 'note'), 'utf8'), 'kept');
    }
  });

  it('judges a lock dated in the future stale: no holder on this machine writes that', async () => {
    const h = home();
    mkdirSync(h.lock);
    age(h.lock, -3600);
    await (await lockClaudeJson(h.file, 0))();
    assert.ok(!existsSync(h.lock));
  });

  it("does not remove a lock that is no longer its own", async () => {
    const h = home();
    const release = await lockClaudeJson(h.file, 0);
    rmSync(h.lock, { recursive: true });
    mkdirSync(h.lock); // someone judged it stale (10 s later) and took it
    age(h.lock, -11);
    await release();
    assert.ok(existsSync(h.lock));
  });

  it('needs no lock where the folder does not exist yet', async () => {
    const release = await lockClaudeJson(join(root, 'nowhere', '.claude.json'), 0);
    await release();
    assert.ok(!existsSync(join(root, 'nowhere')));
  });
});
