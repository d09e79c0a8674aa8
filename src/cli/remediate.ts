/**
 * `claude-env remediate --max-fixes N [--include medium]`: fix drift items
 * worst first, within the limit (remediate/run.ts). Exit 0 when no managed
 * drift is left, 1 when some is, 2 when a re-check failed (and everything
 * was rolled back).
 */
import { admittedOrRefused, writableOutputs } from '../apply/outputs.js';
import { hasManagedDrift } from '../drift/compare.js';
import type { PlanStep } from '../drift/types.js';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { runRemediate } from '../remediate/run.js';
import { commandLayers } from '../validate/trust.js';
import { describeTarget, type TargetOptions } from './context.js';
import { machineView } from './drift.js';
import { printJson, type CliIO } from './io.js';
import { claudeWaitMs, waitMs } from './machine.js';

interface RemediateOptions extends TargetOptions {
  maxFixes?: string | number;
  include?: string;
  json?: boolean;
  wait?: string;
  identity?: string;
}

const stepLine = (s: PlanStep): string => `${s.severity.padEnd(8)} ${s.path} (${s.file})`;

export async function run(io: CliIO, opts: RemediateOptions): Promise<ExitCode> {
  const max = opts.maxFixes === undefined ? 10 : Number(opts.maxFixes);
  if (!Number.isInteger(max) || max < 0) throw new ClaudeEnvError('usage', `--max-fixes needs a whole number (got "${opts.maxFixes}")`);
  if (opts.include !== undefined && opts.include !== 'medium') throw new ClaudeEnvError('usage', `--include takes only "medium" (got "${opts.include}")`);
  // remediate writes: the outputs pass the same checks as apply's.
  const view = await machineView(io, opts, 'remediate', (repo, target, render) => admittedOrRefused(repo, target, describeTarget(target), { ...render, extra: [...render.extra] }, io.compiledSchemas));
  const r = await runRemediate({
    view,
    maxFixes: max,
    includeMedium: opts.include === 'medium',
    writable: () => writableOutputs(view.outputs, { env: io.env, cwd: io.cwd, ...(opts.identity ? { identity: opts.identity } : {}), sys: view.store.sys, stateDir: view.store.dir, commandLayers: commandLayers(view.repo.settings.raw).layers, onResolved: io.secrets?.remember }),
    waitMs: waitMs(opts),
    claudeWaitMs: claudeWaitMs(opts),
  });
  if (opts.json) {
    printJson(io, {
      target: view.target,
      restore_point: r.restorePoint ?? null,
      fixed: r.fixed,
      manual_intervention: r.manual,
      drift_before: { drift_percentage: r.before.drift_percentage, risk_level: r.before.risk_level },
      drift_after: { drift_percentage: r.after.drift_percentage, risk_level: r.after.risk_level, items: r.after.items.length },
    });
  } else {
    const lines = [`remediate ${describeTarget(view.target)}: fixed ${r.fixed.length}, manual ${r.manual.length}; drift ${r.before.drift_percentage}% → ${r.after.drift_percentage}%, risk ${r.before.risk_level} → ${r.after.risk_level}${r.restorePoint ? ` (restore point ${r.restorePoint})` : ''}`];
    for (const s of r.fixed) lines.push(`  fixed   ${stepLine(s)}`);
    for (const s of r.manual) lines.push(`  manual  ${stepLine(s)}: ${s.reason}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return hasManagedDrift(r.after) ? EXIT_FINDINGS : EXIT_OK;
}
