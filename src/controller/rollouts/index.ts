/** The rollout engine: a pure strategy state machine (machine.ts) over stable cohorts (cohort.ts). */
export * from './machine.js';
export { cohortOf, withinPercent, minimumOf, topUpOf, stepMembers } from './cohort.js';
