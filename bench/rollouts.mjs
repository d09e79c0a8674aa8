// Rollouts bench: the pure state machine of src/controller/rollouts, in process.
//   (r1) a canary step decided with 10,000 agents: from the rollout's start
//        (cohorts chosen) through every report of the step's machines to the
//        gate's verdict, beside its floor: SHA-256 of every machine id (each
//        machine's cohort must be computed once) and a Map update per report.
//   (r2) decisions per second: report events fed to decide() one at a time,
//        beside the same floor per event.
//   (r3) the same step through the controller's own path, on its SQLite store:
//        the rollout begun over 10,000 enrolled machines (the step's machines
//        told their revision), the step's reports stored as the API stores
//        them, and the leader's tick folding them from the store to the
//        gate's verdict; beside its floor: the same reports stored and read
//        back, the store work no engine can skip.
// Rounds alternate ours and the floor; the ratio is the median of per-round ratios.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, OUT, fmtMs, fmtX, log, median } from './common.mjs';

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

const { openStore } = await import(join(DIST, 'src/controller/db/open.js'));
const { Rollouts } = await import(join(DIST, 'src/controller/rollout-driver.js'));
const CANARY = { strategy: 'canary', steps: [10, 50, 100], pause: '10m', max_failure_rate: 0.05 };
const machineRowOf = (id, env) => ({ id, env, team: 'core', project: 'api', user: 'ada', hostname: null, enrolled_at: T0, last_seen: T0, assigned_revision: 'old', applied_revision: 'old', state: 'in_sync', result: 'ok', error_code: null, drift_percentage: 0, risk_level: 'none', drift: null, last_seq: 0, last_report_at: null, claude_version: null });
const tokenRowOf = (id, env) => ({ id: `t_${id}`, kind: 'agent', hash: `h_${id}`, user: 'ada', env, machine_id: id, created_by: 'bench', created_at: T0, expires_at: null, revoked_at: null });
const reportOf = (id, seq, at) => ({ machine_id: id, seq, received_at: at, made_at: at, revision: 'new', assigned_revision: 'new', result: 'ok', error_code: null, timings: '{"apply_ms":40}', drift: '{"drift_percentage":0,"risk_level":"none","items":[]}' });

/** One store of 10,000 machines per round and environment name (a fresh environment each round). */
const dir = join(OUT, `rollouts-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const store = await openStore(join(dir, 'controller.db'));

async function enrolled(env) {
  for (const id of fleet) await store.enrollMachine(machineRowOf(`${env}-${id}`, env), tokenRowOf(`${env}-${id}`, env));
  return fleet.map((id) => `${env}-${id}`);
}

/** (r3): begin → the step's reports stored → ticks until the verdict. */
async function controllerStep(env, ids) {
  let clock = Date.now();
  const host = { store, now: () => clock, log: () => {}, event: async () => {}, moved: async () => {} };
  const rollouts = new Rollouts(host);
  const t0 = performance.now();
  await rollouts.begin(env, 'new', CANARY, 'alice', 'old');
  const s = rollouts.current(env);
  const step = ids.filter((id) => assignmentOf(s, id).revision === 'new');
  for (const id of step) await store.addReport(reportOf(id, 1, ++clock));
  let ticks = 0;
  while (rollouts.current(env).gatePassedAt == null) {
    clock += 1;
    await rollouts.tick();
    if (++ticks > 50) throw new Error('the gate never decided');
  }
  return { ms: performance.now() - t0, step: step.length };
}

/** Its floor: the same number of reports stored and read back. */
async function floorStore(env, ids, n) {
  const t0 = performance.now();
  let at = Date.now();
  for (let i = 0; i < n; i++) await store.addReport(reportOf(ids[i], 2, ++at));
  await store.reportsSince(env, 0);
  return performance.now() - t0;
}

const r1 = [], f1 = [], r2 = [], f2 = [], r3 = [], c3 = [], cf3 = [];
let controllerStepSize = 0;
for (let i = 0; i <= ROUNDS; i++) {
  const env = `production${i}`;
  const ids = await enrolled(env);
  const c = await controllerStep(env, ids);
  const f = await floorStore(env, ids, c.step);
  if (i === 0) continue; // warm-up
  controllerStepSize = c.step;
  c3.push(c.ms);
  cf3.push(f);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
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
  ['(r3) the same step through the controller (SQLite store): begun over ' + N + ' enrolled machines, ' + controllerStepSize + ' reports stored, the leader\'s tick to the verdict', fmtMs(median(c3)), `${fmtMs(median(cf3))}: the same reports stored and read back`, fmtX(ratio(c3, cf3)), 'reported'],
  ['(r2) decisions per second, one decide() per report (each copies the state: O(step) per call)', `${perSec(median(r2)).toLocaleString('en-US')}/s`, `${perSec(median(f2)).toLocaleString('en-US')}/s: SHA-256 + a Map update per event`, fmtX(ratio(r2, f2)), 'reported'],
];
console.log('\n| stage | ours | floor | ratio | goal |\n| --- | ---: | --- | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
