/**
 * `claude-env access check|codeowners`.
 *
 * check: may `--author` make the change from `--base` to `--head` (default
 * HEAD)? See src/access/run.ts. Exit 0 allowed; 1 denied or approvals
 * missing; 2 usage (no --author or --base, a revision that names no commit,
 * an unreadable access.yml). An author who holds no role is denied (exit 1),
 * not a usage error: CI must fail closed.
 *
 * codeowners: CODEOWNERS from access.yml and the members of the repo (see
 * src/access/codeowners.ts), to stdout or `--out FILE`.
 */
import { EXIT_FINDINGS, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { checkText } from '../access/report.js';
import { checkChange, codeownersOf } from '../access/run.js';
import { gitReader } from '../history/git.js';
import { systemFor } from '../system/crash.js';
import { writeOutFile } from '../workspace/write.js';
import { openRepo, repoDir, type RepoOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

export interface AccessOptions extends RepoOptions {
  author?: string;
  base?: string;
  head?: string;
  approvedBy?: string | string[];
  out?: string;
  json?: boolean;
}

async function check(io: CliIO, opts: AccessOptions): Promise<ExitCode> {
  if (!opts.author) throw usageError('access check needs --author USER', 'claude-env access check --author U --base REV [--head REV] [--approved-by U,…]');
  if (!opts.base) throw usageError('access check needs --base REV', 'the revision the change starts from, e.g. the merge base of the pull request');
  // --approved-by a,b and --approved-by a --approved-by b alike.
  const given: unknown[] = [opts.approvedBy ?? []].flat();
  if (given.some((v) => typeof v !== 'string' || v.trim() === '')) throw usageError('--approved-by needs a value: users who approved, comma-separated');
  const approvers = (given as string[]).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const head = opts.head ?? 'HEAD';
  const result = await checkChange(gitReader(repoDir(io, opts), io.env), { author: opts.author, base: opts.base, head, approvers });
  if (opts.json) printJson(io, result);
  else io.stdout.write(checkText(result, opts.base, head));
  return result.allowed ? EXIT_OK : EXIT_FINDINGS;
}

async function codeowners(io: CliIO, opts: AccessOptions): Promise<ExitCode> {
  const { rules, text } = codeownersOf(openRepo(io, opts));
  const out = opts.out === undefined ? undefined : await writeOutFile(systemFor(io.env), io.cwd, opts.out, text);
  if (opts.json) printJson(io, { ...(out ? { out } : {}), rules });
  else if (!out) io.stdout.write(text);
  else io.stdout.write(`wrote ${opts.out}: ${rules.length} rule(s)\n`);
  return EXIT_OK;
}

export async function run(io: CliIO, opts: AccessOptions, args: string[]): Promise<ExitCode> {
  const action = args[0];
  if (action === 'check') return check(io, opts);
  if (action === 'codeowners') return codeowners(io, opts);
  throw usageError(action === undefined ? 'access needs an action: check or codeowners' : `unknown access action "${action}": use check or codeowners`);
}
