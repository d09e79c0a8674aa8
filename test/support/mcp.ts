/**
 * Real MCP servers for the tests, started and stopped by them: the npm
 * `@modelcontextprotocol/server-everything` over stdio and over streamable
 * HTTP on a free port, server-memory (see claude.ts), and small failing
 * servers (one that exits at once, one that never answers, an HTTP server
 * that answers 500) written into a temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { killGroup, unusedPort, type McpCommand } from './claude.js';

const require = createRequire(import.meta.url);

/** How to start server-everything from node_modules with this node (no npx, no network): `stdio` (default), `streamableHttp` or `sse`. */
export function everythingCommand(mode: 'stdio' | 'streamableHttp' | 'sse' = 'stdio'): McpCommand {
  const pkgJson = require.resolve('@modelcontextprotocol/server-everything/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin?: Record<string, string> };
  const rel = pkg.bin?.['mcp-server-everything'];
  if (!rel) throw new Error(`${pkgJson} has no "bin.mcp-server-everything" entry`);
  const entry = resolve(dirname(pkgJson), rel);
  if (!existsSync(entry)) throw new Error(`${entry} does not exist`);
  return { command: process.execPath, args: mode === 'stdio' ? [entry] : [entry, mode] };
}

export interface Running {
  url: string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.pid !== undefined) killGroup(c.pid);
});

/**
 * server-everything in streamable HTTP mode (its README: `mcp-server-everything streamableHttp`, port from `$PORT`) on a
 * free port; the URL is http://127.0.0.1:PORT/mcp. Resolves once it says it listens.
 */
export async function startEverythingHttp(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<Running> {
  const { command, args } = everythingCommand(mode);
  const port = await unusedPort();
  const child = spawn(command, args, { env: { PATH: process.env['PATH'] ?? '', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let log = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server-everything ${mode} did not start within 15 s:\n${log}`)), 15_000);
    const onData = (s: Buffer): void => {
      log += s.toString();
      if (/listening on port|running on port/i.test(log)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server-everything ${mode} exited with ${code}:\n${log}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`,
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      if (child.pid !== undefined) killGroup(child.pid);
      if (child.exitCode === null && child.signalCode === null) await gone;
      children.delete(child);
    },
  };
}

/** A plain HTTP server on 127.0.0.1 that answers every request 500, echoing the request headers in its body (as some proxies do). */
export async function startHttp500(): Promise<Running & { requests: number }> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error; request headers were ${JSON.stringify(req.headers)}`);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}/mcp`,
    get requests() {
      return state.requests;
    },
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** A stdio "server" that writes a line to stderr and exits with `code` before answering anything. */
export function exitingServer(dir: string, code: number, stderr: string): McpCommand {
  const file = join(dir, `exit-${code}.cjs`);
  writeFileSync(file, `process.stderr.write(${JSON.stringify(stderr)} + '\\n'); process.exit(${code});\n`);
  return { command: process.execPath, args: [file] };
}

/**
 * A stdio "server" that never answers: it starts a child of its own (as an npx or shell wrapper would), writes both pids
 * to `pidFile`, ignores SIGTERM and waits forever. Only a SIGKILL of its process group ends both.
 */
export function hangingServer(dir: string, pidFile: string): McpCommand {
  const file = join(dir, 'hang.cjs');
  writeFileSync(
    file,
    [
      "const { spawn } = require('node:child_process');",
      "const { writeFileSync } = require('node:fs');",
      "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
      `writeFileSync(${JSON.stringify(pidFile)}, JSON.stringify({ pid: process.pid, child: child.pid }));`,
      "process.on('SIGTERM', () => {});",
      'process.stdin.resume();',
      "process.stdin.on('end', () => {});",
      'setInterval(() => {}, 1000);',
      '',
    ].join('\n'),
  );
  return { command: process.execPath, args: [file] };
}

/** Whether a process is alive (signal 0), a zombie waiting for its reaper counting as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) STATE …"
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** The live processes (zombies aside) of a process group; on Linux from /proc, elsewhere signal 0 to the group. */
export function groupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) STATE ppid pgrp …": comm may hold spaces and parentheses, so read after the last ")".
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
