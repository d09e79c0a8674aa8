/**
 * Two revisions of the config repo read from git together: the commits they
 * name, the files that differ (`git diff --raw -z -M`: renames detected, both
 * paths kept) and a RepoSource for each. Every git run here is awaited, never
 * blocking; the sources read blobs from memory once loaded (a long-lived
 * process), or as they are asked for through the caller's `lazyBlobs` (the
 * CLI's blocking store, src/blocking/sources.ts).
 */
import { ClaudeEnvError } from '../errors.js';
import type { ChangedFile } from '../impact/changes.js';
import type { DocumentCache } from '../repo/doc-cache.js';
import type { RepoPath } from '../vocabulary.js';
import type { RepoSource } from '../repo/source.js';
import { Tree, gitAsync, loadBlobs, lsTreeArgs, treeSource, type Blobs, type TreeEntry } from './repo-source.js';

/**
 * The commits that revisions name (one git run for all of them); a usage
 * error (exit 2) naming the flag of the first that names none.
 */
export async function resolveCommits(dir: string, revs: ReadonlyArray<{ rev: string; flag: string }>): Promise<string[]> {
  checkRevisionNames(revs);
  try {
    const out = commitsOf(await gitAsync(dir, ['rev-parse', '--end-of-options', ...revs.map((r) => `${r.rev}^{commit}`)]), revs.length);
    if (out) return out;
  } catch {
    // find out which one below
  }
  return whyUnresolved(dir, revs);
}

function checkRevisionNames(revs: ReadonlyArray<{ rev: string; flag: string }>): void {
  for (const { rev, flag } of revs) {
    // A revision that starts with "-" would be read by git as an option.
    if (rev === '' || rev.startsWith('-') || rev.includes('\0')) {
      throw new ClaudeEnvError('usage', `${flag} "${rev}" is not a revision`, { hint: 'name a commit, branch or tag (git log shows them)' });
    }
  }
}

/** `rev-parse`'s output: one commit id per revision, or undefined. */
function commitsOf(out: Buffer, n: number): string[] | undefined {
  const lines = out.toString().trim().split('\n').filter((l) => l !== '--end-of-options');
  return lines.length === n && lines.every((l) => /^[0-9a-f]{40,64}$/.test(l)) ? lines : undefined;
}

/** The error for revisions that do not all name a commit: which one, and why. */
async function whyUnresolved(dir: string, revs: ReadonlyArray<{ rev: string; flag: string }>): Promise<never> {
  try {
    await gitAsync(dir, ['rev-parse', '--git-dir']);
  } catch (err) {
    throw new ClaudeEnvError('git', `${revs[0]?.flag ?? '--rev'} needs a git repository, and ${dir} is not one`, { cause: err });
  }
  for (const { rev, flag } of revs) {
    try {
      await gitAsync(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    } catch (err) {
      throw new ClaudeEnvError('git', `unknown revision "${rev}" (${flag}) in ${dir}`, { cause: err, hint: 'name a commit, branch or tag (git log shows them)' });
    }
  }
  throw new ClaudeEnvError('git', `cannot resolve ${revs.map((r) => r.rev).join(', ')} in ${dir}`);
}

export async function resolveCommit(dir: string, rev: string, flag = '--rev'): Promise<string> {
  return (await resolveCommits(dir, [{ rev, flag }]))[0]!;
}

const STATUS: Record<string, ChangedFile['status']> = { A: 'added', M: 'modified', D: 'deleted', T: 'modified', R: 'renamed', C: 'copied' };

interface RawChange extends ChangedFile {
  readonly newMode: string;
  readonly newOid: string;
}

/** `git diff --raw -z -M` from `base` to `head` (commits): the changed files, with the new mode and object id of each. */
function rawDiffArgs(base: string, head: string): string[] {
  return ['-c', 'core.quotePath=false', 'diff', '--no-ext-diff', '--no-textconv', '--raw', '--no-abbrev', '-z', '-M', base, head, '--'];
}

function parseRawDiff(buf: Buffer): RawChange[] {
  const out = buf.toString('utf8');
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
  readonly baseCommit: string;
  readonly headCommit: string;
  readonly base: RepoSource;
  readonly head: RepoSource;
  readonly changes: readonly ChangedFile[];
}

/** Bump when the entry's layout changes. */
const TREE_FORMAT = 'claude-env-tree-v3\n';

/**
 * The listing of a tree (`git ls-tree -r -z`) kept in the document cache by
 * the tree's id: a tree's content never changes under its id, so the next
 * command on the same revision need not list it again. A damaged entry is a
 * miss.
 */
function cachedTree(cache: DocumentCache, tree: string): Tree | undefined {
  const data = cache.get(`t-${tree}`);
  return data?.startsWith(TREE_FORMAT) ? Tree.fromJSON(data.slice(TREE_FORMAT.length)) : undefined;
}

/** Bump when the entry's layout changes. */
const DIFF_FORMAT = 'claude-env-diff-v1\n';

/** `git diff --raw -z` of two trees, kept under both tree ids; an entry holds its length and is used only whole. */
function cachedRawDiff(cache: DocumentCache, key: string): Buffer | undefined {
  const data = cache.get(key);
  if (!data?.startsWith(DIFF_FORMAT)) return undefined;
  const nl = data.indexOf('\n', DIFF_FORMAT.length);
  const raw = data.slice(nl + 1);
  return nl > 0 && data.slice(DIFF_FORMAT.length, nl) === String(raw.length) ? Buffer.from(raw, 'utf8') : undefined;
}

function storeRawDiff(cache: DocumentCache, key: string, raw: string): void {
  cache.set(key, `${DIFF_FORMAT}${raw.length}\n${raw}`);
}

function storeTree(cache: DocumentCache, id: string, listing: Buffer): Tree {
  const tree = Tree.fromLsTree(listing);
  cache.set(`t-${id}`, `${TREE_FORMAT}${tree.toJSON()}`);
  return tree;
}

/**
 * Two revisions of one repo, read together: the commits they name, the
 * changed files, and a RepoSource for each. Head's files are base's (one
 * `git ls-tree`) with the raw diff applied, and every blob is read once for
 * both, in the same batches (a prefetch of some paths on either side reads
 * them at both revisions). Without a document cache the three git runs go
 * at once; with one, the base's listing and the diff are taken from it when
 * they are there. By default every blob of both trees is read before this
 * returns (one `git cat-file --batch`), so reading the sources never runs
 * git: what a long-lived process wants; the CLI passes `lazyBlobs` and reads
 * blobs as impact needs them.
 */
export async function gitRevisions(dir: string, baseRev: { rev: string; flag: string }, headRev: { rev: string; flag: string }, opts: { cache?: DocumentCache; lazyBlobs?: (dir: string) => Blobs } = {}): Promise<GitRevisions> {
  const revs = [baseRev, headRev];
  checkRevisionNames(revs);
  const [b, h] = revs.map((r) => `${r.rev}^{commit}`) as [string, string];
  const { cache } = opts;
  let baseTree: Tree;
  let headTree: Tree;
  let changes: ChangedFile[];
  let commits: string[];
  if (!cache) {
    // All three git runs at once.
    const [resolved, diffOut, listed] = await Promise.allSettled([gitAsync(dir, ['rev-parse', '--end-of-options', b, h]), gitAsync(dir, rawDiffArgs(b, h)), listTree(dir, b)]);
    const ids = resolved.status === 'fulfilled' ? commitsOf(resolved.value, 2) : undefined;
    if (!ids) return whyUnresolved(dir, revs);
    if (diffOut.status === 'rejected') throw diffOut.reason;
    if (listed.status === 'rejected') throw listed.reason;
    commits = ids;
    baseTree = Tree.fromLsTree(listed.value);
    ({ headTree, changes } = applyDiff(baseTree, diffOut.value));
  } else {
    // The trees' ids first: the base's listing and the diff of the two trees may be in the cache (each filed under
    // the tree ids it is made from), and only what is not there is asked of git, both at once.
    let resolved: Buffer;
    try {
      resolved = await gitAsync(dir, ['rev-parse', '--end-of-options', b, h, `${baseRev.rev}^{tree}`, `${headRev.rev}^{tree}`]);
    } catch {
      return whyUnresolved(dir, revs);
    }
    const ids = commitsOf(resolved, 4);
    if (!ids) return whyUnresolved(dir, revs);
    commits = ids.slice(0, 2);
    const [baseId, headId] = [ids[2]!, ids[3]!];
    const cachedBase = cachedTree(cache, baseId);
    const diffKey = `d-${baseId}-${headId}`;
    const cachedDiff = cachedRawDiff(cache, diffKey);
    const [diffOut, listed] = await Promise.all([cachedDiff ?? gitAsync(dir, rawDiffArgs(b, h)), cachedBase ? undefined : listTree(dir, baseId)]);
    baseTree = cachedBase ?? storeTree(cache, baseId, listed!);
    if (cachedDiff === undefined) storeRawDiff(cache, diffKey, diffOut.toString('utf8'));
    ({ headTree, changes } = applyDiff(baseTree, diffOut));
  }
  const store = opts.lazyBlobs ? opts.lazyBlobs(dir) : await loadBlobs(dir, [baseTree, headTree]);
  const oids = (tree: Tree) => (paths: readonly string[]): string[] => paths.flatMap((p) => tree.oid(p) ?? []);
  return {
    baseCommit: commits[0]!,
    headCommit: commits[1]!,
    base: treeSource(`${dir}@${baseRev.rev}`, baseTree, store, oids(headTree)),
    head: treeSource(`${dir}@${headRev.rev}`, headTree, store, oids(baseTree)),
    changes,
  };
}

function listTree(dir: string, tree: string): Promise<Buffer> {
  return gitAsync(dir, lsTreeArgs(tree));
}

/** Head's tree (base's with the raw diff applied) and the changed files of `git diff --raw`. */
function applyDiff(baseTree: Tree, diffOut: Buffer): { headTree: Tree; changes: ChangedFile[] } {
  const raw = parseRawDiff(diffOut);
  const changed = new Map<string, TreeEntry | undefined>();
  for (const c of raw) {
    if (c.oldPath !== undefined && c.status === 'renamed' && !changed.has(c.oldPath)) changed.set(c.oldPath, undefined);
    // A submodule (160000) is no blob: ls-tree leaves it out, and so does this.
    // A symbolic link (120000) is refused by the tree, as in a listing.
    changed.set(c.path, c.status === 'deleted' || c.newMode === '160000' ? undefined : { mode: parseInt(c.newMode, 8) & 0o777, oid: c.newOid, ...(c.newMode === '120000' ? { link: true } : {}) });
  }
  const changes = raw.map(({ status, path, oldPath }) => (oldPath === undefined ? { status, path } : { status, path, oldPath }));
  return { headTree: baseTree.withChanges(changed), changes };
}
