/**
 * Durations as people write them: `500ms`, `30s`, `10m`, `24h`, `7d`, and
 * sums of them such as `1h30m` (claude-env.yml's `rollout.*.pause`, the
 * fleet commands' `--poll`, `--interval`, `--expires`). One parser for all.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds, or null when the text is not a duration. */
export function durationMs(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}
