/** A clock moved by hand for what takes a SweepClock: timers fire, in order, when `advance` passes their time. */
import type { SweepClock } from '../../src/controller/sweeps/schedule.js';

export interface ManualClock extends SweepClock {
  /** Move time on by `ms`, firing each timer due on the way (and what it re-arms). */
  advance(ms: number): Promise<void>;
  /** Move time to the given instant (ISO). */
  advanceTo(iso: string): Promise<void>;
}

export function manualClock(start: string): ManualClock {
  let now = Date.parse(start);
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const clock: ManualClock = {
    now: () => now,
    after(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        due.live = false;
        now = due.at;
        due.fn();
        // Let what the timer started (a sweep, the re-arm) run its promise turns.
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = end;
    },
    advanceTo(iso) {
      return clock.advance(Math.max(0, Date.parse(iso) - now));
    },
  };
  return clock;
}
