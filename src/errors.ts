/**
 * One error type for the whole program. Findings, drift items and denials are
 * data; a ClaudeEnvError means the work could not go on. An error carries a
 * stable `code` and, where there is one, a file/line/column; never an exit
 * code: only `cli/main.ts` prints errors, and it turns the code into an exit
 * code through the one table in `error-codes.ts` (the controller will turn
 * the same code into an HTTP status).
 */

/** 0 ok / nothing found; 1 findings or denial; 2 usage or operational error (SPEC.md). */
export type ExitCode = 0 | 1 | 2;
export const EXIT_OK: ExitCode = 0;
export const EXIT_FINDINGS: ExitCode = 1;
export const EXIT_USAGE: ExitCode = 2;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export interface ClaudeEnvErrorOptions extends ErrorLocation {
  cause?: unknown;
  /** Extra lines shown under the message (for example, what does exist). */
  hint?: string;
}

export class ClaudeEnvError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly hint?: string;

  constructor(code: string, message: string, options: ClaudeEnvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClaudeEnvError';
    this.code = code;
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** `file:line:col  code  message`, like a compiler. */
  format(): string {
    const where = formatLocation(this);
    const head = where ? `${where}  ${this.code}  ${this.message}` : `${this.code}  ${this.message}`;
    return this.hint ? `${head}\n  ${this.hint.split('\n').join('\n  ')}` : head;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.file !== undefined ? { file: this.file } : {}),
        ...(this.line !== undefined ? { line: this.line } : {}),
        ...(this.column !== undefined ? { column: this.column } : {}),
        ...(this.hint !== undefined ? { hint: this.hint } : {}),
      },
    };
  }
}

/** 1-based line and column of a UTF-16 offset in a text. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

export function formatLocation(loc: ErrorLocation): string {
  if (loc.file === undefined) return '';
  if (loc.line === undefined) return loc.file;
  return `${loc.file}:${loc.line}:${loc.column ?? 1}`;
}

export function usageError(message: string, hint?: string): ClaudeEnvError {
  return new ClaudeEnvError('usage', message, hint === undefined ? {} : { hint });
}

/** Wrap a lower error with the step that was being done (gitops-engine style). */
export function wrapError(step: string, err: unknown, code = 'io', location: ErrorLocation = {}): ClaudeEnvError {
  if (err instanceof ClaudeEnvError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ClaudeEnvError(code, `${step}: ${reason}`, { ...location, cause: err });
}
