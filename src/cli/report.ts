/** An error that reached the top, printed (through the redacting io) with its place; the exit code from its code alone (src/error-codes.ts). */
import { ClaudeEnvError, type ExitCode } from '../errors.js';
import { exitCodeOf } from '../error-codes.js';
import type { CliIO } from './io.js';

const SYSTEM_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way of a folder',
  EISDIR: 'a folder is in the way of a file',
};

/** A file system error that reached the top (e.g. a home that cannot be written): said plainly, with its path. */
function systemError(err: unknown): ClaudeEnvError | undefined {
  const e = err as NodeJS.ErrnoException;
  const reason = typeof e?.code === 'string' ? SYSTEM_REASONS[e.code] : undefined;
  if (!reason || typeof e.path !== 'string') return undefined;
  const verb = e.syscall === 'mkdir' ? 'cannot create the folder' : e.syscall === 'scandir' || e.syscall === 'stat' || e.syscall === 'read' ? 'cannot read' : 'cannot write';
  return new ClaudeEnvError('io-error', `${verb} ${e.path}: ${reason}`, { file: e.path, cause: err });
}

/** Print the error (through the redacting io) and decide the exit code from its code alone (src/error-codes.ts). */
export function report(io: CliIO, err: unknown, json: boolean): ExitCode {
  // By name too: an error thrown by a chunk of the split build while the hot bundle runs is the same class, loaded twice.
  const e =
    err instanceof ClaudeEnvError || (err instanceof Error && err.name === 'ClaudeEnvError' && typeof (err as ClaudeEnvError).format === 'function')
      ? (err as ClaudeEnvError)
      : err instanceof Error && err.name === 'CACError'
        ? new ClaudeEnvError('usage', err.message.replaceAll('`', "'"), { hint: 'claude-env --help lists commands and options' })
        : systemError(err) ?? new ClaudeEnvError('internal', err instanceof Error ? err.message : String(err), { cause: err });
  if (json) io.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
  else io.stderr.write(`claude-env: ${e.format()}\n`);
  if (e.code === 'internal' && io.env['CLAUDE_ENV_DEBUG'] && err instanceof Error) io.stderr.write(`${err.stack}\n`);
  return exitCodeOf(e.code);
}
