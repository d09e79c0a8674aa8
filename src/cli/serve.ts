/**
 * `claude-env serve`: the controller on a socket until SIGINT or SIGTERM.
 * Logs one line per event on stderr (JSON lines with --json), each through
 * the redacting io, never a secret.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import { startController } from '../controller/serve.js';
import { parseDuration } from '../controller/tokens.js';
import { parseTiers } from '../controller/backup.js';
import { findRepoDir } from '../blocking/find-repo.js';
import { eventLog, type CliIO } from './io.js';
import { stateDir } from '../state/identity.js';

export interface ServeOptions {
  repo?: string;
  branch?: string;
  db?: string;
  listen?: string;
  poll?: string;
  staleAfter?: string;
  webhookSecretFile?: string;
  backupEvery?: string;
  backupDir?: string;
  backupKeep?: string;
  json?: boolean;
}

/** A git URL (scheme://… or scp-like user@host:path) is tracked by cloning; anything else is a local folder. */
export function isGitUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^[^/\s]+@[^/\s:]+:/.test(text);
}

export async function run(io: CliIO, opts: ServeOptions): Promise<ExitCode> {
  const home = stateDir(io.env['HOME'] || homedir(), io.env);
  const repo = opts.repo && isGitUrl(opts.repo) ? opts.repo : findRepoDir(opts.repo, io);
  let webhookSecret = io.env['CLAUDE_ENV_WEBHOOK_SECRET'] || undefined;
  if (opts.webhookSecretFile) {
    try {
      webhookSecret = (await readFile(opts.webhookSecretFile, 'utf8')).trim();
    } catch (err) {
      throw new ClaudeEnvError('unreadable', `cannot read ${opts.webhookSecretFile}: ${(err as NodeJS.ErrnoException).code}`, { file: opts.webhookSecretFile });
    }
  }
  const log = eventLog(io, opts.json);
  const running = await startController({
    repo,
    branch: opts.branch ?? 'main',
    db: opts.db ?? join(home, 'controller.db'),
    listen: opts.listen ?? '127.0.0.1:8080',
    workDir: join(home, 'controller'),
    env: io.env,
    pollMs: opts.poll ? parseDuration(opts.poll, '--poll') : 60_000,
    staleAfterMs: opts.staleAfter ? parseDuration(opts.staleAfter, '--stale-after') : 600_000,
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(opts.backupEvery ? { backups: { dir: opts.backupDir ?? join(home, 'backups'), everyMs: parseDuration(opts.backupEvery, '--backup-every'), ...(opts.backupKeep ? { tiers: parseTiers(opts.backupKeep) } : {}) } } : {}),
    log,
  });
  io.stdout.write(`${opts.json ? JSON.stringify({ listening: running.url }) : `claude-env controller listening on ${running.url}`}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping');
  await running.close();
  return EXIT_OK;
}
