/**
 * `claude-env mcp check`: connect to each enabled MCP server of the target
 * with the MCP protocol, initialize, list its tools, time it, and check its
 * `expect` block. Exit 1 when a server is down or an expectation is unmet.
 */
import { commandLayers } from '../validate/trust.js';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, formatLocation, type ExitCode } from '../errors.js';
import type { CheckReport, LocatedCheck } from '../mcp/online.js';
import { describeTarget, localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export interface OnlineFlags {
  timeout?: string;
  concurrency?: string;
  identity?: string;
}

const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ClaudeEnvError('usage', `--${name} must be a whole number above 0 (got "${v}")`, { exitCode: EXIT_USAGE });
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
    throw new ClaudeEnvError('usage', args[0] === undefined ? 'mcp needs a subcommand' : `unknown mcp subcommand "${args[0]}"`, { exitCode: EXIT_USAGE, hint: 'usage: claude-env mcp check [--server NAME] [--timeout MS] [--concurrency N] [--json]' });
  }
  const online = onlineOptions(io, opts);
  const repo = openRepo(io, opts);
  const target = resolveTarget(io, repo, opts);
  const { checkTree, mergedServers } = await import('../mcp/online.js');
  const { serverDefinitions } = await import('../mcp/servers.js');
  const servers = mergedServers(repo, target, localLayer(io, opts));
  if (opts.server !== undefined) {
    const names = serverDefinitions(servers).map((d) => d.name);
    if (!names.includes(opts.server)) {
      throw new ClaudeEnvError('usage', `no enabled MCP server "${opts.server}" for ${describeTarget(target)}`, { exitCode: EXIT_USAGE, hint: names.length > 0 ? `enabled servers: ${names.join(', ')}` : 'the target has no enabled MCP servers' });
    }
  }
  const report = await checkTree(servers, { ...online, only: opts.server, commandLayers: commandLayers(repo.settings.raw).layers });
  if (opts.json) printJson(io, { target, servers: report.servers, findings: report.findings });
  else io.stdout.write(checkText(describeTarget(target), report));
  return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v} ms`);

function row(s: LocatedCheck): string[] {
  const info = s.server ? `${s.server.name} ${s.server.version}` : '-';
  return [s.name, s.up ? 'up' : 'DOWN', s.transport, s.protocol_version ?? '-', s.tools === null ? '-' : String(s.tools), ms(s.latency_ms), s.up ? `${ms(s.latency.connect_ms)} / ${ms(s.latency.initialize_ms)} / ${ms(s.latency.list_ms)}` : '-', info];
}

/** A table of the servers, then each error and unmet expectation like a compiler. */
export function checkText(target: string, r: CheckReport): string {
  if (r.servers.length === 0) return `mcp check of ${target}: no enabled MCP servers\n`;
  const up = r.servers.filter((s) => s.up).length;
  const head = ['SERVER', 'STATUS', 'TRANSPORT', 'PROTOCOL', 'TOOLS', 'LATENCY', 'CONNECT / INIT / LIST', 'SERVER INFO'];
  const rows = [head, ...r.servers.map(row)];
  const widths = head.map((_, i) => Math.max(...rows.map((cells) => cells[i]!.length)));
  const lines = [`mcp check of ${target}: ${up} of ${r.servers.length} server(s) up`];
  for (const cells of rows) lines.push(`  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
  for (const f of r.findings) lines.push(`${formatLocation(f)}  ${f.severity}  ${f.rule}  ${f.message}`);
  return `${lines.join('\n')}\n`;
}
