/**
 * `claude-env impact --base REV [--head REV]`: which targets a change of the
 * config repo alters and how — counts per env, team, project and user, then
 * a unified diff of each altered target's outputs. Only the targets whose
 * chain reads a changed file are rendered (src/impact). `--head` defaults to
 * HEAD (a commit: uncommitted edits are not part of a change). Exit 0 when
 * it ran (impact is a report), 2 for a bad revision or flag.
 */
import { ClaudeEnvError, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { computeImpact, OutputDiffs, scopePaths, type Impact, type TargetImpact } from '../impact/impact.js';
import { scopesOf } from '../impact/changes.js';
import { Repo } from '../repo/repo.js';
import type { ParsedYaml } from '../repo/yaml.js';
import { diskDocumentCache, readOnly } from '../system/doc-cache-store.js';
import { gitRevisions } from '../system/git-changes.js';
import type { RepoSource } from '../repo/source.js';
import type { Target } from '../vocabulary.js';
import { describeTarget, repoDir } from './context.js';
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

export const DEFAULT_LIMIT = 20;

export interface ImpactRun extends Impact {
  readonly base: { readonly rev: string; readonly commit: string };
  readonly head: { readonly rev: string; readonly commit: string };
}

/**
 * The impact of `base..head` in the config repo at `dir`: both revisions read
 * from git, each document version parsed once (`shared`).
 */
export async function impactBetween(dir: string, base: string, head: string, env: NodeJS.ProcessEnv, filter: Partial<Target> = {}, onProgress?: (done: number, total: number) => void): Promise<ImpactRun> {
  const disk = diskDocumentCache(env);
  const { baseCommit, headCommit, base: baseSource, head: headSource, changes } = await gitRevisions(dir, { rev: base, flag: '--base' }, { rev: head, flag: '--head' }, disk ? { cache: disk } : {});
  const scopes = scopesOf(changes);
  // The document cache is filled with what a change reads (a few dozen documents for a team's change), and only read
  // for a change that reaches every target: writing thousands of entries costs more than it saves (see context.ts).
  const cache = disk && scopes.some((s) => s.kind === 'all') ? readOnly(disk) : disk;
  const shared = new Map<string, ParsedYaml>();
  // Everything the scopes read first, at both revisions, in one git batch (the base's prefetch reads head's too).
  const first = scopePaths(baseSource, scopes, changes);
  const open = (source: RepoSource): Repo => new Repo(source, { shared, prefetch: first, ...(cache ? { cache } : {}) });
  const impact = computeImpact(open(baseSource), open(headSource), changes, { filter, ...(onProgress ? { onProgress } : {}) });
  return { ...impact, base: { rev: base, commit: baseCommit }, head: { rev: head, commit: headCommit } };
}

export async function run(io: CliIO, opts: ImpactOptions): Promise<ExitCode> {
  if (!opts.base) throw new ClaudeEnvError('usage', 'impact needs --base REV (the revision the change starts from)', { exitCode: EXIT_USAGE, hint: 'for example: claude-env impact --base main --head my-branch' });
  const limit = parseLimit(opts.limit);
  const filter = targetFilter(opts);
  const bar = progress(io, 'rendering');
  const result = await impactBetween(repoDir(io, opts), opts.base, opts.head ?? 'HEAD', io.env, filter, (n, total) => bar.tick(n, total));
  bar.done();
  const shown = limit === 0 ? result.targets : result.targets.slice(0, limit);
  const diffs = new OutputDiffs();
  if (opts.json) printJson(io, impactJson(result, shown, diffs));
  else io.stdout.write(impactText(result, shown, diffs, filter));
  return EXIT_OK;
}

function parseLimit(v: string | undefined): number {
  if (v === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(v)) throw new ClaudeEnvError('usage', `--limit must be a whole number (0 for no limit), got "${v}"`, { exitCode: EXIT_USAGE });
  return Number(v);
}

/** `--target env/team/user[/project]` (render --all's folder layout) and `--env --team --project --user`, which must agree. */
function targetFilter(opts: ImpactOptions): Partial<Target> {
  const out: Partial<Target> = {};
  if (opts.target !== undefined) {
    const parts = opts.target.split('/');
    if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === '')) {
      throw new ClaudeEnvError('usage', `--target must be env/team/user or env/team/user/project, got "${opts.target}"`, { exitCode: EXIT_USAGE });
    }
    out.env = parts[0]!;
    out.team = parts[1]!;
    out.user = parts[2]!;
    if (parts[3] !== undefined) out.project = parts[3];
  }
  for (const k of ['env', 'team', 'project', 'user'] as const) {
    const v = opts[k];
    if (v === undefined) continue;
    if (out[k] !== undefined && out[k] !== v) throw new ClaudeEnvError('usage', `--${k} ${v} contradicts --target ${opts.target}`, { exitCode: EXIT_USAGE });
    out[k] = v;
  }
  return out;
}

function targetJson(t: Target): Record<string, string | null> {
  return { env: t.env, team: t.team ?? null, project: t.project ?? null, user: t.user ?? null };
}

export function impactJson(r: ImpactRun, shown: readonly TargetImpact[], diffs: OutputDiffs): Record<string, unknown> {
  return {
    base: r.base,
    head: r.head,
    changed_files: r.changes.map((c) => ({ path: c.path, status: c.status, ...(c.oldPath !== undefined ? { old_path: c.oldPath } : {}) })),
    counts: r.counts,
    rendered: r.rendered,
    sections: r.sections,
    targets: shown.map((t) => ({
      target: targetJson(t.target),
      change: t.change,
      files: t.files.map((f) => ({ path: f.path, status: f.status, diff: diffs.diff(f) })),
    })),
    omitted: r.targets.length - shown.length,
  };
}

/** 12345 → "12,345" (toLocaleString would load the ICU locale data first: ~25 ms). */
const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

function topCounts(counts: Readonly<Record<string, number>>, max = 10): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = entries.slice(0, max).map(([k, n]) => `${k} ${count(n)}`);
  return entries.length > max ? `${shown.join(', ')}, … (${entries.length} in all)` : shown.join(', ');
}

const STATUS_LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C' };

export function impactText(r: ImpactRun, shown: readonly TargetImpact[], diffs: OutputDiffs, filter: Partial<Target>): string {
  const lines: string[] = [];
  const c = r.counts;
  lines.push(`impact of ${r.base.rev} (${r.base.commit.slice(0, 12)}) → ${r.head.rev} (${r.head.commit.slice(0, 12)}): ${plural(r.changes.length, 'file')} changed`);
  for (const f of r.changes) lines.push(`  ${STATUS_LETTER[f.status] ?? '?'} ${f.oldPath !== undefined ? `${f.oldPath} → ` : ''}${f.path}`);
  const scope = Object.keys(filter).length > 0 ? ` among targets matching ${describeFilter(filter)}` : '';
  if (c.total === 0) {
    lines.push(`this change alters the settings of no developer${scope} (rendered ${r.rendered.base} target(s) at base and ${r.rendered.head} at head: the targets whose layers changed)`);
    return `${lines.join('\n')}\n`;
  }
  const kinds = [c.modified ? `${count(c.modified)} modified` : '', c.added ? `${count(c.added)} added` : '', c.removed ? `${count(c.removed)} removed` : ''].filter(Boolean).join(', ');
  lines.push(`this change alters the settings of ${plural(c.developers, 'developer')}${scope}: ${plural(c.total, 'target')} (${kinds})`);
  lines.push(`  by env:     ${topCounts(c.by_env)}`);
  lines.push(`  by team:    ${topCounts(c.by_team)}`);
  if (Object.keys(c.by_project).length > 0) lines.push(`  by project: ${topCounts(c.by_project)}`);
  const sections = r.sections === 'all' ? '' : ` (their ${r.sections.join(', ')} only)`;
  lines.push(`  rendered only the targets whose layers changed: ${count(r.rendered.base)} at base, ${count(r.rendered.head)} at head${sections}`);
  for (const t of shown) {
    lines.push('', `=== ${describeTarget(t.target)} (${t.change}) ===`);
    for (const f of t.files) lines.push(diffs.diff(f).trimEnd());
  }
  if (shown.length < r.targets.length) lines.push('', `… and ${plural(r.targets.length - shown.length, 'more target')} (--limit N shows more, --limit 0 all, --target env/team/user[/project] one)`);
  return `${lines.join('\n')}\n`;
}

function describeFilter(f: Partial<Target>): string {
  return (['env', 'team', 'project', 'user'] as const)
    .filter((k) => f[k] !== undefined)
    .map((k) => `${k}=${f[k]}`)
    .join(' ');
}
