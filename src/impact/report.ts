/** The report of an impact run: as JSON (`impact --json`, the controller's pull request check) and as text. */
import type { Target } from '../vocabulary.js';
import { describeTarget } from '../repo/target-name.js';
import type { OutputDiffs, TargetImpact } from './impact.js';
import type { ImpactRun } from './run.js';

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
