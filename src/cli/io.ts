/** What a command sees of the process: streams, environment, working directory. */
import { redact, type Secrets } from '../mcp/redact.js';
import { hideTokens } from '../drift/tokens.js';
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

/**
 * The streams of `io` with every line passing redaction before it reaches
 * the real stream: each secret value resolved during this call (in every
 * encoding `mcp/redact.ts` knows) on both streams, and on stderr (messages,
 * errors, progress) also what looks like a credential (`drift/tokens.ts`:
 * `sk-…`, `Bearer …`, a URL's password). Stdout is the command's report, so
 * it is not guessed at: a `render` of a repo shows its values as they are.
 * Text is held until a line ends (`\n` or `\r`), so a value split over two
 * writes is still found; `flush()` writes what is left at the end.
 */
export function redactingIO(io: CliIO): CliIO & { secrets: SecretsSeen; flush(): void } {
  const known: Array<[string, string]> = [];
  const secrets: Secrets = known;
  const stream = (inner: Writable, guess: boolean): Writable & { flush(): void } => {
    let held = '';
    const clean = (text: string): string => {
      const masked = known.length > 0 ? redact(text, secrets) : text;
      return guess ? hideTokens(masked) : masked;
    };
    return {
      get isTTY() {
        return inner.isTTY;
      },
      write(chunk: string) {
        const text = held + chunk;
        const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
        held = text.slice(end + 1);
        if (end >= 0) inner.write(clean(text.slice(0, end + 1)));
        return true;
      },
      flush() {
        if (held === '') return;
        const rest = held;
        held = '';
        inner.write(clean(rest));
      },
    };
  };
  const stdout = stream(io.stdout, false);
  const stderr = stream(io.stderr, true);
  return {
    ...io,
    stdout,
    stderr,
    secrets: {
      remember(value, description) {
        if (value !== '' && !known.some(([v]) => v === value)) known.push([value, description]);
        io.secrets?.remember(value, description);
      },
    },
    flush() {
      stdout.flush();
      stderr.flush();
    },
  };
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
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
