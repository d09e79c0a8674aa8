/**
 * `claude-env mcp check`: connect to each enabled MCP server of the target
 * with the MCP protocol, initialize, list its tools, time it, and check its
 * `expect` block (src/mcp/online.ts). Exit 1 when a server is down or an
 * expectation is unmet.
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { describeTarget, openTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export interface OnlineFlags {
  timeout?: string;
  concurrency?: string;
  identity?: string;
}

const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ClaudeEnvError('usage', `--${name} must be a whole number above 0 (got "${v}")`);
  return n;
};

/** The options every online check takes, checked: `--timeout MS`, `--concurrency N`, `--identity FILE`. */
export function onlineOptions(io: CliIO, opts: OnlineFlags): { env: CliIO['env']; cwd: string; timeoutMs?: number; concurrency?: number; identityFile?: string; onResolved?: (value: string, description: string) => void } {
  const timeoutMs = positive('timeout', opts.timeout);
  const concurrency = positive('concurrency', opts.concurrency);
  return { env: io.env, cwd: io.cwd, ...(timeoutMs ? { timeoutMs } : {}), ...(concurrency ? { concurrency } : {}), ...(opts.identity ? { identityFile: opts.identity } : {}), ...(io.secrets ? { onResolved: io.secrets.remember } : {}) };
}

export async function run(io: CliIO, opts: TargetOptions & OnlineFlags & { json?: boolean; server?: string }, args: string[]): Promise<ExitCode> {
  if (args[0] !== 'check') {
    throw new ClaudeEnvError('usage', args[0] === undefined ? 'mcp needs a subcommand' : `unknown mcp subcommand "${args[0]}"`, { hint: 'usage: claude-env mcp check [--server NAME] [--timeout MS] [--concurrency N] [--json]' });
  }
  const online = onlineOptions(io, opts);
  const { repo, target, extra } = await openTarget(io, opts);
  // The MCP SDK loads only here.
  const [{ checkTarget }, { checkText }] = await Promise.all([import('../mcp/online.js'), import('../mcp/report.js')]);
  const report = await checkTarget(repo, target, extra, { ...online, only: opts.server });
  if (opts.json) printJson(io, { target, servers: report.servers, findings: report.findings });
  else io.stdout.write(checkText(describeTarget(target), report));
  return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
