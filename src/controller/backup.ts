/**
 * Backups of the controller's store (`claude-env backup create|list|verify|restore`).
 *
 * A backup is one gzip file of JSON lines, the same for SQLite and PostgreSQL
 * (a backup of one restores into the other): a header (format, the store's
 * last migration, when, the row count of each table), one line per row
 * (`{"t": table, "r": row}`), and a trailer with the SHA-256 of every line
 * before it. `verify` checks the whole file against the trailer and the
 * header's counts; `restore` verifies first, refuses a backup of another
 * schema, and replaces the store's rows in one transaction.
 *
 * Tiers, as restic's and borg's `--keep-*`: after each `create`, the newest
 * backup of each of the last N hours, days, ISO weeks and months is kept
 * (default 24 hourly, 7 daily, 4 weekly, 12 monthly), and the others go.
 *
 * The files hold token hashes (never tokens), the audit log and reports:
 * written 0600, atomically (a temporary file renamed into place).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ClaudeEnvError } from '../errors.js';
import { MIGRATIONS } from './db/migrations.js';
import type { Store } from './db/store.js';

export const BACKUP_FORMAT = 'claude-env-backup';
const VERSION = 1;
const PREFIX = 'controller-';
const SUFFIX = '.jsonl.gz';

export interface Tiers {
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}
export const DEFAULT_TIERS: Tiers = Object.freeze({ hourly: 24, daily: 7, weekly: 4, monthly: 12 });

/** `hourly=24,daily=7,weekly=4,monthly=12` (any of them; the others keep their default). */
export function parseTiers(text: string): Tiers {
  const out: Record<string, number> = { ...DEFAULT_TIERS };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(hourly|daily|weekly|monthly)=(\d{1,4})$/.exec(part);
    if (!m) throw new ClaudeEnvError('usage', `--keep ${text}: expected tier=N pairs such as hourly=24,daily=7,weekly=4,monthly=12`);
    out[m[1]!] = Number(m[2]);
  }
  return out as unknown as Tiers;
}

export interface BackupHeader {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  readonly migration: string;
  readonly created_at: string;
  readonly tables: Readonly<Record<string, number>>;
}

export interface BackupFile {
  readonly file: string;
  readonly name: string;
  readonly created_at: string;
  readonly bytes: number;
}

/** A backup's file name: its time, sortable (`controller-20261203T145800123Z.jsonl.gz`). */
const nameAt = (at: number): string => `${PREFIX}${new Date(at).toISOString().replace(/[-:.]/g, '')}${SUFFIX}`;
const timeOf = (name: string): number | undefined => {
  const m = /^controller-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.jsonl\.gz$/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : undefined;
};

/** The backups in `dir`, newest first. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, at: timeOf(name) }))
    .filter((x): x is { name: string; at: number } => x.at !== undefined)
    .sort((a, b) => b.at - a.at)
    .map(({ name, at }) => ({ file: join(dir, name), name, created_at: new Date(at).toISOString(), bytes: statSync(join(dir, name)).size }));
}

/** The backup made now of `store`, written into `dir`; then the tiers prune `dir`. */
export async function createBackup(store: Store, dir: string, now: number, tiers: Tiers = DEFAULT_TIERS): Promise<{ file: string; header: BackupHeader; removed: string[] }> {
  const { migration, tables } = await store.dumpTables();
  const header: BackupHeader = { format: BACKUP_FORMAT, version: VERSION, migration, created_at: new Date(now).toISOString(), tables: Object.fromEntries(Object.entries(tables).map(([t, rows]) => [t, rows.length])) };
  const hash = createHash('sha256');
  const lines: string[] = [];
  const add = (line: string): void => {
    lines.push(line);
    hash.update(line).update('\n');
  };
  add(JSON.stringify(header));
  for (const [t, rows] of Object.entries(tables)) for (const r of rows) add(JSON.stringify({ t, r }, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  lines.push(JSON.stringify({ end: true, sha256: hash.digest('hex') }));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Names are times to the millisecond: a second backup within the same one takes the next free millisecond.
  const taken = new Set(listBackups(dir).map((b) => b.name));
  let at = now;
  while (taken.has(nameAt(at))) at += 1;
  const name = nameAt(at);
  const file = join(dir, name);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, gzipSync(`${lines.join('\n')}\n`), { mode: 0o600, flush: true });
  renameSync(tmp, file);
  return { file, header, removed: prune(dir, tiers) };
}

/** The backups the tiers keep (restic's rule: per tier, the newest backup of each of its last N periods that have one). */
export function kept(backups: readonly BackupFile[], tiers: Tiers): Map<string, string[]> {
  const keep = new Map<string, string[]>();
  const periods: Array<[keyof Tiers, (d: Date) => string]> = [
    ['hourly', (d) => d.toISOString().slice(0, 13)],
    ['daily', (d) => d.toISOString().slice(0, 10)],
    ['weekly', isoWeek],
    ['monthly', (d) => d.toISOString().slice(0, 7)],
  ];
  const newestFirst = [...backups].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  for (const [tier, period] of periods) {
    const seen = new Set<string>();
    for (const b of newestFirst) {
      if (seen.size >= tiers[tier]) break;
      const p = period(new Date(b.created_at));
      if (seen.has(p)) continue;
      seen.add(p);
      keep.set(b.name, [...(keep.get(b.name) ?? []), tier]);
    }
  }
  // The newest is always kept, whatever the tiers say.
  if (newestFirst[0] && !keep.has(newestFirst[0].name)) keep.set(newestFirst[0].name, ['latest']);
  return keep;
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const week = Math.ceil(((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function prune(dir: string, tiers: Tiers): string[] {
  const all = listBackups(dir);
  const keep = kept(all, tiers);
  const removed = all.filter((b) => !keep.has(b.name));
  for (const b of removed) rmSync(b.file, { force: true });
  return removed.map((b) => b.name);
}

/** A backup file read back whole and checked: its header, and its rows by table. Throws `backup-invalid` naming what is wrong. */
export function readBackup(file: string): { header: BackupHeader; tables: Record<string, Array<Record<string, unknown>>> } {
  const bad = (why: string): ClaudeEnvError => new ClaudeEnvError('backup-invalid', `${file} is not a sound backup: ${why}; nothing was restored`, { file });
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString('utf8');
  } catch (err) {
    throw bad(`it does not decompress (${(err as Error).message})`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const last = lines.pop();
  let trailer: { end?: boolean; sha256?: string };
  try {
    trailer = JSON.parse(last ?? '') as { end?: boolean; sha256?: string };
  } catch {
    throw bad('it ends before its trailer (cut short?)');
  }
  const hash = createHash('sha256');
  for (const l of lines) hash.update(l).update('\n');
  if (trailer.end !== true || trailer.sha256 !== hash.digest('hex')) throw bad('its checksum does not match its content');
  let header: BackupHeader;
  try {
    header = JSON.parse(lines[0] ?? '') as BackupHeader;
  } catch {
    throw bad('its header is not JSON');
  }
  if (header.format !== BACKUP_FORMAT || header.version !== VERSION) throw bad(`its header is not a ${BACKUP_FORMAT} v${VERSION} header`);
  const tables: Record<string, Array<Record<string, unknown>>> = {};
  for (let i = 1; i < lines.length; i++) {
    const { t, r } = JSON.parse(lines[i]!) as { t: string; r: Record<string, unknown> };
    (tables[t] ??= []).push(r);
  }
  for (const [t, n] of Object.entries(header.tables)) if ((tables[t]?.length ?? 0) !== n) throw bad(`table ${t} has ${tables[t]?.length ?? 0} rows, its header says ${n}`);
  return { header, tables };
}

/**
 * Restores `file` into `store`: read and verified once, of this schema only,
 * into an empty store unless `force`; with `force`, what the store holds is
 * backed up into `saveTo` first (the backup it made is returned).
 */
export async function restoreBackup(store: Store, file: string, opts: { force?: boolean; saveTo?: { dir: string; now: number; tiers?: Tiers } } = {}): Promise<{ header: BackupHeader; saved?: string }> {
  const { header, tables } = readBackup(file);
  const latest = Object.keys(MIGRATIONS).sort().pop()!;
  if (header.migration !== latest) {
    throw new ClaudeEnvError('backup-invalid', `${file} was made at schema ${header.migration || '(none)'}, this claude-env's store is at ${latest}: restore it with the claude-env that made it, then upgrade`, { file });
  }
  const counts = await store.tableCounts();
  const holding = ['machines', 'tokens', 'syncs'].filter((t) => (counts[t] ?? 0) > 0);
  if (holding.length > 0 && !opts.force) {
    throw new ClaudeEnvError('usage', `the store holds ${holding.map((t) => `${counts[t]} ${t}`).join(', ')}: restore into an empty store, or pass --force (a backup of what it holds is made first)`);
  }
  const save = opts.force && opts.saveTo && Object.values(counts).some((n) => n > 0) ? opts.saveTo : undefined;
  const saved = save ? (await createBackup(store, save.dir, save.now, save.tiers)).file : undefined;
  await store.loadTables(tables);
  return { header, ...(saved ? { saved } : {}) };
}
