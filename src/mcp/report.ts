/** The text of `mcp check`: a table of the servers, then each error and unmet expectation like a compiler. */
import { formatLocation } from '../errors.js';
import type { CheckReport, LocatedCheck } from './online.js';

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
