/**
 * The files that differ between two revisions of the config repo, from
 * `git diff --name-status -z -M` (renames detected, both paths kept), and the
 * commits that revisions name.
 */
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import type { ChangedFile } from '../impact/changes.js';
import type { RepoPath } from '../vocabulary.js';
import type { RepoSource } from '../repo/source.js';
import { BlobStore, git, lsTree, treeSource, type TreeEntries } from './repo-source.js';

/**
 * The commits that revisions name (one git run for all of them); a usage
 * error (exit 2) naming the flag of the first that names none.
 */
export function resolveCommits(dir: string, revs: ReadonlyArray<{ rev: string; flag: string }>): string[] {
  for (const { rev, flag } of revs) {
    // A revision that starts with "-" would be read by git as an option.
    if (rev === '' || rev.startsWith('-') || rev.includes('\0')) {
      throw new ClaudeEnvError('usage', `${flag} "${rev}" is not a revision`, { exitCode: EXIT_USAGE, hint: 'name a commit, branch or tag (git log shows them)' });
    }
  }
  try {
    const out = git(dir, ['rev-parse', '--end-of-options', ...revs.map((r) => `${r.rev}^{commit}`)]).toString().trim().split('\n').filter((l) => l !== '--end-of-options');
    if (out.length === revs.length && out.every((l) => /^[0-9a-f]{40,64}$/.test(l))) return out;
  } catch {
    // find out which one below
  }
  try {
    git(dir, ['rev-parse', '--git-dir']);
  } catch (err) {
    throw new ClaudeEnvError('git', `${revs[0]?.flag ?? '--rev'} needs a git repository, and ${dir} is not one`, { exitCode: EXIT_USAGE, cause: err });
  }
  for (const { rev, flag } of revs) {
    try {
      git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    } catch (err) {
      throw new ClaudeEnvError('git', `unknown revision "${rev}" (${flag}) in ${dir}`, { exitCode: EXIT_USAGE, cause: err, hint: 'name a commit, branch or tag (git log shows them)' });
    }
  }
  throw new ClaudeEnvError('git', `cannot resolve ${revs.map((r) => r.rev).join(', ')} in ${dir}`, { exitCode: EXIT_USAGE });
}

export function resolveCommit(dir: string, rev: string, flag = '--rev'): string {
  return resolveCommits(dir, [{ rev, flag }])[0]!;
}

const STATUS: Record<string, ChangedFile['status']> = { A: 'added', M: 'modified', D: 'deleted', T: 'modified', R: 'renamed', C: 'copied' };

interface RawChange extends ChangedFile {
  readonly newMode: string;
  readonly newOid: string;
}

/** `git diff --raw -z -M` from `base` to `head` (commits): the changed files, with the new mode and object id of each. */
function rawDiff(dir: string, base: string, head: string): RawChange[] {
  const out = git(dir, ['-c', 'core.quotePath=false', 'diff', '--no-ext-diff', '--no-textconv', '--raw', '--no-abbrev', '-z', '-M', base, head, '--']).toString('utf8');
  const fields = out.split('\0');
  const changes: RawChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const head = fields[i++]!;
    if (!head.startsWith(':')) continue;
    const [, newMode, , newOid, code] = head.slice(1).split(' ') as [string, string, string, string, string];
    const status = STATUS[code[0]!] ?? 'modified';
    if (status === 'renamed' || status === 'copied') {
      const from = fields[i++]! as RepoPath;
      const to = fields[i++]! as RepoPath;
      changes.push({ status, path: to, oldPath: from, newMode, newOid });
    } else changes.push({ status, path: fields[i++]! as RepoPath, newMode, newOid });
  }
  return changes;
}

export interface GitRevisions {
  readonly base: RepoSource;
  readonly head: RepoSource;
  readonly changes: readonly ChangedFile[];
}

/**
 * Two revisions of one repo, read together: head's files are base's (one
 * `git ls-tree`) with the raw diff applied, and every blob is read once for
 * both, in the same batches (a prefetch of some paths on either side reads
 * them at both revisions).
 */
export function gitRevisions(dir: string, base: string, head: string, labels: { base: string; head: string }): GitRevisions {
  const raw = rawDiff(dir, base, head);
  const baseEntries = lsTree(dir, base);
  const headEntries: TreeEntries = new Map(baseEntries);
  for (const c of raw) {
    if (c.status === 'renamed' || c.status === 'deleted') headEntries.delete(c.oldPath ?? c.path);
    if (c.status === 'deleted') continue;
    // A submodule (160000) is no blob: ls-tree leaves it out, and so does this.
    if (c.newMode === '160000') headEntries.delete(c.path);
    else headEntries.set(c.path, { mode: parseInt(c.newMode, 8) & 0o777, oid: c.newOid });
  }
  const store = new BlobStore(dir);
  const oids = (entries: TreeEntries) => (paths: readonly string[]): string[] => paths.flatMap((p) => entries.get(p)?.oid ?? []);
  return {
    base: treeSource(`${dir}@${labels.base}`, baseEntries, store, oids(headEntries)),
    head: treeSource(`${dir}@${labels.head}`, headEntries, store, oids(baseEntries)),
    changes: raw.map(({ status, path, oldPath }) => (oldPath === undefined ? { status, path } : { status, path, oldPath })),
  };
}
