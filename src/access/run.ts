/**
 * The `access check` use case: may `author` make the change from `base` to
 * `head`? The rules come from the BASE revision (access.yml and every
 * members.yml), so a change can never grant itself permissions. The change
 * is the difference of the two trees (src/access/change.ts). A change that
 * adds, alters or removes executable content for any target (found on the
 * merged result with the impact machinery, see src/access/executable.ts) is
 * at least of the `security` class. The revisions are read through a
 * `ChangeReader` (git at the edge: src/history/git.ts).
 *
 * And `codeowners`: CODEOWNERS from access.yml and the members of a repo.
 */
import { ClaudeEnvError } from '../errors.js';
import { isFindingCode } from '../error-codes.js';
import { openRevisions, type Revisions } from '../impact/run.js';
import { computeImpact } from '../impact/impact.js';
import { Repo } from '../repo/repo.js';
import type { RepoSource } from '../repo/source.js';
import { describeChange, type ReadObjects, type TreeChange } from './change.js';
import { checkAccess, type AccessResult } from './check.js';
import { codeownersRules, formatCodeowners, type CodeownersRule } from './codeowners.js';
import { executableChanges, mayChangeExecutable, unknownReason, widerCommandLayers, type DocumentVersions, type ExecutableReport } from './executable.js';
import { loadDirectory, loadPolicy } from './load.js';

export type { TreeChange } from './change.js';

/** What `access check` reads of the repo's history. */
export interface ChangeReader extends Revisions {
  /** The commit a revision names; an error saying what is wrong when it names none. */
  commit(rev: string): Promise<string>;
  /** The tree of a commit. */
  source(commit: string): Promise<RepoSource>;
  /** The raw difference of two commits' trees, renames detected. */
  treeChanges(base: string, head: string): Promise<TreeChange[]>;
  blobs: ReadObjects;
  /** Every path of a commit's tree, whatever its kind (symlinks and submodules too). */
  paths(commit: string): Promise<string[]>;
}

export interface AccessCheckOptions {
  readonly author: string;
  /** Revisions: commits, branches, tags. */
  readonly base: string;
  readonly head: string;
  readonly approvers: readonly string[];
  /** Render the affected targets even when the quick look finds no key that can hold executable content (tests compare both). */
  readonly exhaustive?: boolean;
}

export type AccessRun = AccessResult & { readonly base: string; readonly head: string };

export async function checkChange(reader: ChangeReader, opts: AccessCheckOptions): Promise<AccessRun> {
  const base = await reader.commit(opts.base);
  const head = await reader.commit(opts.head);
  const repo = new Repo(await reader.source(base));
  const policy = loadPolicy(repo);
  const directory = loadDirectory(repo);
  const change = await describeChange(await reader.treeChanges(base, head), reader.blobs, base, head);
  const widened = change.settings ? widerCommandLayers(change.settings.before, change.settings.after) : undefined;
  const rendered = await executableReport(reader, base, head, change.paths, change.versions, change.settings, opts.exhaustive === true);
  const executable = widened ? { ...rendered, settings: widened } : rendered;
  const treePaths = new Set([...repo.source.list(''), ...(await reader.paths(head))]);
  const result = checkAccess({ policy, directory, author: opts.author, approvers: [...opts.approvers], files: change.files, keys: change.keys, treePaths, executable });
  return { base, head, ...result };
}

/**
 * The executable content the change from `base` to `head` (commits) alters:
 * nothing rendered when the quick look finds no changed key that can hold
 * any; else the impact of the change, as `claude-env impact` computes it.
 */
async function executableReport(
  revs: Revisions,
  base: string,
  head: string,
  paths: readonly string[],
  docs: readonly DocumentVersions[],
  settings: { before: unknown; after: unknown } | undefined,
  exhaustive: boolean,
): Promise<ExecutableReport> {
  const reason = exhaustive ? 'every affected target is rendered (exhaustive)' : mayChangeExecutable(paths, docs, settings);
  if (reason === undefined) return { targets: [] };
  const r = await openRevisions(revs, { rev: base, flag: '--base' }, { rev: head, flag: '--head' });
  try {
    return executableChanges(computeImpact(r.baseRepo, r.headRepo, r.changes), r.baseRepo, r.headRepo, reason);
  } catch (err) {
    // A finding (a layer that does not render) leaves the executable content unknown; a failure of the call is thrown.
    if (!(err instanceof ClaudeEnvError) || !isFindingCode(err.code)) throw err;
    return { targets: [], unknown: unknownReason(err), reason };
  }
}

/** CODEOWNERS of a repo: its rules and the file's text. */
export function codeownersOf(repo: Repo): { rules: CodeownersRule[]; text: string } {
  const rules = codeownersRules(loadPolicy(repo), loadDirectory(repo), repo.source.list(''));
  return { rules, text: formatCodeowners(rules) };
}
