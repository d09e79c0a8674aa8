/**
 * `claude-env impact --base REV [--head REV]`: which targets a change of the
 * config repo alters and how — counts per env, team, project and user, then
 * a unified diff of each altered target's outputs (src/impact). `--head`
 * defaults to HEAD (a commit: uncommitted edits are not part of a change).
 * Exit 0 when it ran (impact is a report), 2 for a bad revision or flag.
 */
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import { gitReader } from '../history/git.js';
import { OutputDiffs } from '../impact/impact.js';
import { impactJson, impactText } from '../impact/report.js';
import { DEFAULT_LIMIT, impactBetween } from '../impact/run.js';
import type { Target } from '../vocabulary.js';
import { repoDir } from './context.js';
import { printJson, progress, type CliIO } from './io.js';

interface ImpactOptions {
  repo?: string;
  base?: string;
  head?: string;
  target?: string;
  env?: string;
  team?: string;
  project?: string;
  user?: string;
  limit?: string;
  json?: boolean;
}

export async function run(io: CliIO, opts: ImpactOptions): Promise<ExitCode> {
  if (!opts.base) throw new ClaudeEnvError('usage', 'impact needs --base REV (the revision the change starts from)', { hint: 'for example: claude-env impact --base main --head my-branch' });
  const limit = parseLimit(opts.limit);
  const filter = targetFilter(opts);
  const bar = progress(io, 'rendering');
  const result = await impactBetween(gitReader(repoDir(io, opts), io.env), opts.base, opts.head ?? 'HEAD', { filter, onProgress: (n, total) => bar.tick(n, total) });
  bar.done();
  const shown = limit === 0 ? result.targets : result.targets.slice(0, limit);
  const diffs = new OutputDiffs();
  if (opts.json) printJson(io, impactJson(result, shown, diffs));
  else io.stdout.write(impactText(result, shown, diffs, filter));
  return EXIT_OK;
}

function parseLimit(v: string | undefined): number {
  if (v === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(v)) throw new ClaudeEnvError('usage', `--limit must be a whole number (0 for no limit), got "${v}"`);
  return Number(v);
}

/** `--target env/team/user[/project]` (render --all's folder layout) and `--env --team --project --user`, which must agree. */
function targetFilter(opts: ImpactOptions): Partial<Target> {
  const out: Partial<Target> = {};
  if (opts.target !== undefined) {
    const parts = opts.target.split('/');
    if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === '')) {
      throw new ClaudeEnvError('usage', `--target must be env/team/user or env/team/user/project, got "${opts.target}"`);
    }
    out.env = parts[0]!;
    out.team = parts[1]!;
    out.user = parts[2]!;
    if (parts[3] !== undefined) out.project = parts[3];
  }
  for (const k of ['env', 'team', 'project', 'user'] as const) {
    const v = opts[k];
    if (v === undefined) continue;
    if (out[k] !== undefined && out[k] !== v) throw new ClaudeEnvError('usage', `--${k} ${v} contradicts --target ${opts.target}`);
    out[k] = v;
  }
  return out;
}
