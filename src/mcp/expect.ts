/**
 * The `expect` block of a server (API compatibility): tools it must list, a
 * minimum tool count, a latency budget. Pure: a check result in, unmet
 * expectations out, each with the place in the repo that states it.
 */
import { isMap, originAt, type Value } from '../provenance/tree.js';
import type { Origin } from '../vocabulary.js';

export interface Expectations {
  readonly tools?: readonly string[];
  readonly min_tools?: number;
  readonly max_latency_ms?: number;
  /** Where each expectation is written. */
  readonly origins: Readonly<Partial<Record<'tools' | 'min_tools' | 'max_latency_ms', Origin>>>;
}

export function parseExpectations(v: Value | undefined): Expectations {
  if (!isMap(v)) return { origins: {} };
  const origins: Partial<Record<'tools' | 'min_tools' | 'max_latency_ms', Origin>> = {};
  for (const k of ['tools', 'min_tools', 'max_latency_ms'] as const) {
    const o = originAt(v, k);
    if (o) origins[k] = o;
  }
  const tools = Array.isArray(v['tools']) ? v['tools'].filter((t): t is string => typeof t === 'string') : undefined;
  return {
    ...(tools ? { tools } : {}),
    ...(typeof v['min_tools'] === 'number' ? { min_tools: v['min_tools'] } : {}),
    ...(typeof v['max_latency_ms'] === 'number' ? { max_latency_ms: v['max_latency_ms'] } : {}),
    origins,
  };
}

export interface UnmetExpectation {
  readonly expectation: 'tools' | 'min_tools' | 'max_latency_ms';
  readonly message: string;
  readonly origin: Origin | undefined;
}

/** What a server that is up lists and how fast it answered. */
export interface Observed {
  readonly toolNames: readonly string[];
  readonly latencyMs: number;
}

const MAX_SHOWN = 20;
const list = (names: readonly string[]): string =>
  names.length === 0 ? '(none)' : names.length <= MAX_SHOWN ? names.join(', ') : `${names.slice(0, MAX_SHOWN).join(', ')}, … (${names.length} in all)`;

export function unmetExpectations(server: string, expect: Expectations, seen: Observed): UnmetExpectation[] {
  const out: UnmetExpectation[] = [];
  if (expect.tools) {
    const have = new Set(seen.toolNames);
    const missing = expect.tools.filter((t) => !have.has(t));
    if (missing.length > 0) {
      out.push({
        expectation: 'tools',
        message: `server "${server}" does not list the expected tool${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; it lists ${list(seen.toolNames)}`,
        origin: expect.origins.tools,
      });
    }
  }
  if (expect.min_tools !== undefined && seen.toolNames.length < expect.min_tools) {
    out.push({ expectation: 'min_tools', message: `server "${server}" lists ${seen.toolNames.length} tool(s), expected at least ${expect.min_tools}`, origin: expect.origins.min_tools });
  }
  if (expect.max_latency_ms !== undefined && seen.latencyMs > expect.max_latency_ms) {
    out.push({
      expectation: 'max_latency_ms',
      message: `server "${server}" took ${seen.latencyMs} ms to connect, initialize and list, over its budget of ${expect.max_latency_ms} ms`,
      origin: expect.origins.max_latency_ms,
    });
  }
  return out;
}
