/**
 * `claude-env history [--file PATH] [--key DOTTED.KEY] [--verify-signatures]`:
 * the config repo's git log (from --rev, default HEAD) joined with this
 * machine's audit log ($CLAUDE_ENV_HOME/audit.log: apply, remediate,
 * rollback), newest first. `--file` keeps the commits that changed that file;
 * `--key` the commits whose diff (against the first parent, so a merge
 * counts with what it brought to the mainline) changed that key of the
 * merged tree in any layer document. Each commit says when this machine
 * first applied a revision that contains it.
 *
 * `--verify-signatures` checks each commit's signature with git against
 * the SSH keys of access.yml `signing_keys` (at --rev): an allowed-signers
 * file in a temp folder, `gpg.ssh.allowedSignersFile`. Exit 1 when a commit
 * shown is not signed with a listed key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FINDINGS, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { changedKeyPaths, documentMayHoldKey, touchesKey } from '../access/keys.js';
import { joinKeyPath, splitKeyPath } from '../provenance/tree.js';
import { Repo } from '../repo/repo.js';
import { parseYaml } from '../repo/yaml.js';
import { stateDir } from '../state/identity.js';
import { StateStore } from '../state/store.js';
import { catBlobs, git, gitSource, resolveCommit } from '../system/repo-source.js';
import type { RepoPath } from '../vocabulary.js';
import { homeDir, repoDir, type RepoOptions } from './context.js';
import { loadPolicy } from './access.js';
import { printJson, type CliIO } from './io.js';

export interface HistoryOptions extends RepoOptions {
  file?: string;
  key?: string;
  home?: string;
  verifySignatures?: boolean;
  json?: boolean;
}

export type SignatureStatus = 'good' | 'bad' | 'unknown-key' | 'expired' | 'revoked' | 'untrusted' | 'unsigned';
const SIGNATURE: Record<string, SignatureStatus> = { G: 'good', B: 'bad', U: 'untrusted', X: 'expired', Y: 'expired', R: 'revoked', E: 'unknown-key', N: 'unsigned' };

export interface CommitEntry {
  time: string;
  source: 'git';
  commit: string;
  author: string;
  email: string;
  subject: string;
  files: string[];
  keys?: string[];
  signature?: { status: SignatureStatus; signer?: string; key?: string };
  applied_here?: string;
}

export interface MachineEntry {
  time: string;
  source: 'machine';
  event: string;
  revision?: string;
  [field: string]: unknown;
}

const RS = '\x1e';
const US = '\x1f';

interface LogRecord {
  commit: string;
  parents: string[];
  author: string;
  email: string;
  time: string;
  subject: string;
  sig?: string[];
  files: string[];
}

function gitLog(dir: string, rev: string, opts: HistoryOptions, signers: string | undefined): LogRecord[] {
  const fields = ['%H', '%P', '%an', '%ae', '%cI', '%s', ...(signers ? ['%G?', '%GS', '%GF'] : [])].join('%x1f');
  const config = signers ? ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${signers}`] : [];
  const args = [...config, 'log', `--format=${RS}${fields}`, '--name-only', '-z', '--diff-merges=first-parent', rev];
  if (opts.file) args.push('--', `:(literal)${opts.file}`);
  const out = git(dir, args).toString('utf8');
  const records: LogRecord[] = [];
  for (const rec of out.split(RS)) {
    if (!rec.trim()) continue;
    const end = rec.search(/[\0\n]/);
    const header = (end < 0 ? rec : rec.slice(0, end)).split(US);
    const files = (end < 0 ? '' : rec.slice(end)).split(/[\0\n]/).filter(Boolean);
    const [commit, parents, author, email, time, subject, ...sig] = header as [string, string, string, string, string, string, ...string[]];
    records.push({ commit, parents: parents ? parents.split(' ') : [], author, email, time, subject, ...(signers ? { sig } : {}), files });
  }
  return records;
}

/** The keys (matching `key`) that each commit changed, against its first parent. */
function keysChanged(dir: string, records: readonly LogRecord[], key: readonly string[]): Map<string, string[]> {
  const wanted: Array<{ rec: LogRecord; path: string }> = [];
  for (const rec of records) for (const path of rec.files) if (documentMayHoldKey(path, key)) wanted.push({ rec, path });
  // Both sides of each file, in one batch (a root commit has no before).
  const objects: string[] = [];
  const sides = wanted.map(({ rec, path }) => {
    const before = rec.parents[0] ? objects.push(`${rec.parents[0]}:${path}`) - 1 : -1;
    return { before, after: objects.push(`${rec.commit}:${path}`) - 1 };
  });
  const blobs = catBlobs(dir, objects, { allowMissing: true });
  const out = new Map<string, string[]>();
  const decoder = new TextDecoder();
  const parse = (i: number, path: string): unknown => {
    const b = i < 0 ? undefined : blobs[i];
    return b === undefined ? undefined : (parseYaml(decoder.decode(b), path as RepoPath, 'base').value ?? undefined);
  };
  wanted.forEach(({ rec, path }, i) => {
    // The key itself or a key below it: a parent that was replaced whole lists the keys it held before and after.
    const changed = changedKeyPaths(path, parse(sides[i]!.before, path), parse(sides[i]!.after, path)).filter((p) => p.length >= key.length && touchesKey(p, key));
    if (changed.length === 0) return;
    const list = out.get(rec.commit) ?? [];
    for (const p of changed) {
      const k = joinKeyPath(p);
      if (!list.includes(k)) list.push(k);
    }
    out.set(rec.commit, list);
  });
  return out;
}

/** When this machine first applied a revision containing each commit. */
function appliedTimes(dir: string, audit: readonly MachineEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  const applies = audit.filter((e) => e.event === 'apply' && typeof e.revision === 'string').sort((a, b) => (a.time < b.time ? -1 : 1));
  const seen = new Set<string>();
  for (const e of applies) {
    const rev = e.revision!;
    if (seen.has(rev)) continue;
    seen.add(rev);
    let contained: string[];
    try {
      contained = git(dir, ['rev-list', rev]).toString('utf8').split('\n').filter(Boolean);
    } catch {
      continue; // a revision this clone does not have
    }
    for (const c of contained) if (!out.has(c)) out.set(c, e.time);
  }
  return out;
}

function signersFile(keys: Readonly<Record<string, readonly string[]>>): { file: string; cleanup(): void } {
  const tmp = mkdtempSync(join(tmpdir(), 'claude-env-signers-'));
  const file = join(tmp, 'allowed_signers');
  const lines = Object.entries(keys).flatMap(([user, list]) => list.map((k) => `${user} namespaces="git" ${k}`));
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { file, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

function machineLine(e: MachineEntry): string {
  const t = e['target'] as Record<string, string> | undefined;
  const target = t ? [t['env'], t['team'], t['user'], t['project']].filter(Boolean).join('/') : '';
  const files = (['written', 'files', 'fixed'] as const).map((k) => e[k]).find(Array.isArray) as unknown[] | undefined;
  const parts = [`machine ${e.event}`, e.revision ? `revision ${String(e.revision).slice(0, 7)}` : '', target, e['to'] ? `to ${String(e['to'])}` : '', files ? `${files.length} file(s)` : ''];
  return `${e.time}  ${parts.filter(Boolean).join('  ')}`;
}

export async function run(io: CliIO, opts: HistoryOptions): Promise<ExitCode> {
  const dir = repoDir(io, opts);
  const rev = opts.rev ?? 'HEAD';
  const commit = resolveCommit(dir, rev);
  let key: string[] | undefined;
  if (opts.key !== undefined) {
    try {
      key = splitKeyPath(opts.key);
    } catch (err) {
      throw usageError(`--key: ${(err as Error).message}`, 'a dotted key of the merged tree, such as settings.model');
    }
  }
  const signers = opts.verifySignatures ? signersFile(loadPolicy(new Repo(gitSource(dir, commit))).signingKeys) : undefined;
  let records: LogRecord[];
  try {
    records = gitLog(dir, commit, opts, signers?.file);
  } finally {
    signers?.cleanup();
  }
  const keys = key ? keysChanged(dir, records, key) : undefined;
  if (keys) records = records.filter((r) => keys.has(r.commit));

  const store = new StateStore(stateDir(homeDir(io, opts), io.env));
  const audit = (await store.readAudit()).filter((e): e is MachineEntry => typeof e['time'] === 'string' && typeof e['event'] === 'string').map((e) => ({ ...e, source: 'machine' as const }));
  const applied = appliedTimes(dir, audit);

  const commits: CommitEntry[] = records.map((r) => {
    const entry: CommitEntry = { time: new Date(r.time).toISOString(), source: 'git', commit: r.commit, author: r.author, email: r.email, subject: r.subject, files: r.files };
    if (keys) entry.keys = keys.get(r.commit) ?? [];
    if (r.sig) {
      const [code, signer, fingerprint] = r.sig;
      entry.signature = { status: SIGNATURE[code ?? 'N'] ?? 'bad', ...(signer ? { signer } : {}), ...(fingerprint ? { key: fingerprint } : {}) };
    }
    const at = applied.get(r.commit);
    if (at) entry.applied_here = at;
    return entry;
  });
  const entries: Array<CommitEntry | MachineEntry> = [...commits, ...audit].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  const unverified = opts.verifySignatures ? commits.filter((c) => c.signature?.status !== 'good') : [];

  if (opts.json) printJson(io, { entries, ...(opts.verifySignatures ? { signatures: { verified: commits.length - unverified.length, unverified: unverified.map((c) => c.commit) } } : {}) });
  else {
    const lines: string[] = [];
    for (const e of entries) {
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
    if (entries.length === 0) lines.push('no history');
    if (opts.verifySignatures) lines.push(unverified.length ? `signatures: ${unverified.length} of ${commits.length} commit(s) not signed with a key of access.yml signing_keys` : `signatures: all ${commits.length} commit(s) signed with keys of access.yml signing_keys`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return unverified.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
