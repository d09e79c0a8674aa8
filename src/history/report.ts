/** The text of a history: one line per commit (its files, keys, when this machine applied it) or machine event. */
import type { History, MachineEntry } from './run.js';

function machineLine(e: MachineEntry): string {
  const t = e['target'] as Record<string, string> | undefined;
  const target = t ? [t['env'], t['team'], t['user'], t['project']].filter(Boolean).join('/') : '';
  const files = (['written', 'files', 'fixed'] as const).map((k) => e[k]).find(Array.isArray) as unknown[] | undefined;
  const parts = [`machine ${e.event}`, e.revision ? `revision ${String(e.revision).slice(0, 7)}` : '', target, e['to'] ? `to ${String(e['to'])}` : '', files ? `${files.length} file(s)` : ''];
  return `${e.time}  ${parts.filter(Boolean).join('  ')}`;
}

export function historyText(h: History): string {
  const lines: string[] = [];
  for (const e of h.entries) {
    if (e.source === 'machine') {
      lines.push(machineLine(e));
      continue;
    }
    const sig = e.signature ? `  [signature: ${e.signature.status}${e.signature.signer ? `, ${e.signature.signer}` : ''}]` : '';
    lines.push(`${e.time}  commit ${e.commit.slice(0, 7)}  ${e.author} <${e.email}>  ${e.subject}${sig}`);
    for (const f of e.files.slice(0, 10)) lines.push(`    ${f}`);
    if (e.files.length > 10) lines.push(`    … ${e.files.length - 10} more file(s)`);
    if (e.keys?.length) lines.push(`    keys: ${e.keys.join(', ')}`);
    if (e.applied_here) lines.push(`    applied on this machine: ${e.applied_here}`);
  }
  if (h.entries.length === 0) lines.push('no history');
  const s = h.signatures;
  if (s) {
    const total = s.verified + s.unverified.length;
    lines.push(s.unverified.length ? `signatures: ${s.unverified.length} of ${total} commit(s) not signed with a key of access.yml signing_keys` : `signatures: all ${total} commit(s) signed with keys of access.yml signing_keys`);
  }
  return `${lines.join('\n')}\n`;
}
