/**
 * remediate, the transaction: drift items worst first, within the limit
 * (fix.ts `selectFixes`): a restore point of every file it may touch, then
 * one item at a time, each through the switch and re-checked; a fix that
 * does not hold rolls everything back. Items past the limit (or needing
 * --force) become manual-intervention entries. Holds claude-env's lock, and
 * Claude Code's lock on `.claude.json` from the read of that file to the
 * last write (the roll-back included) when a fix is in it.
 */
import { filesNow, fileAt, linkGuardOf, rollbackTo, underClaudeLock, commitFiles, writeGuard } from '../apply/switch.js';
import { driftReport, readActual, rereadMachine, type MachineView } from '../apply/machine.js';
import { outputLocation } from '../apply/paths.js';
import { planOnMachine } from '../apply/run.js';
import { compareDrift, severityRulesOf } from '../drift/compare.js';
import type { DriftReport, MachineState, PlanStep } from '../drift/types.js';
import { ClaudeEnvError } from '../errors.js';
import type { Output } from '../render/outputs.js';
import { secretCheckOf } from '../secrets/outputs.js';
import { withLastWrites } from '../state/last-writes.js';
import { fixedContent, selectFixes } from './fix.js';

export interface RemediateInput {
  /** The machine as read for a command that writes (apply/machine.ts `readMachine` with `admit`). */
  readonly view: MachineView;
  readonly maxFixes: number;
  /** Fix medium items too (`--include medium`). */
  readonly includeMedium: boolean;
  /** The outputs with their secrets resolved (apply/outputs.ts `writableOutputs`), asked for only when something is to be fixed. */
  readonly writable: () => Promise<readonly Output[]>;
  /** How long to wait for another claude-env, and for Claude Code's lock on `.claude.json`. */
  readonly waitMs: number;
  readonly claudeWaitMs: number;
}

export interface RemediateResult {
  readonly view: MachineView;
  readonly before: DriftReport;
  readonly after: DriftReport;
  readonly fixed: readonly PlanStep[];
  readonly manual: ReadonlyArray<PlanStep & { readonly reason: string }>;
  readonly restorePoint?: string;
}

const itemKey = (i: { file: string; path: string }): string => `${i.file}\0${i.path}`;

export async function runRemediate(input: RemediateInput): Promise<RemediateResult> {
  const { view } = input;
  const before = driftReport(view);
  const selection = selectFixes(before.plan, input.maxFixes, input.includeMedium);
  const fixed: PlanStep[] = [];
  let restorePoint: string | undefined;
  if (selection.fix.length > 0) {
    const unlock = await view.store.lock('remediate', input.waitMs);
    try {
      const touchesClaudeJson = selection.fix.some((s) => s.file === '.claude.json');
      restorePoint = await underClaudeLock(touchesClaudeJson ? outputLocation(view.loc, '.claude.json') : undefined, { waitMs: input.claudeWaitMs }, () => fixAll(input, before, selection.fix, fixed));
      await view.store.audit({ event: 'remediate', target: view.target, restorePoint, fixed: fixed.map((s) => s.path), manual: selection.manual.map((s) => s.path) });
    } finally {
      await unlock();
    }
  }
  const now = await rereadMachine(view);
  return { view: now, before, after: driftReport(now), fixed, manual: selection.manual, ...(restorePoint ? { restorePoint } : {}) };
}

/** Fix each step in turn, re-checking each; returns the restore point that holds the files as they were. */
async function fixAll(input: RemediateInput, before: DriftReport, steps: readonly PlanStep[], fixed: PlanStep[]): Promise<string> {
  const { view } = input;
  const sys = view.store.sys;
  const locate = (p: string): string => outputLocation(view.loc, p);
  const guard = writeGuard(view.loc, linkGuardOf(view.loc, sys));
  const writable = await input.writable();
  const records = (await planOnMachine(sys, { target: view.target, outputs: writable, state: view.state, locations: view.loc, force: true })).newState.outputs;
  const files = [...new Set(steps.map((s) => s.file))];
  const restorePoint = await view.store.createRestorePoint('remediate', await filesNow(sys, files.map((f) => ({ path: f, abs: locate(f) }))), view.state);
  let state: MachineState = view.state;
  const expected = new Set(before.items.filter((i) => i.kind !== 'extra').map(itemKey));
  const done = new Set<string>();
  for (const step of steps) {
    const output = writable.find((o) => o.path === step.file);
    const now = await fileAt(sys, locate(step.file));
    const next = fixedContent(step, output, now, state);
    const outputs = { ...state.outputs };
    if (output && records[step.file]) outputs[step.file] = records[step.file]!;
    else delete outputs[step.file];
    const mode = records[step.file]?.mode ?? now?.mode ?? 0o644;
    const change = { path: step.file, abs: locate(step.file), ...(next === undefined ? {} : { bytes: next, mode }) };
    // What remediate leaves in the file is recorded: a later rollback of it tells changes made since by it.
    state = withLastWrites({ ...state, outputs }, [change], restorePoint);
    await commitFiles(view.store, [change], state, restorePoint, guard);
    // Re-check: the item is gone, and the file drifts in nothing it did not drift in before.
    const check = await secretCheckOf(sys, view.store.dir, state);
    const actual = await readActual(sys, view.loc, view.outputs, state);
    const after = compareDrift({ target: view.target, desired: view.outputs, actual, state, rules: severityRulesOf(view.repo.settings.raw), ...(check ? { secretCheck: check } : {}), ...(view.policy ? { policy: view.policy } : {}) });
    const left = after.items.filter((i) => i.file === step.file && i.kind !== 'extra').map(itemKey);
    const bad = left.find((k) => k === itemKey(step) || !expected.has(k) || done.has(k));
    if (bad !== undefined) {
      await rollbackTo(view.store, await view.store.readRestorePoint(restorePoint), `remediate: ${step.path} did not hold`, { exact: true, guard });
      const what = bad === itemKey(step) ? `${step.path} still drifts after its fix` : `the fix of ${step.path} left ${step.file} drifting (${bad.split('\0')[1]})`;
      throw new ClaudeEnvError('remediate-check-failed', `${what}; every file was put back as it was (restore point ${restorePoint})`, { file: step.file });
    }
    done.add(itemKey(step));
    fixed.push(step);
  }
  return restorePoint;
}
