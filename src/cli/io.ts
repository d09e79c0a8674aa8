/** What a command sees of the process: streams, environment, working directory. */
import type { Yaml } from '../repo/yaml.js';
import type { CompiledLoader } from '../schema/loader.js';

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Standard input, read whole (for values that must not be on the command line). */
  stdin?: { read(): Promise<string> };
  /**
   * The secret values this call has resolved (`!secret`, `!encrypted`): a
   * resolver tells each one here, and nothing written to stdout or stderr
   * shows it (set by `cli/main.ts` for every command).
   */
  secrets?: SecretsSeen;
  /** How this call loads the YAML library (cli/main.ts: the bundle's copy through V8's code cache); absent: the package. */
  yaml?: Yaml;
  /** How this call loads the schema validator compiled by build.mjs (cli/main.ts: through the code cache); absent: `require`. */
  compiledSchemas?: CompiledLoader;
}

/** Secret values resolved during one call, each with how it is shown instead (`«secret:env:TOKEN»`). */
export interface SecretsSeen {
  remember(value: string, description: string): void;
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A long-running command's event log on stderr (`serve`, `agent`): a line per event, JSON lines with --json; it passes the io's redaction. */
export function eventLog(io: CliIO, json: boolean | undefined): (event: string, fields?: Record<string, unknown>) => void {
  return (event, fields = {}) => {
    const at = new Date().toISOString();
    io.stderr.write(json ? `${JSON.stringify({ at, event, ...fields })}\n` : `${at} ${event}${Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('')}\n`);
  };
}

/** Progress on a TTY only (none when piped): `label n/total`, rewritten in place. */
export function progress(io: CliIO, label: string): { tick(n: number, total: number): void; done(): void } {
  if (!io.stderr.isTTY) return { tick() {}, done() {} };
  let last = -1;
  let shown = false;
  return {
    tick(n, total) {
      if (total < 50) return;
      shown = true;
      const pct = Math.floor((100 * n) / total);
      if (pct === last) return;
      last = pct;
      io.stderr.write(`\r${label} ${n}/${total} (${pct}%)`);
    },
    done() {
      if (shown) io.stderr.write(`\r${' '.repeat(label.length + 30)}\r`);
    },
  };
}
