/**
 * The stdio transport of `mcp check`: the MCP SDK's Transport interface over a
 * server process that is the leader of its own process group, so ending the
 * check ends the server and everything it started (an `npx` wrapper, a shell,
 * a grandchild), even when the server never answers. The SDK's own
 * StdioClientTransport kills only the direct child and waits up to 4 s doing
 * it. Framing (newline-delimited JSON-RPC) is the SDK's ReadBuffer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';

export interface StdioParams {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string | undefined;
}

/** How the process ended, when it did. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const POSIX = process.platform !== 'win32';
/** How long a server may take to exit by itself once its stdin is closed, and then after SIGTERM. */
const GRACE_MS = 300;
const TERM_MS = 500;
/** Keep this much of the server's stderr: the last lines explain an early exit. */
const STDERR_KEEP = 8192;

/** A spawn that failed (the command is not there, not executable…): the errno code and the command. */
export class SpawnError extends Error {
  readonly errno: string;
  readonly command: string;
  constructor(errno: string, command: string) {
    super(`${errno}: ${command}`);
    this.name = 'SpawnError';
    this.errno = errno;
    this.command = command;
  }
}

export class GroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  private stderrTail = '';
  private exitInfo: ProcessExit | undefined;
  private closed: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly params: StdioParams) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the server process ended, once it has (its streams are flushed by then). */
  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Wait up to `ms` for the process to have ended and its output to be read (to explain an early exit). */
  async settled(ms: number): Promise<void> {
    if (!this.closed) return;
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, ms).unref())]);
  }

  /** The last lines the server wrote to stderr (at most `n`). */
  lastStderrLines(n = 5): string[] {
    return this.stderrTail
      .split(/\r?\n/)
      .map((l) => l.trimEnd())
      .filter((l) => l !== '')
      .slice(-n);
  }

  start(): Promise<void> {
    if (this.child) throw new Error('already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.params.command, [...this.params.args], {
        env: this.params.env,
        cwd: this.params.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: POSIX, // a process group of its own: ending the check ends the whole tree
        windowsHide: true,
      });
      this.child = child;
      this.closed = new Promise<void>((done) => {
        child.once('exit', (code, signal) => {
          this.exitInfo = { code, signal };
          // Its last stderr lines may still be in the pipe: wait for the streams to close, but not for a child
          // that inherited them and lives on (close() ends that one).
          const settle = setTimeout(finish, 100);
          child.once('close', finish);
          function finish(): void {
            clearTimeout(settle);
            done();
          }
        });
      });
      void this.closed.then(() => {
        if (!this.closing) this.onclose?.();
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        const e = new SpawnError(err.code ?? 'spawn-failed', this.params.command);
        reject(e);
        this.onerror?.(e);
      });
      child.once('spawn', () => resolve());
      child.stdout!.on('data', (chunk: Buffer) => {
        this.buffer.append(chunk);
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch (err) {
            this.onerror?.(err as Error);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        this.stderrTail = (this.stderrTail + s).slice(-STDERR_KEEP);
      });
      child.stdin!.on('error', (err) => this.onerror?.(err));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || stdin.destroyed || this.exitInfo) return reject(new Error('the server process is not running'));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /**
   * End the server: close its stdin and give it a moment to exit by itself,
   * then SIGTERM its process group, then SIGKILL. Whatever of the group is
   * left after the leader exited (a child it started) is killed too.
   */
  close(): Promise<void> {
    // Once: the SDK client closes its transport, and the check closes it again to be sure.
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = (ms: number): Promise<boolean> =>
      this.exitInfo || child.pid === undefined
        ? Promise.resolve(true)
        : new Promise((ok) => {
            const t = setTimeout(() => ok(false), ms);
            void this.closed!.then(() => {
              clearTimeout(t);
              ok(true);
            });
          });
    if (child.pid !== undefined) {
      try {
        child.stdin?.end();
      } catch {
        /* already closed */
      }
      if (!(await exited(GRACE_MS))) {
        signal(child, 'SIGTERM');
        if (!(await exited(TERM_MS))) {
          signal(child, 'SIGKILL');
          await exited(TERM_MS);
        }
      }
      // The leader is gone; end anything it left in its group.
      if (POSIX && groupAlive(child.pid)) signal(child, 'SIGKILL');
    }
    this.buffer.clear();
    this.onclose?.();
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (POSIX && child.pid !== undefined) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    /* already gone */
  }
}

/** Whether any process of the group led by `pgid` is still there. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
