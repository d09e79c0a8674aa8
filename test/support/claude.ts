/**
 * Running the real Claude Code CLI (the `@anthropic-ai/claude-code` devDependency) in a sandbox HOME.
 *
 * - No network and no login: `claude mcp list/get` need neither. The environment is built from scratch (nothing of the outer
 *   environment leaks in except PATH), so no ANTHROPIC_* key, no CLAUDECODE, no CI flag, no FORCE_COLOR, no XDG_* dirs.
 * - Every run is bounded: the CLI is started as the leader of its own process group and the whole group (Claude and the MCP
 *   servers it spawned) is killed on timeout, after it exits if anything is left, and when the test process exits.
 * - A missing component is a failure everywhere (CI or not): both packages are devDependencies, so after `npm ci` they are there.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------------------------
// Components

/** Make a missing test component a clear failure (never a skip): `check` returns the component or throws why it is missing. */
export function requireComponent<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `required test component "${name}" is missing: ${why}\n` +
        `  It is a devDependency of claude-env: run \`npm ci\` (with optional dependencies and install scripts).\n` +
        `  Tests that use real components fail instead of skipping when one is missing (CI=${process.env['CI'] ?? 'unset'}).`,
    );
  }
}

export interface ClaudeBin {
  /** Absolute path of the executable (or of the JS entry when kind is 'node'). */
  path: string;
  /** 'native': exec it directly. 'node': run it with process.execPath. */
  kind: 'native' | 'node';
  /** The version of the installed @anthropic-ai/claude-code package. */
  version: string;
}

const magic = (file: string): Buffer => {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    readSync(fd, buf, 0, 4, 0);
    return buf;
  } finally {
    closeSync(fd);
  }
};

/** ELF, Mach-O (thin or fat) or PE. */
const isNativeExecutable = (file: string): boolean => {
  const m = magic(file);
  const be = m.readUInt32BE(0);
  return be === 0x7f454c46 || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(be) || (m[0] === 0x4d && m[1] === 0x5a);
};

const isNodeScript = (file: string): boolean => {
  if (/\.(c|m)?js$/.test(file)) return true;
  const head = readFileSync(file, 'utf8').slice(0, 200);
  return head.startsWith('#!') && /\bnode\b/.test(head.split('\n')[0] ?? '');
};

/** The platform key used by the claude-code wrapper package for its native optional dependency (see its install.cjs). */
const platformKey = (): string => {
  if (process.platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const musl = report !== undefined && report.header?.glibcVersionRuntime === undefined;
    return `linux-${arch()}${musl ? '-musl' : ''}`;
  }
  return `${process.platform}-${arch()}`;
};

const cachedBins = new Map<string, ClaudeBin>();

/**
 * The Claude Code releases the tests run: the newest on npm (the `@anthropic-ai/claude-code` devDependency) and the oldest
 * claude-env supports (the same package under the alias `claude-code-oldest`). README "Supported Claude Code" names both.
 */
export const CLAUDE_PACKAGES = { newest: '@anthropic-ai/claude-code', oldest: 'claude-code-oldest' } as const;

/**
 * Find the Claude Code CLI from node_modules through the package's own `bin` entry. 2.1.x ships `bin/claude.exe`, which its
 * postinstall replaces (hard link or copy) with the native binary of the platform package `@anthropic-ai/claude-code-<platform>`.
 * If the postinstall did not run (`--ignore-scripts`), the platform package's binary is used directly. Throws when none is usable.
 */
export function findClaudeBin(packageName: string = CLAUDE_PACKAGES.newest): ClaudeBin {
  const cached = cachedBins.get(packageName);
  if (cached) return cached;
  const pkgJson = require.resolve(`${packageName}/package.json`);
  const pkgDir = dirname(pkgJson);
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string; bin?: string | Record<string, string>; optionalDependencies?: Record<string, string> };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['claude'];
  if (!rel) throw new Error(`${pkgJson} has no "bin.claude" entry`);
  const binPath = resolve(pkgDir, rel);
  if (!existsSync(binPath)) throw new Error(`${binPath} (the package's bin) does not exist`);
  let found: ClaudeBin | undefined;
  if (isNativeExecutable(binPath)) found = { path: binPath, kind: 'native', version: pkg.version };
  else {
    // The placeholder stub: use the platform package's binary, as the package's cli-wrapper.cjs does.
    const key = platformKey();
    const bin = process.platform === 'win32' ? 'claude.exe' : 'claude';
    // Only a release that ships one (older ones are one cli.js): another release's platform package may sit higher up.
    if (pkg.optionalDependencies?.[`@anthropic-ai/claude-code-${key}`] !== undefined) try {
      const platJson = createRequire(pkgJson).resolve(`@anthropic-ai/claude-code-${key}/package.json`);
      const candidate = join(dirname(platJson), bin);
      if (existsSync(candidate) && isNativeExecutable(candidate)) found = { path: candidate, kind: 'native', version: pkg.version };
    } catch {
      /* no platform package */
    }
    if (!found && isNodeScript(binPath)) found = { path: binPath, kind: 'node', version: pkg.version };
    if (!found) throw new Error(`${binPath} is the install placeholder and @anthropic-ai/claude-code-${key} is not installed`);
  }
  if (found.kind === 'native' && process.platform !== 'win32' && (statSync(found.path).mode & 0o111) === 0) {
    throw new Error(`${found.path} is not executable`);
  }
  cachedBins.set(packageName, found);
  return found;
}

export interface McpCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * How to start `@modelcontextprotocol/server-memory` from node_modules with the current node: absolute paths, no npx, no network.
 * Give `memoryFile` to keep the server's knowledge graph out of node_modules (it defaults to a file next to its dist/index.js;
 * `claude mcp list` only does the handshake and writes nothing, but a tool call would).
 */
export function memoryServerCommand(opts: { memoryFile?: string } = {}): McpCommand {
  const pkgJson = require.resolve('@modelcontextprotocol/server-memory/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin?: string | Record<string, string> };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['mcp-server-memory'];
  if (!rel) throw new Error(`${pkgJson} has no "bin.mcp-server-memory" entry`);
  const entry = resolve(dirname(pkgJson), rel);
  if (!existsSync(entry)) throw new Error(`${entry} does not exist`);
  return { command: process.execPath, args: [entry], ...(opts.memoryFile ? { env: { MEMORY_FILE_PATH: opts.memoryFile } } : {}) };
}

/** The installed server-memory version (for diagnostics). */
export const memoryServerVersion = (): string =>
  (JSON.parse(readFileSync(require.resolve('@modelcontextprotocol/server-memory/package.json'), 'utf8')) as { version: string }).version;

// ---------------------------------------------------------------------------------------------------------------------------
// Sandbox

export interface Sandbox {
  /** The sandbox HOME (realpath, so it matches what Claude prints and the `projects` keys it writes). */
  home: string;
  /** Remove everything. Safe to call twice. */
  cleanup(): void;
}

export function makeSandbox(prefix = 'claude-env-claude-'): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const home = join(root, 'home');
  mkdirSync(join(home, '.tmp'), { recursive: true });
  return { home, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Write `.claude.json` the way Claude writes it: 2-space JSON, no trailing newline, mode 0600. */
export function writeClaudeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2), { mode: 0o600 });
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok, fail) => srv.once('error', fail).listen(0, '127.0.0.1', ok));
  const addr = srv.address();
  await new Promise<void>((ok) => srv.close(() => ok()));
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/**
 * The complete environment of a Claude run. Built from nothing: only PATH comes from outside (Claude and stdio servers may
 * need /bin/sh and the like). Names are from the Claude Code docs (env-vars page) and the 2.1.197 binary:
 * - DISABLE_AUTOUPDATER=1: no update check or download.
 * - CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1: "essential-traffic" privacy level: no telemetry, error reporting, feature flags
 *   (GrowthBook), release notes or other nonessential requests. Docs: equivalent to DISABLE_AUTOUPDATER + DISABLE_BUG_COMMAND +
 *   DISABLE_ERROR_REPORTING + DISABLE_TELEMETRY.
 * - DISABLE_TELEMETRY=1, DISABLE_ERROR_REPORTING=1: the same, explicitly, should the umbrella variable change meaning.
 * - DISABLE_INSTALLATION_CHECKS=1: no install-method diagnostics (it would otherwise inspect the npm-local install).
 * - NO_COLOR=1, TERM=dumb: plain text output (it is a pipe anyway).
 * - TMPDIR inside the sandbox, so any temp file Claude makes is removed with it.
 * - CLAUDE_CONFIG_DIR only when asked.
 */
export function claudeEnv(home: string, opts: { configDir?: string; env?: Record<string, string> } = {}): Record<string, string> {
  return {
    HOME: home,
    ...(process.platform === 'win32' ? { USERPROFILE: home } : {}),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    TMPDIR: join(home, '.tmp'),
    TERM: 'dumb',
    NO_COLOR: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_INSTALLATION_CHECKS: '1',
    ...(opts.configDir ? { CLAUDE_CONFIG_DIR: opts.configDir } : {}),
    ...(opts.env ?? {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------------------
// Running

export interface ClaudeRunOptions {
  /** Sets CLAUDE_CONFIG_DIR. */
  configDir?: string;
  /** Working directory (default: home). Claude reads `.mcp.json` from it and every parent, `.claude/settings*.json` from it. */
  cwd?: string;
  /** Extra environment variables, on top of claudeEnv(). */
  env?: Record<string, string>;
  /** Kill the process group after this long (default 30 s). */
  timeoutMs?: number;
  /** Which installed release runs (default: the newest). */
  release?: keyof typeof CLAUDE_PACKAGES;
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run. */
  ms: number;
  timedOut: boolean;
  /** Processes of Claude's group (MCP servers it started) still alive 1 s after Claude exited by itself; they were killed. */
  strays: boolean;
}

const liveGroups = new Set<number>();
/** SIGKILL a whole process group (no error when it is gone). */
export const killGroup = (pgid: number): void => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};
export const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
process.on('exit', () => {
  for (const g of liveGroups) killGroup(g);
});
/** A process group this test process started and must end: killed at exit unless forgotten first. */
export const trackGroup = (pgid: number): void => void liveGroups.add(pgid);
export const forgetGroup = (pgid: number): void => void liveGroups.delete(pgid);

/**
 * Start `file ARGV` as the leader of its own process group (so whatever it spawns can be ended with it), collect its
 * output, and kill the whole group after `timeoutMs`. The group is tracked until the caller forgets it.
 */
export async function runBounded(
  file: string,
  argv: readonly string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number; timedOut: boolean; pgid: number | undefined; posix: boolean }> {
  const started = performance.now();
  const posix = process.platform !== 'win32';
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: posix });
  const pgid = child.pid;
  if (posix && pgid !== undefined) liveGroups.add(pgid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (posix && pgid !== undefined) killGroup(pgid);
    else child.kill('SIGKILL');
  }, opts.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok, fail) => {
    child.once('error', fail);
    child.once('close', (c, s) => ok([c, s]));
  }).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr, ms: performance.now() - started, timedOut, pgid, posix };
}

/** Run `claude ARGS` with the sandbox HOME, a clean environment and a bounded time. Never rejects for a non-zero exit. */
export async function runClaude(home: string, args: string[], opts: ClaudeRunOptions = {}): Promise<ClaudeRun> {
  const bin = findClaudeBin(CLAUDE_PACKAGES[opts.release ?? 'newest']);
  const [file, argv] = bin.kind === 'native' ? [bin.path, args] : [process.execPath, [bin.path, ...args]];
  const { code, signal, stdout, stderr, ms, timedOut, pgid, posix } = await runBounded(file, argv, { cwd: opts.cwd ?? home, env: claudeEnv(home, opts), timeoutMs: opts.timeoutMs ?? 30_000 });
  let strays = false;
  if (posix && pgid !== undefined && timedOut) {
    killGroup(pgid); // anything forked since the first kill
    liveGroups.delete(pgid);
  } else if (posix && pgid !== undefined) {
    // Give the servers Claude closed a moment to exit by themselves, then end whatever is left.
    for (let i = 0; i < 20 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 50));
    if (groupAlive(pgid)) {
      strays = true;
      killGroup(pgid);
    }
    liveGroups.delete(pgid);
  }
  return { code, signal, stdout, stderr, ms, timedOut, strays };
}

const describeRun = (r: ClaudeRun): string =>
  `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' after a timeout' : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

// ---------------------------------------------------------------------------------------------------------------------------
// claude mcp list / get

export type McpStatus = 'connected' | 'failed' | 'pending' | 'rejected' | 'needs-auth' | 'unknown';

export interface McpListEntry {
  name: string;
  status: McpStatus;
  /** The status text after the marker, e.g. "Connected", "Failed to connect", "Pending approval (run `claude` to approve)". */
  statusText: string;
  /** What Claude prints between "name: " and " - ": "COMMAND ARGS…" for stdio, "URL (HTTP)" / "URL (SSE)" for http / sse. */
  target: string;
  /** `mcp list` prints no scope; `mcp get` does (see claudeMcpGet). */
  scope?: string;
  /** The whole line. */
  raw: string;
}

/**
 * The status column of `mcp list` / `mcp get` (2.1.197 binary): `✔ Connected`, `! Connected · tools fetch failed`,
 * `! Needs authentication`, `✘ Failed to connect`, `✘ Connection error`, `⏸ Pending approval (run `claude` to approve)`,
 * `✘ Rejected (see disabledMcpjsonServers in settings)` (get only; `list` leaves rejected servers out).
 * Windows consoles get √ and × instead of ✔ and ✘.
 */
export function parseMcpStatus(text: string): { status: McpStatus; statusText: string } {
  const m = /^(\S+)\s+(.*)$/u.exec(text.trim());
  const [marker, rest] = m ? [m[1] ?? '', m[2] ?? ''] : ['', text.trim()];
  let status: McpStatus = 'unknown';
  if ((marker === '✔' || marker === '√') && /^Connected\b/.test(rest)) status = 'connected';
  else if (marker === '✘' || marker === '×') status = /^Rejected\b/.test(rest) ? 'rejected' : 'failed';
  else if (marker === '⏸') status = 'pending';
  else if (marker === '!' && /^Needs authentication\b/.test(rest)) status = 'needs-auth';
  return { status, statusText: rest };
}

/**
 * Parse `claude mcp list` stdout. Its lines (2.1.197):
 *   Checking MCP server health…
 *   <blank>
 *   NAME: COMMAND ARG… - ✔ Connected
 *   NAME: URL (HTTP) - ✘ Failed to connect
 * or the single line "No MCP servers configured. Use `claude mcp add` to add a server." Other lines are ignored.
 */
export function parseMcpList(stdout: string): McpListEntry[] {
  const out: McpListEntry[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    // Names are [A-Za-z0-9_-]; the greedy target takes the last " - " (args may contain one).
    const m = /^([A-Za-z0-9_-]+): (.*) - (\S.*)$/u.exec(raw);
    if (!m) continue;
    out.push({ name: m[1] ?? '', target: (m[2] ?? '').trimEnd(), ...parseMcpStatus(m[3] ?? ''), raw });
  }
  return out;
}

/** `claude mcp list`, parsed. Rejects (with Claude's output) unless it exits 0 in time. */
export async function claudeMcpList(home: string, opts: ClaudeRunOptions = {}): Promise<McpListEntry[]> {
  return (await claudeMcpListRun(home, opts)).servers;
}

/** `claude mcp list` with the run itself (timing, stderr), for tests that look at more than the servers. */
export async function claudeMcpListRun(home: string, opts: ClaudeRunOptions = {}): Promise<{ run: ClaudeRun; servers: McpListEntry[] }> {
  const run = await runClaude(home, ['mcp', 'list'], opts);
  if (run.code !== 0 || run.timedOut) throw new Error(`claude mcp list failed: ${describeRun(run)}`);
  return { run, servers: parseMcpList(run.stdout) };
}

export interface McpGetResult {
  name: string;
  /** "User config (available in all your projects)", "Project config (shared via .mcp.json)", "Local config (private to you in this project)". */
  scope: string;
  status: McpStatus;
  statusText: string;
  /** The other "  Key: value" lines: Type, Command, Args, URL, Issue, Timeout, OAuth. */
  fields: Record<string, string>;
  /** "  Environment:" / "  Headers:" sub-lines, as KEY → value. */
  env: Record<string, string>;
  headers: Record<string, string>;
  raw: string;
}

/** Parse `claude mcp get NAME` stdout (2.1.197 layout: "NAME:", then "  Scope: …", "  Status: …", "  Type: …", …). */
export function parseMcpGet(stdout: string): McpGetResult | null {
  const lines = stdout.split(/\r?\n/);
  const head = /^([A-Za-z0-9_-]+):$/.exec(lines[0] ?? '');
  if (!head) return null;
  const fields: Record<string, string> = {};
  const env: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let block: 'env' | 'headers' | null = null;
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^ {4}([^=:]+)=(.*)$/.exec(line)) && block === 'env') env[m[1] ?? ''] = m[2] ?? '';
    else if ((m = /^ {4}([^:]+): (.*)$/.exec(line)) && block === 'headers') headers[m[1] ?? ''] = m[2] ?? '';
    else if ((m = /^ {2}(\S[^:]*):(?: (.*))?$/.exec(line))) {
      const key = m[1] ?? '';
      block = key === 'Environment' ? 'env' : key === 'Headers' ? 'headers' : null;
      if (!block) fields[key] = m[2] ?? '';
    } else block = null;
  }
  const { Scope: scope = '', Status: statusLine = '', ...rest } = fields;
  return { name: head[1] ?? '', scope, ...parseMcpStatus(statusLine), fields: rest, env, headers, raw: stdout };
}

/** `claude mcp get NAME`, parsed; null when Claude knows no such server (it exits 1). Rejects on any other failure. */
export async function claudeMcpGet(home: string, name: string, opts: ClaudeRunOptions = {}): Promise<McpGetResult | null> {
  const run = await runClaude(home, ['mcp', 'get', name], opts);
  if (run.code === 1 && !run.timedOut && /No MCP server named/.test(run.stderr + run.stdout)) return null;
  const parsed = run.code === 0 && !run.timedOut ? parseMcpGet(run.stdout) : null;
  if (!parsed) throw new Error(`claude mcp get ${name} failed: ${describeRun(run)}`);
  return parsed;
}

/**
 * A PATH on which `claude` is the given release (a wrapper in a folder of its own, first), or no Claude Code at all ('none'):
 * the folders of the test's PATH that hold a `claude` are left out either way. What apply detects (`claude --version`) is then
 * the release the test chose.
 */
export function pathWithClaude(release: keyof typeof CLAUDE_PACKAGES | 'none', dir: string): string {
  const rest = (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).filter((d) => d !== '' && !existsSync(join(d, 'claude')));
  if (release === 'none') return rest.join(delimiter);
  const bin = findClaudeBin(CLAUDE_PACKAGES[release]);
  const wrapperDir = join(dir, `claude-${release}-bin`);
  mkdirSync(wrapperDir, { recursive: true });
  const run = bin.kind === 'native' ? `exec "${bin.path}" "$@"` : `exec "${process.execPath}" "${bin.path}" "$@"`;
  writeFileSync(join(wrapperDir, 'claude'), `#!/bin/sh\n${run}\n`, { mode: 0o755 });
  return [wrapperDir, ...rest].join(delimiter);
}
