/**
 * `claude-env history [--file PATH] [--key DOTTED.KEY] [--verify-signatures]`:
 * the config repo's git log (from --rev, default HEAD) joined with this
 * machine's audit log ($CLAUDE_ENV_HOME/audit.log), newest first; see
 * src/history/run.ts. Exit 1 when `--verify-signatures` finds a commit shown
 * that is not signed with a key of access.yml `signing_keys`.
 */
import { EXIT_FINDINGS, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { historyText } from '../history/report.js';
import { repoHistory } from '../history/run.js';
import { splitKeyPath } from '../provenance/tree.js';
import { homeDir, repoDir, type RepoOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export interface HistoryOptions extends RepoOptions {
  file?: string;
  key?: string;
  home?: string;
  verifySignatures?: boolean;
  json?: boolean;
}

export async function run(io: CliIO, opts: HistoryOptions): Promise<ExitCode> {
  const dir = repoDir(io, opts);
  let key: string[] | undefined;
  if (opts.key !== undefined) {
    try {
      key = splitKeyPath(opts.key);
    } catch (err) {
      throw usageError(`--key: ${(err as Error).message}`, 'a dotted key of the merged tree, such as settings.model');
    }
  }
  const history = await repoHistory(dir, homeDir(io, opts), io.env, { rev: opts.rev, file: opts.file, key, verifySignatures: opts.verifySignatures === true });
  if (opts.json) printJson(io, history);
  else io.stdout.write(historyText(history));
  return (history.signatures?.unverified.length ?? 0) > 0 ? EXIT_FINDINGS : EXIT_OK;
}
