/** claude-env's own lock: whole or absent, judged by owner and age, taken over by one taker, never waited for past the deadline. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { LOCK_TIMING, takeLock, type LockOptions } from './lock.js';

const root = mkdtempSync(join(tmpdir(), 'claude-env-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function stateDir(): { dir: string; lock: string } {
  const dir = join(root, `s${n++}`);
  mkdirSync(dir);
  return { dir, lock: join(dir, 'lock') };
}
const DEAD_PID = 2 ** 22 + 12345;
const holder = (over: Record<string, unknown> = {}): string => JSON.stringify({ pid: process.pid, host: hostname(), command: 'apply', since: '2026-01-01T00:00:00Z', ...over });
const age = (path: string, secondsAgo: number): void => {
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(path, t, t);
};
/**
 * One try at the lock; `others` says whether the rest of the process went on
 * meanwhile (a timer of its own fired while the call was pending): a wait
 * that blocks the process, as a server would see it, leaves it false.
 */
async function attempt(lock: string, waitMs: number, opts: LockOptions = {}): Promise<{ err?: ClaudeEnvError; others: boolean; release?: () => Promise<void> }> {
  let others = false;
  const timer = setInterval(() => (others = true), 10);
  try {
    const release = await takeLock(lock, 'test', waitMs, opts);
    return { release, others };
  } catch (err) {
    if (!(err instanceof ClaudeEnvError)) throw err;
    return { err, others };
  } finally {
    clearInterval(timer);
  }
}

describe('takeLock', () => {
  it('writes its holder whole, and its release removes only its own lock', async () => {
    const s = stateDir();
    const release = await takeLock(s.lock, 'apply', 0);
    const h = JSON.parse(readFileSync(s.lock, 'utf8')) as Record<string, unknown>;
    assert.equal(h['pid'], process.pid);
    assert.equal(h['command'], 'apply');
    assert.match(String(h['token']), /^[0-9a-f]{16}$/);
    assert.deepEqual(readdirSync(s.dir), ['lock'], 'no temp file left');
    await release();
    assert.deepEqual(readdirSync(s.dir), []);
    const again = await takeLock(s.lock, 'apply', 0);
    writeFileSync(s.lock, holder({ token: 'someone-else' })); // taken over meanwhile
    await again();
    assert.ok(existsSync(s.lock));
  });

  it('waits for a live holder until the deadline, sleeping, then names it', async () => {
    const s = stateDir();
    writeFileSync(s.lock, holder({ command: 'remediate' }));
    const r = await attempt(s.lock, 300);
    assert.equal(r.err?.code, 'lock-held');
    assert.match(r.err!.message, /^another claude-env is changing this machine: remediate \(pid \d+ on .*, since 2026-01-01T00:00:00Z\)$/);
    assert.ok(r.others, 'the process went on while it waited');
    assert.ok(existsSync(s.lock), "the holder's lock is left in place");
  });

  it('takes the lock once its holder lets go during the wait', async () => {
    const s = stateDir();
    writeFileSync(s.lock, holder({ command: 'remediate' }));
    setTimeout(() => rmSync(s.lock), 100);
    const r = await attempt(s.lock, 10_000);
    assert.equal(r.err, undefined);
    assert.ok(r.others);
    assert.equal(JSON.parse(readFileSync(s.lock, 'utf8'))['command'], 'test');
    await r.release!();
  });

  it('takes over at once the lock of a process of this host that is gone', async () => {
    const s = stateDir();
    writeFileSync(s.lock, holder({ pid: DEAD_PID }));
    const r = await attempt(s.lock, 0);
    assert.equal(r.err, undefined);
    await r.release!();
  });

  it('judges an empty or garbled lock by its age: held while it may be being written, taken over after', async () => {
    for (const bad of ['', '{"pid": 12', 'garbage', JSON.stringify({ pid: 'x', host: 1 }), 'x'.repeat(10_000)]) {
      const s = stateDir();
      writeFileSync(s.lock, bad);
      const young = await attempt(s.lock, 0);
      assert.equal(young.err?.code, 'lock-held', JSON.stringify(bad));
      assert.match(young.err!.message, /a lock that holds no holder, \d+(\.\d)? s old \(empty or damaged: taken over once it is 5 s old\)/);
      age(s.lock, LOCK_TIMING.garbledStaleMs / 1000 + 1);
      const old = await attempt(s.lock, 0);
      assert.equal(old.err, undefined, JSON.stringify(bad));
      await old.release!();
      assert.deepEqual(readdirSync(s.dir), [], 'the damaged lock is gone, and no copy is left');
    }
  });

  it('takes over an old folder in the lock\'s place too', async () => {
    const s = stateDir();
    mkdirSync(s.lock);
    writeFileSync(join(s.lock, 'x'), '1');
    age(s.lock, 60);
    const r = await attempt(s.lock, 0);
    assert.equal(r.err, undefined);
    await r.release!();
  });

  it("trusts another host's holder for an hour, no longer", async () => {
    const s = stateDir();
    writeFileSync(s.lock, holder({ host: 'elsewhere.example', pid: 1 }));
    assert.equal((await attempt(s.lock, 0)).err?.code, 'lock-held');
    age(s.lock, 2 * 3600);
    const r = await attempt(s.lock, 0);
    assert.equal(r.err, undefined);
    await r.release!();
  });

  it('leaves no lock behind when writing it fails (a full disk), and says so', async () => {
    const s = stateDir();
    const r = await attempt(s.lock, 0, { failWrite: true });
    assert.equal(r.err?.code, 'lock-failed');
    assert.match(r.err!.message, /^cannot take the lock .*lock: no space left on device; nothing was changed$/);
    assert.deepEqual(readdirSync(s.dir), []);
    await (await takeLock(s.lock, 'apply', 0))();
  });

  it('lets exactly one of several processes take over a stale lock at a time', async () => {
    const s = stateDir();
    writeFileSync(s.lock, holder({ pid: DEAD_PID }));
    const log = join(s.dir, 'log');
    const lockModule = new URL('./lock.js', import.meta.url).href;
    const goAt = Date.now() + 2000;
    // Each racer starts at the same moment, takes the lock three times and each time "dies" holding it (its lock
    // is left with a dead pid), so the others race to take over a stale lock again and again.
    const script = `
      import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
      import { hostname } from 'node:os';
      const { takeLock } = await import(${JSON.stringify(lockModule)});
      const pause = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
      await pause(${goAt} - Date.now());
      for (let round = 0; round < 3; round++) {
        await takeLock(${JSON.stringify(s.lock)}, 'racer', 30000);
        const start = Date.now();
        await pause(15);
        appendFileSync(${JSON.stringify(log)}, start + ' ' + Date.now() + '\\n');
        const dead = ${JSON.stringify(s.lock)} + '.dead-' + process.pid;
        writeFileSync(dead, JSON.stringify({ pid: ${DEAD_PID}, host: hostname(), command: 'racer', since: 'x' }));
        renameSync(dead, ${JSON.stringify(s.lock)});
      }`;
    const racers = Array.from(
      { length: 6 },
      () =>
        new Promise<number | null>((done) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
          child.on('exit', done);
        }),
    );
    assert.deepEqual(await Promise.all(racers), [0, 0, 0, 0, 0, 0]);
    const spans = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0]);
    assert.equal(spans.length, 18);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `two holders at once: ${JSON.stringify(spans)}`);
    assert.deepEqual(readdirSync(s.dir).sort(), ['lock', 'log'], 'no temp or aside file left');
  });
});
