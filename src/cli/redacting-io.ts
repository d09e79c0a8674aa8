import { redact, type Secrets } from '../mcp/redact.js';
import { hideTokens } from '../drift/tokens.js';
import type { CliIO, SecretsSeen, Writable } from './io.js';

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
