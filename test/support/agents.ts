/**
 * Running the real other coding agents from npm (devDependencies) in a sandbox home, without a login and without
 * the network: `@openai/codex` (`codex mcp list --json`), `@google/gemini-cli` (`gemini mcp list`, which prints to
 * stderr and stays offline only in a folder the user has not trusted), `@github/copilot` (`copilot mcp list --json`).
 * docs/harnesses.md has what each one reads and why these variables.
 *
 * - The environment is built from scratch (PATH and the sandbox's own variables), each agent pointed at the home:
 *   CODEX_HOME, GEMINI_CLI_HOME, COPILOT_HOME. Copilot unpacks its 235 MB runtime into XDG_CACHE_HOME on first run:
 *   that cache is kept in node_modules/.cache, so it is unpacked once per install, not once per test.
 * - Every run is bounded in time and started as the leader of its own process group, killed whole on timeout.
 * - A missing agent is a failure (requireComponent), in CI and out of it: they are devDependencies.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers.js';
import { forgetGroup, killGroup, requireComponent, runBounded } from './claude.js';

const require = createRequire(import.meta.url);

export type Agent = 'codex' | 'gemini' | 'copilot';
const PACKAGES: Record<Agent, { name: string; bin: string }> = {
  codex: { name: '@openai/codex', bin: 'codex' },
  gemini: { name: '@google/gemini-cli', bin: 'gemini' },
  copilot: { name: '@github/copilot', bin: 'copilot' },
};

/** The agent's JS entry and its version (the package's bin, run with this Node). */
export function agentBin(agent: Agent): { entry: string; version: string } {
  const { name, bin } = PACKAGES[agent];
  return requireComponent(name, () => {
    const pkgFile = require.resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string; bin: Record<string, string> };
    const entry = join(dirname(pkgFile), pkg.bin[bin]!);
    if (!existsSync(entry)) throw new Error(`${entry} is missing`);
    return { entry, version: pkg.version };
  });
}

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run the agent with the sandbox home, offline, in `cwd` (default: a fresh folder no one trusted). */
export async function runAgent(agent: Agent, home: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<AgentRun> {
  const { entry } = agentBin(agent);
  // Codex refuses helper links under the system temp folder (a warning on every run): give it its own.
  const tmp = join(home, '.agent-tmp');
  mkdirSync(tmp, { recursive: true });
  const cache = join(ROOT, 'node_modules', '.cache', 'claude-env-agents');
  mkdirSync(cache, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    NO_COLOR: '1',
    CODEX_HOME: join(home, '.codex'),
    GEMINI_CLI_HOME: home,
    GEMINI_CLI_NO_RELAUNCH: 'true',
    COPILOT_HOME: join(home, '.copilot'),
    COPILOT_AUTO_UPDATE: 'false',
    COPILOT_OFFLINE: 'true',
    XDG_CACHE_HOME: cache,
  };
  const cwd = opts.cwd ?? mkdtempSync(join(tmp, 'untrusted-'));
  const { code, stdout, stderr, timedOut, pgid } = await runBounded(process.execPath, [entry, ...args], { cwd, env, timeoutMs: opts.timeoutMs ?? 60_000 });
  // Whatever the agent left running goes with it.
  if (pgid !== undefined) {
    killGroup(pgid);
    forgetGroup(pgid);
  }
  return { code, stdout, stderr, timedOut };
}

const described = (agent: Agent, r: AgentRun): string => `${agent}: exit ${r.code}${r.timedOut ? ' after a timeout' : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/** One server as an agent lists it: its name and transport (`stdio`, `http`, `sse`). */
export interface ListedServer {
  name: string;
  transport: string;
  /** The command (stdio) or URL (remote) the agent would start or reach. */
  target: string;
}

/** `codex mcp list --json`: the servers Codex would start, from `~/.codex/config.toml`. */
export async function codexMcpList(home: string): Promise<ListedServer[]> {
  const r = await runAgent('codex', home, ['mcp', 'list', '--json']);
  if (r.code !== 0) throw new Error(described('codex', r));
  const list = JSON.parse(r.stdout) as Array<{ name: string; transport: { type: string; command?: string; url?: string } }>;
  return list.map((s) => ({ name: s.name, transport: s.transport.type === 'streamable_http' ? 'http' : s.transport.type, target: s.transport.command ?? s.transport.url ?? '' }));
}

/**
 * `gemini mcp list` in a folder no one trusted (so it connects to nothing): its stderr lines
 * `○ name: command args (stdio) - Disabled`, from `~/.gemini/settings.json`.
 */
export async function geminiMcpList(home: string): Promise<ListedServer[]> {
  const r = await runAgent('gemini', home, ['mcp', 'list']);
  if (r.code !== 0) throw new Error(described('gemini', r));
  const out: ListedServer[] = [];
  for (const line of r.stderr.split('\n')) {
    const m = /^\S+ ([^:]+): (.*) \((stdio|http|sse)\) - /.exec(line.trim());
    if (m) out.push({ name: m[1]!, target: m[2]!, transport: m[3]! });
  }
  if (out.length === 0 && !/No MCP servers configured/.test(r.stderr)) throw new Error(`gemini mcp list printed no server line\n${described('gemini', r)}`);
  return out;
}

/** `copilot mcp list --json`: the user's servers of `~/.copilot/mcp-config.json`. */
export async function copilotMcpList(home: string): Promise<ListedServer[]> {
  const r = await runAgent('copilot', home, ['mcp', 'list', '--json'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(described('copilot', r));
  const json = JSON.parse(r.stdout) as { mcpServers: Record<string, { type: string; command?: string; url?: string }> };
  return Object.entries(json.mcpServers).map(([name, s]) => ({ name, transport: s.type === 'local' ? 'stdio' : s.type, target: s.command ?? s.url ?? '' }));
}
