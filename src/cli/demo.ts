/**
 * `claude-env demo`: the main job on embedded defaults, in a temp dir
 * (src/demo/run.ts). Prints ✔ or ✘ for each step as it ends; exit 1 when a
 * step's outcome is wrong (the demo stops there and says why).
 */
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { runDemo, type DemoOptions, type DemoStep } from '../demo/run.js';
import { printJson, type CliIO } from './io.js';
import { main } from './main.js';

export function run(io: CliIO, opts: { json?: boolean; keep?: boolean }): Promise<ExitCode> {
  return demo(io, opts);
}

/** `beforeStep`: for tests, which change what a step finds. */
export async function demo(io: CliIO, opts: { json?: boolean; keep?: boolean }, beforeStep?: DemoOptions['beforeStep']): Promise<ExitCode> {
  const say = (s: DemoStep): void => {
    if (opts.json) return;
    io.stdout.write(`${s.ok ? '✔' : '✘'} ${s.step}: ${s.summary}\n`);
    if (s.text) io.stdout.write(`${s.text.replace(/^/gm, '    ')}\n`);
  };
  const report = await runDemo({
    env: io.env,
    ...(opts.keep ? { keep: true } : {}),
    onStep: say,
    ...(beforeStep ? { beforeStep } : {}),
    command: async (args, env, cwd) => {
      let stdout = '';
      let stderr = '';
      const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env, cwd });
      return { code, stdout, stderr };
    },
  });
  if (opts.json) printJson(io, { dir: report.dir, steps: report.steps.map(({ text: _text, ...s }) => s) });
  else if (report.dir) io.stdout.write(`kept ${report.dir}\n`);
  return report.ok ? EXIT_OK : EXIT_FINDINGS;
}
