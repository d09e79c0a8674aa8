// Rollouts bench: the pure state machine of src/controller/rollouts, in process.
//   (r1) a canary step decided with 10,000 agents: from the rollout's start
//        (cohorts chosen) through every report of the step's machines to the
//        gate's verdict, beside its floor: SHA-256 of every machine id (each
//        machine's cohort must be computed once) and a Map update per report.
//   (r2) decisions per second: report events fed to decide() one at a time,
//        beside the same floor per event.
// Rounds alternate ours and the floor; the ratio is the median of per-round ratios.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DIST, fmtMs, fmtX, log, median } from './common.mjs';

const { policyOf, startRollout, decide, applyEvents, assignmentOf } = await import(join(DIST, 'src/controller/rollouts/index.js'));

const N = 10_000;
const ROUNDS = 7;
const fleet = Array.from({ length: N }, (_, i) => `m_${i.toString(36).padStart(6, '0')}`);
const policy = policyOf({ strategy: 'canary', steps: [10, 50, 100], pause: '10m', max_failure_rate: 0.05 });
const T0 = Date.parse('2026-12-03T10:00:00Z');

/** Start, then every machine of the first step reports ok: the time to the gate's verdict. */
function canaryStep() {
  const t0 = performance.now();
  let t = startRollout(policy, { environment: 'production', revision: 'new', previousRevision: 'old', author: 'alice', fleet, at: T0 });
  const step = fleet.filter((id) => assignmentOf(t.state, id).revision === 'new');
  let at = T0;
  let verdict;
  for (const id of step) {
    t = decide(t.state, { type: 'report', at: ++at, machine: id, revision: 'new', result: 'ok', criticalDrift: false });
    if (t.state.gatePassedAt != null && verdict === undefined) verdict = performance.now() - t0;
  }
  return { ms: verdict ?? NaN, step: step.length, reports: step.length };
}

function floorStep(step) {
  const t0 = performance.now();
  const cohort = new Map();
  for (const id of fleet) cohort.set(id, createHash('sha256').update(id).digest().readUInt32BE(0) % 100);
  const seen = new Map();
  for (let i = 0; i < step; i++) seen.set(fleet[i], 'ok');
  return performance.now() - t0;
}

/** decide() per report, over a step of all machines (the 100 % step of a staged rollout). */
function decisions() {
  const staged = policyOf({ strategy: 'staged' });
  let t = startRollout(staged, { environment: 'staging', revision: 'new', previousRevision: 'old', author: 'alice', fleet, at: T0 });
  const t0 = performance.now();
  let at = T0;
  for (const id of fleet) t = decide(t.state, { type: 'report', at: ++at, machine: id, revision: 'new', result: 'ok', criticalDrift: false });
  return { ms: performance.now() - t0, n: N };
}

/** The same reports folded in one call (applyEvents: one copy of the state), as the controller folds a second's reports. */
function batchedDecisions() {
  const staged = policyOf({ strategy: 'staged' });
  const t = startRollout(staged, { environment: 'staging', revision: 'new', previousRevision: 'old', author: 'alice', fleet, at: T0 });
  let at = T0;
  const inputs = fleet.map((id) => ({ type: 'report', at: ++at, machine: id, revision: 'new', result: 'ok', criticalDrift: false }));
  const t0 = performance.now();
  applyEvents(t.state, inputs);
  return performance.now() - t0;
}

function floorDecisions() {
  const t0 = performance.now();
  const seen = new Map();
  for (const id of fleet) seen.set(createHash('sha256').update(id).digest().readUInt32BE(0), 'ok');
  return performance.now() - t0;
}

const r1 = [], f1 = [], r2 = [], f2 = [], r3 = [];
let stepSize = 0;
canaryStep(); decisions(); // warm-up
for (let i = 0; i < ROUNDS; i++) {
  const s = canaryStep();
  stepSize = s.step;
  r1.push(s.ms);
  f1.push(floorStep(s.step));
  r2.push(decisions().ms);
  r3.push(batchedDecisions());
  f2.push(floorDecisions());
}
const ratio = (a, b) => median(a.map((x, i) => x / b[i]));
const perSec = (ms) => Math.round(N / (ms / 1000));
log(`rollouts: ${N} machines, canary [10, 50, 100], ${ROUNDS} rounds (medians)`);
const rows = [
  ['(r1) canary step decided: start → every report of the first step (' + stepSize + ' machines) → gate verdict', fmtMs(median(r1)), `${fmtMs(median(f1))}: SHA-256 of every machine id + a Map update per report`, fmtX(ratio(r1, f1)), 'reported'],
  ['(r2) decisions per second, a second\'s reports folded at once (applyEvents), as the controller does', `${perSec(median(r3)).toLocaleString('en-US')}/s`, `${perSec(median(f2)).toLocaleString('en-US')}/s: SHA-256 + a Map update per event`, fmtX(ratio(r3, f2)), 'reported'],
  ['(r2) decisions per second, one decide() per report (each copies the state: O(step) per call)', `${perSec(median(r2)).toLocaleString('en-US')}/s`, `${perSec(median(f2)).toLocaleString('en-US')}/s: SHA-256 + a Map update per event`, fmtX(ratio(r2, f2)), 'reported'],
];
console.log('\n| stage | ours | floor | ratio | goal |\n| --- | ---: | --- | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
