import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DRIFT_SCHEDULES, SweepScheduler, nextSweeps } from './schedule.js';
import { manualClock } from '../../../test/support/clock.js';

const iso = (d: Date): string => d.toISOString().slice(0, 16);

describe('drift sweep schedules', () => {
  it("fires the seed's crons every two hours from 08:00 to 18:00 on a business day, and every six hours at the weekend", () => {
    // Friday 2026-12-04 17:00 UTC, over the weekend, into Monday morning.
    const runs = nextSweeps(DEFAULT_DRIFT_SCHEDULES, new Date('2026-12-04T17:00:00Z'), 12).map(iso);
    assert.deepEqual(runs, [
      '2026-12-04T18:00', // Friday, the last business-hours sweep
      '2026-12-05T00:00', // Saturday, every 6 h
      '2026-12-05T06:00',
      '2026-12-05T12:00',
      '2026-12-05T18:00',
      '2026-12-06T00:00', // Sunday
      '2026-12-06T06:00',
      '2026-12-06T12:00',
      '2026-12-06T18:00',
      '2026-12-07T08:00', // Monday: back to business hours, none at midnight
      '2026-12-07T10:00',
      '2026-12-07T12:00',
    ]);
  });

  it('fires at each time with a clock moved by hand, once each, and not after stop', async () => {
    const clock = manualClock('2026-12-07T07:30:00Z');
    const fired: string[] = [];
    const s = new SweepScheduler(DEFAULT_DRIFT_SCHEDULES, (at) => void fired.push(iso(at)), clock);
    s.start();
    assert.equal(iso(s.next!), '2026-12-07T08:00');
    await clock.advance(5 * 3600_000); // to 12:30
    assert.deepEqual(fired, ['2026-12-07T08:00', '2026-12-07T10:00', '2026-12-07T12:00']);
    s.stop();
    await clock.advance(24 * 3600_000);
    assert.equal(fired.length, 3);
  });

  it('refuses a cron expression that is not one, naming it', () => {
    assert.throws(() => new SweepScheduler(['0 25 * * *'], () => {}), /schedules\.drift: "0 25 \* \* \*" is not a cron expression/);
  });
});
