/**
 * `claude-env remediate --max-fixes N [--include medium]`: fix drift items
 * worst first, within the limit: a restore point of every file it may touch,
 * then one item at a time, each re-checked; a fix that does not hold rolls
 * everything back. Items past the limit (or needing --force) become
 * manual-intervention entries. Exit 0 when no managed drift is left, 1 when
 * some is, 2 when a re-check failed (and everything was rolled back).
 */
import { commitFiles, rollbackTo, writeGuard } from '../apply/run.js';
import { lockClaudeJson } from '../system/claude-lock.js';
import { outputLocation } from '../apply/paths.js';
import { planApply } from '../apply/plan.js';
import { compareDrift } from '../drift/compare.js';
import type { PlanStep } from '../drift/types.js';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { fixedContent, selectFixes } from '../remediate/fix.js';
import type { MachineState } from '../state/types.js';
import { readIfExists } from '../system/fs.js';
import { describeTarget, type TargetOptions } from './context.js';
import { actualSnapshot, driftReport, hasManagedDrift, machineView, severityRules } from './drift.js';
import { printJson, type CliIO } from './io.js';
import { waitMs, writableOutputs } from './machine.js';
import { secretCheckOf } from '../secrets/outputs.js';
import { withLastWrites } from '../state/last-writes.js';
import { commandLayers } from '../validate/trust.js';

interface RemediateOptions extends TargetOptions {
  maxFixes?: string | number;
  include?: string;
  json?: boolean;
  wait?: string;
  identity?: string;
}

const itemKey = (i: { file: string; path: string }): string => `${i.file}\0${i.path}`;
const stepLine = (s: PlanStep): string => `${s.severity.padEnd(8)} ${s.path} (${s.file})`;

export async function run(io: CliIO, opts: RemediateOptions): Promise<ExitCode> {
  const max = opts.maxFixes === undefined ? 10 : Number(opts.maxFixes);
  if (!Number.isInteger(max) || max < 0) throw new ClaudeEnvError('usage', `--max-fixes needs a whole number (got "${opts.maxFixes}")`, { exitCode: EXIT_USAGE });
  if (opts.include !== undefined && opts.include !== 'medium') throw new ClaudeEnvError('usage', `--include takes only "medium" (got "${opts.include}")`, { exitCode: EXIT_USAGE });
  const view = await machineView(io, opts, 'remediate');
  const before = driftReport(view);
  const selection = selectFixes(before.plan, max, opts.include === 'medium');
  const fixed: PlanStep[] = [];
  let restorePoint: string | undefined;
  if (selection.fix.length > 0) {
    const unlock = view.store.lock('remediate', waitMs(opts));
    const locate = (p: string): string => outputLocation(view.loc, p);
    const guard = writeGuard(view.loc);
    let releaseClaude = (): void => {};
    try {
      // Claude Code's lock on its state file, held while remediate may rewrite it (and roll it back).
      if (selection.fix.some((s) => s.file === '.claude.json')) releaseClaude = lockClaudeJson(locate('.claude.json'));
      const writable = await writableOutputs(io, opts, view.outputs, view.store.dir, commandLayers(view.repo.settings.raw).layers);
      const records = planApply({ target: view.target, outputs: writable, state: view.state, locate, actual: readIfExists, force: true }).newState.outputs;
      const files = [...new Set(selection.fix.map((s) => s.file))];
      restorePoint = view.store.createRestorePoint(
        'remediate',
        files.map((f) => {
          const now = readIfExists(locate(f));
          return { path: f, abs: locate(f), ...(now ? { bytes: now.bytes, mode: now.mode } : {}) };
        }),
        view.state,
      );
      let state: MachineState = view.state;
      const expected = new Set(before.items.filter((i) => i.kind !== 'extra').map(itemKey));
      const done = new Set<string>();
      for (const step of selection.fix) {
        const output = writable.find((o) => o.path === step.file);
        const now = readIfExists(locate(step.file));
        const next = fixedContent(step, output, now?.bytes.toString('utf8'), state);
        const outputs = { ...state.outputs };
        if (output && records[step.file]) outputs[step.file] = records[step.file]!;
        else delete outputs[step.file];
        const mode = records[step.file]?.mode ?? now?.mode ?? 0o644;
        const change = { path: step.file, abs: locate(step.file), ...(next === undefined ? {} : { bytes: Buffer.from(next), mode }) };
        // What remediate leaves in the file is recorded: a later rollback of it tells changes made since by it.
        state = withLastWrites({ ...state, outputs }, [change], restorePoint);
        commitFiles(view.store, [change], state, restorePoint, guard);
        // Re-check: the item is gone, and the file drifts in nothing it did not drift in before.
        const check = secretCheckOf(view.store.dir, state);
        const after = compareDrift({ target: view.target, desired: view.outputs, actual: actualSnapshot(view.loc, view.outputs, state), state, rules: severityRules(view.repo), ...(check ? { secretCheck: check } : {}), ...(view.policy ? { policy: view.policy } : {}) });
        const left = after.items.filter((i) => i.file === step.file && i.kind !== 'extra').map(itemKey);
        const bad = left.find((k) => k === itemKey(step) || !expected.has(k) || done.has(k));
        if (bad !== undefined) {
          rollbackTo(view.store, view.store.readRestorePoint(restorePoint), `remediate: ${step.path} did not hold`, { exact: true, guard });
          const what = bad === itemKey(step) ? `${step.path} still drifts after its fix` : `the fix of ${step.path} left ${step.file} drifting (${bad.split('\0')[1]})`;
          throw new ClaudeEnvError('remediate-check-failed', `${what}; every file was put back as it was (restore point ${restorePoint})`, { file: step.file, exitCode: EXIT_USAGE });
        }
        done.add(itemKey(step));
        fixed.push(step);
      }
      view.store.audit({ event: 'remediate', target: view.target, restorePoint, fixed: fixed.map((s) => s.path), manual: selection.manual.map((s) => s.path) });
    } finally {
      releaseClaude();
      unlock();
    }
  }
  const stateAfter = view.store.readState();
  const after = driftReport({ ...view, state: stateAfter, actual: actualSnapshot(view.loc, view.outputs, stateAfter), secretCheck: secretCheckOf(view.store.dir, stateAfter) });
  if (opts.json) {
    printJson(io, {
      target: view.target,
      restore_point: restorePoint ?? null,
      fixed,
      manual_intervention: selection.manual,
      drift_before: { drift_percentage: before.drift_percentage, risk_level: before.risk_level },
      drift_after: { drift_percentage: after.drift_percentage, risk_level: after.risk_level, items: after.items.length },
    });
  } else {
    const lines = [`remediate ${describeTarget(view.target)}: fixed ${fixed.length}, manual ${selection.manual.length}; drift ${before.drift_percentage}% → ${after.drift_percentage}%, risk ${before.risk_level} → ${after.risk_level}${restorePoint ? ` (restore point ${restorePoint})` : ''}`];
    for (const s of fixed) lines.push(`  fixed   ${stepLine(s)}`);
    for (const s of selection.manual) lines.push(`  manual  ${stepLine(s)}: ${s.reason}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return hasManagedDrift(after) ? EXIT_FINDINGS : EXIT_OK;
}
