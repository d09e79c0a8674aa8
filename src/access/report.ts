/** The text of an `access check` result: each file's verdict, the class and why, the approvals, the executable content. */
import { describeTarget } from '../repo/target-name.js';
import type { AccessResult } from './check.js';
import type { AccessRun } from './run.js';

export function checkText(r: AccessRun, baseRev: string, headRev: string): string {
  const lines: string[] = [];
  lines.push(`access check: ${r.author}, ${baseRev} (${r.base.slice(0, 7)}) → ${headRev} (${r.head.slice(0, 7)}): ${r.files.length} changed file(s)`);
  lines.push(`  roles: ${r.roles.length ? r.roles.map((h) => `${h.role} (${h.via})`).join(', ') : 'none'}`);
  const width = Math.min(60, Math.max(0, ...r.files.map((f) => f.path.length)));
  for (const f of r.files) {
    const verdict = f.allowed ? 'allowed' : 'DENIED ';
    lines.push(`  ${verdict}  ${f.path.padEnd(width)}  ${f.status}  [${f.class ?? 'no class'}]`);
    lines.push(`           ${f.allowed ? `by ${f.rule} — ${f.message}` : `${f.rule}: ${f.message}`}`);
  }
  for (const n of r.ignored_names) lines.push(`  note: ${n.kind} name "${n.name}" ${n.reason}: it never stands for a path segment`);
  lines.push(...executableText(r));
  const keyClasses = r.keys.filter((k) => k.class !== null && k.class === r.class);
  const fileClasses = r.files.filter((f) => f.class !== null && f.class === r.class);
  const execWhy =
    r.executable_class !== undefined && r.executable_class === r.class
      ? [r.executable.length > 0 ? `executable content of ${plural(r.executable.length, 'target')}` : r.executable_settings !== undefined ? 'secrets.commands_from' : 'executable content it may alter']
      : [];
  const why = [...execWhy, ...fileClasses.map((f) => f.path), ...keyClasses.map((k) => `key ${k.key}`)];
  lines.push(`class: ${r.class ?? 'none'}${why.length ? ` (from ${why.slice(0, 5).join(', ')}${why.length > 5 ? `, … ${why.length - 5} more` : ''})` : ''}`);
  const a = r.approvals;
  if (a.auto_approved_by) lines.push(`approvals: none needed: ${a.auto_approved_by} changes of class ${r.class} are approved automatically`);
  else lines.push(`approvals: ${a.needed} needed${a.roles ? ` (${a.roles.join(' or ')})` : ''}, ${a.have} counted, ${a.missing} missing`);
  for (const p of a.approvers) lines.push(`  ${p.counted ? 'counted    ' : 'not counted'}  ${p.user}: ${p.reason}`);
  const denied = r.files.filter((f) => !f.allowed).length;
  lines.push(r.allowed ? 'ALLOWED' : `DENIED: ${[denied ? `${denied} file(s) denied` : '', a.missing ? `${a.missing} approval(s) missing` : ''].filter(Boolean).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** Groups of targets shown with their items, targets named per group, items per group. */
const SHOW_GROUPS = 10;
const SHOW_TARGETS = 3;
const SHOW_ITEMS = 20;

/**
 * The executable content per target, targets with the same change grouped
 * (a base change alters thousands of targets the same way): each group names
 * a few of its targets and lists its items, `+` added, `~` changed (before →
 * after), `-` removed.
 */
function executableText(r: AccessResult): string[] {
  const lines: string[] = [];
  if (r.executable_unknown !== undefined) lines.push(`executable content: could not be worked out (${r.executable_unknown}): the change counts as altering it`);
  if (r.executable_settings !== undefined) lines.push(`executable content: ${r.executable_settings}`);
  if (r.executable.length === 0) return lines;
  const groups = new Map<string, { targets: string[]; entry: AccessResult['executable'][number] }>();
  for (const e of r.executable) {
    const k = JSON.stringify([e.added, e.changed, e.removed]);
    const name = describeTarget({ env: e.target.env, ...(e.target.team !== null ? { team: e.target.team } : {}), ...(e.target.project !== null ? { project: e.target.project } : {}), ...(e.target.user !== null ? { user: e.target.user } : {}) });
    const g = groups.get(k);
    if (g) g.targets.push(name);
    else groups.set(k, { targets: [name], entry: e });
  }
  lines.push(`executable content: the change adds, alters or removes what runs on the machines of ${plural(r.executable.length, 'target')}`);
  let shownGroups = 0;
  for (const { targets, entry } of groups.values()) {
    if (shownGroups++ === SHOW_GROUPS) {
      lines.push(`  … ${plural(groups.size - SHOW_GROUPS, 'more group')} (--json lists every target)`);
      break;
    }
    const more = targets.length > SHOW_TARGETS ? ` and ${plural(targets.length - SHOW_TARGETS, 'more target')}` : '';
    lines.push(`  ${targets.slice(0, SHOW_TARGETS).join(', ')}${more}:`);
    const items = [
      ...entry.added.map((i) => `    + ${i.key}  [${i.kind}]  ${i.description}`),
      ...entry.changed.map((i) => `    ~ ${i.key}  [${i.kind}]  ${i.before} → ${i.after}`),
      ...entry.removed.map((i) => `    - ${i.key}  [${i.kind}]  ${i.description}`),
    ];
    lines.push(...items.slice(0, SHOW_ITEMS));
    if (items.length > SHOW_ITEMS) lines.push(`    … ${plural(items.length - SHOW_ITEMS, 'more item')}`);
  }
  return lines;
}

