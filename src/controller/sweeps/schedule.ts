/**
 * When the controller asks the fleet for a drift sweep: the crons of
 * `schedules.drift` in claude-env.yml (default: the seed's two, every two
 * hours of a business day and every six hours at the weekend), read by croner.
 * The scheduler takes its clock and its timer as arguments, so a test moves
 * time by hand and sees each sweep fire when the crons say; the controller
 * gives it the real ones. Only the leader runs one.
 */
import { Cron } from 'croner';
import { ClaudeEnvError } from '../../errors.js';

/** The seed's sweeps (§4): 08:00–18:00 every 2 h on weekdays; 00, 06, 12, 18 h on Saturday and Sunday. */
export const DEFAULT_DRIFT_SCHEDULES: readonly string[] = Object.freeze(['0 8-18/2 * * 1-5', '0 0,6,12,18 * * 0,6']);

export interface ScheduleOptions {
  /** An IANA time zone the crons are read in (default UTC). */
  readonly timezone?: string;
}

function cronOf(expr: string, opts: ScheduleOptions): Cron {
  try {
    return new Cron(expr, { paused: true, timezone: opts.timezone ?? 'Etc/UTC' });
  } catch (err) {
    throw new ClaudeEnvError('usage', `schedules.drift: "${expr}" is not a cron expression: ${(err as Error).message}`, { cause: err });
  }
}

/** The next `count` sweep times after `from` (not included), over every cron, in order, each time once. */
export function nextSweeps(crons: readonly string[], from: Date, count: number, opts: ScheduleOptions = {}): Date[] {
  const all = new Map<number, Date>();
  for (const expr of crons) for (const d of cronOf(expr, opts).nextRuns(count, from)) all.set(d.getTime(), d);
  return [...all.values()].sort((a, b) => a.getTime() - b.getTime()).slice(0, count);
}

export interface SweepClock {
  now(): number;
  /** Call `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: SweepClock = {
  now: () => Date.now(),
  after(ms, fn) {
    // setTimeout holds at most 2^31-1 ms: a longer wait is made of several.
    let t: NodeJS.Timeout;
    const wait = (left: number): void => {
      t = setTimeout(() => (left > MAX_TIMER ? wait(left - MAX_TIMER) : fn()), Math.min(left, MAX_TIMER));
      t.unref?.();
    };
    wait(ms);
    return () => clearTimeout(t);
  },
};
const MAX_TIMER = 2 ** 31 - 1;

/**
 * Fires `onSweep(at)` at every time the crons give, from `start()` until
 * `stop()`. A sweep that is still running when the next is due is not started
 * twice: the next waits for its own time after the running one ends.
 */
export class SweepScheduler {
  private cancel: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly crons: readonly string[],
    private readonly onSweep: (at: Date) => Promise<void> | void,
    private readonly clock: SweepClock = realClock,
    private readonly opts: ScheduleOptions = {},
  ) {
    for (const c of crons) cronOf(c, opts);
  }

  /** The next time a sweep will fire, or undefined when stopped. */
  next: Date | undefined;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
    this.next = undefined;
  }

  private arm(): void {
    if (!this.running) return;
    const [next] = nextSweeps(this.crons, new Date(this.clock.now()), 1, this.opts);
    this.next = next;
    if (next === undefined) return;
    this.cancel = this.clock.after(Math.max(0, next.getTime() - this.clock.now()), () => {
      void (async () => {
        try {
          await this.onSweep(next);
        } finally {
          this.arm();
        }
      })();
    });
  }
}
