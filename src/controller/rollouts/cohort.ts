/**
 * Stable canary cohorts. A machine's cohort is a number in [0, 100) taken
 * from the SHA-256 of its id: the same id always lands in the same place, so
 * machines joining or leaving never move anyone else. A step of p % takes
 * the machines whose cohort is below p, so steps nest (10 % ⊂ 50 % ⊂ 100 %).
 *
 * Small fleets: a pure threshold can leave a step empty (10 machines, 10 %:
 * maybe none hashes below 10). The step then takes at least ceil(p % of n)
 * machines, topping the threshold set up with the machines of lowest cohort
 * (ties by id). The top-up depends on the fleet, so it is not stable by
 * itself; the rollout state keeps every machine it ever topped up (`extra`)
 * for the whole rollout, so within a rollout a machine never leaves a step
 * because others joined or left (machine.ts).
 */
import { createHash } from 'node:crypto';

/** The machine's cohort: a stable number in [0, 100). */
export function cohortOf(machineId: string): number {
  const hex = createHash('sha256').update(machineId, 'utf8').digest('hex').slice(0, 12);
  return (Number.parseInt(hex, 16) / 2 ** 48) * 100;
}

/** By threshold alone: the machine belongs to every step of at least this percent. */
export function withinPercent(machineId: string, percent: number): boolean {
  return percent >= 100 || (percent > 0 && cohortOf(machineId) < percent);
}

/** How many machines a step of `percent` % of `n` machines takes at least (ceil). */
export function minimumOf(percent: number, n: number): number {
  if (percent <= 0 || n <= 0) return 0;
  if (percent >= 100) return n;
  return Math.min(n, Math.ceil((percent * n) / 100 - 1e-9));
}

/** The machines to add to the threshold set so the step reaches its minimum: lowest cohort first, ties by id. */
export function topUpOf(fleet: readonly string[], percent: number, already: ReadonlySet<string> = new Set()): string[] {
  const need = minimumOf(percent, fleet.length);
  const ranked = fleet.map((id) => ({ id, c: cohortOf(id) }));
  const inside = ranked.filter((m) => m.c < percent || percent >= 100 || already.has(m.id)).length;
  if (inside >= need) return [];
  return ranked
    .filter((m) => !(m.c < percent) && !already.has(m.id))
    .sort((a, b) => a.c - b.c || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, need - inside)
    .map((m) => m.id);
}

/** The machines of a step: those below the threshold, plus the top-ups (`extra`, kept by the rollout). */
export function stepMembers(fleet: readonly string[], percent: number, extra: readonly string[] = []): string[] {
  const kept = new Set(extra);
  const added = new Set(topUpOf(fleet, percent, kept));
  return fleet.filter((id) => withinPercent(id, percent) || kept.has(id) || added.has(id));
}
