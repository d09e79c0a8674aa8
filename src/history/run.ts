/**
 * The `history` use case: the config repo's git log (from a revision) joined
 * with a machine's audit log (apply, remediate, rollback), newest first.
 * `file` keeps the commits that changed that file; `key` the commits whose
 * diff (against the first parent, so a merge counts with what it brought to
 * the mainline) changed that key of the merged tree in any layer document.
 * Each commit says when this machine first applied a revision that contains
 * it. `verifySignatures` checks each commit's signature against the SSH keys
 * of access.yml `signing_keys` (at the revision).
 */
import { loadPolicy } from '../access/load.js';
import { changedKeyPaths, documentMayHoldKey, touchesKey } from '../access/keys.js';
import { joinKeyPath } from '../provenance/tree.js';
import { Repo } from '../repo/repo.js';
import type { RepoSource } from '../repo/source.js';
import { parseYaml } from '../repo/yaml.js';
import { stateDir } from '../state/identity.js';
import { StateStore } from '../state/store.js';
import type { RepoPath } from '../vocabulary.js';
import { gitReader } from './git.js';

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

/** One commit of `git log`: `sig` is git's `%G?`, `%GS`, `%GF` when signatures were checked. */
export interface LogRecord {
  commit: string;
  parents: string[];
  author: string;
  email: string;
  time: string;
  subject: string;
  sig?: string[];
  files: string[];
}

/** What `history` reads of the repo's history. */
export interface LogReader {
  commit(rev: string): Promise<string>;
  source(commit: string): Promise<RepoSource>;
  /** The log from a commit, with the files of each; `signingKeys` (user → SSH keys): check each commit's signature against them. */
  log(commit: string, opts: { file?: string | undefined; signingKeys?: Readonly<Record<string, readonly string[]>> | undefined }): Promise<LogRecord[]>;
  blobs(objects: readonly string[], opts: { allowMissing: true }): Promise<Array<Uint8Array | undefined>>;
  /** The commits a revision contains; undefined when the repo does not have it. */
  contains(rev: string): Promise<string[] | undefined>;
}

export interface HistoryOptions {
  /** Default HEAD. */
  readonly rev?: string | undefined;
  readonly file?: string | undefined;
  /** A dotted key of the merged tree, split. */
  readonly key?: readonly string[] | undefined;
  readonly verifySignatures?: boolean | undefined;
}

export interface History {
  readonly entries: Array<CommitEntry | MachineEntry>;
  /** With `verifySignatures`: how many commits are signed with a listed key, and those that are not. */
  readonly signatures?: { readonly verified: number; readonly unverified: string[] };
}

/** The history of the config repo at `dir` on the machine of `home`. */
export async function repoHistory(dir: string, home: string, env: NodeJS.ProcessEnv, opts: HistoryOptions): Promise<History> {
  const audit = await new StateStore(stateDir(home, env)).readAudit();
  return historyOf(gitReader(dir, env), audit, opts);
}

export async function historyOf(reader: LogReader, auditLog: readonly Record<string, unknown>[], opts: HistoryOptions): Promise<History> {
  const commit = await reader.commit(opts.rev ?? 'HEAD');
  const signingKeys = opts.verifySignatures ? loadPolicy(new Repo(await reader.source(commit))).signingKeys : undefined;
  let records = await reader.log(commit, { file: opts.file, signingKeys });
  const keys = opts.key ? await keysChanged(reader, records, opts.key) : undefined;
  if (keys) records = records.filter((r) => keys.has(r.commit));

  const audit = auditLog.filter((e): e is MachineEntry => typeof e['time'] === 'string' && typeof e['event'] === 'string').map((e) => ({ ...e, source: 'machine' as const }));
  const applied = await appliedTimes(reader, audit);
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
  if (!opts.verifySignatures) return { entries };
  const unverified = commits.filter((c) => c.signature?.status !== 'good').map((c) => c.commit);
  return { entries, signatures: { verified: commits.length - unverified.length, unverified } };
}

/** The keys (matching `key`) that each commit changed, against its first parent. */
async function keysChanged(reader: LogReader, records: readonly LogRecord[], key: readonly string[]): Promise<Map<string, string[]>> {
  const wanted: Array<{ rec: LogRecord; path: string }> = [];
  for (const rec of records) for (const path of rec.files) if (documentMayHoldKey(path, key)) wanted.push({ rec, path });
  // Both sides of each file, in one batch (a root commit has no before).
  const objects: string[] = [];
  const sides = wanted.map(({ rec, path }) => {
    const before = rec.parents[0] ? objects.push(`${rec.parents[0]}:${path}`) - 1 : -1;
    return { before, after: objects.push(`${rec.commit}:${path}`) - 1 };
  });
  const blobs = objects.length === 0 ? [] : await reader.blobs(objects, { allowMissing: true });
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
async function appliedTimes(reader: LogReader, audit: readonly MachineEntry[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const applies = audit.filter((e) => e.event === 'apply' && typeof e.revision === 'string').sort((a, b) => (a.time < b.time ? -1 : 1));
  const seen = new Set<string>();
  for (const e of applies) {
    const rev = e.revision!;
    if (seen.has(rev)) continue;
    seen.add(rev);
    for (const c of (await reader.contains(rev)) ?? []) if (!out.has(c)) out.set(c, e.time);
  }
  return out;
}
