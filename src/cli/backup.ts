/**
 * `claude-env backup create|list|verify|restore` on the controller's store
 * (`--db`, default `$CLAUDE_ENV_HOME/controller.db`, or `postgres://…`),
 * in `--dir` (default `$CLAUDE_ENV_HOME/backups`), on the controller's
 * machine like `token create --db` (src/controller/backup.ts):
 * - `create [--keep hourly=24,daily=7,weekly=4,monthly=12]`: a backup now,
 *   then the tiers prune the others;
 * - `list`: the backups, newest first, with the tiers that keep each;
 * - `verify [FILE]` (default the newest): the whole file against its
 *   checksum and its counts; exit 1 when it is not sound;
 * - `restore FILE [--force]`: verified first, into an empty store; with
 *   `--force` over a store that holds data, a backup of that data is made
 *   first. Stop the controller while restoring.
 */
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import { createBackup, DEFAULT_TIERS, kept, listBackups, parseTiers, readBackup, restoreBackup } from '../controller/backup.js';
import { redactUrl } from '../controller/db/open.js';
import { stateDir } from '../state/identity.js';
import { printJson, type CliIO } from './io.js';

export interface BackupOptions {
  db?: string;
  dir?: string;
  keep?: string;
  force?: boolean;
  json?: boolean;
}

export async function run(io: CliIO, opts: BackupOptions, args: string[]): Promise<ExitCode> {
  const home = stateDir(io.env['HOME'] || homedir(), io.env);
  const db = opts.db ?? join(home, 'controller.db');
  const dir = opts.dir ?? join(home, 'backups');
  const tiers = opts.keep ? parseTiers(opts.keep) : DEFAULT_TIERS;
  const [action, file] = args;
  const out = (json: unknown, text: string): ExitCode => {
    if (opts.json) printJson(io, json);
    else io.stdout.write(text);
    return EXIT_OK;
  };
  const rows = (t: Readonly<Record<string, number>>): string => Object.entries(t).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'no rows';
  switch (action) {
    case 'list': {
      const all = listBackups(dir);
      const keep = kept(all, tiers);
      const list = all.map((b) => ({ ...b, tiers: keep.get(b.name) ?? [] }));
      return out({ dir, backups: list }, list.length === 0 ? `no backup in ${dir}\n` : `${list.map((b) => `${b.created_at}  ${String(b.bytes).padStart(10)} bytes  ${b.name}  ${b.tiers.join(', ') || '(pruned at the next create)'}`).join('\n')}\n`);
    }
    case 'verify': {
      const target = file ?? listBackups(dir)[0]?.file;
      if (target === undefined) throw new ClaudeEnvError('usage', `no backup in ${dir} to verify: give FILE`);
      const { header } = readBackup(target);
      return out({ file: target, ok: true, migration: header.migration, created_at: header.created_at, tables: header.tables }, `${basename(target)}: sound (checksum and counts), schema ${header.migration}, ${rows(header.tables)}\n`);
    }
    case 'create':
    case 'restore': {
      if (action === 'restore' && file === undefined) throw new ClaudeEnvError('usage', 'backup restore FILE: which backup (backup list shows them)');
      const { openStore } = await import('../controller/db/open.js');
      const store = await openStore(db);
      try {
        if (action === 'create') {
          const made = await createBackup(store, dir, Date.now(), tiers);
          return out({ file: made.file, ...made.header, removed: made.removed }, `backup ${made.file}: ${rows(made.header.tables)}${made.removed.length ? `; pruned ${made.removed.length} the tiers no longer keep` : ''}\n`);
        }
        const { header, saved } = await restoreBackup(store, file!, { force: opts.force === true, saveTo: { dir, now: Date.now(), tiers } });
        return out({ file, restored: true, into: redactUrl(db), tables: header.tables, ...(saved ? { saved_first: saved } : {}) }, `restored ${basename(file!)} (${header.created_at}) into ${redactUrl(db)}: ${rows(header.tables)}${saved ? `\nwhat the store held before is in ${saved}` : ''}\n`);
      } finally {
        await store.close();
      }
    }
    default:
      throw new ClaudeEnvError('usage', `backup ${action ?? ''}: the action is create, list, verify or restore`);
  }
}
