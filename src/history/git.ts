/**
 * The config repo's git history, as the use cases read it: two revisions
 * together (impact, access), the raw difference of two trees, objects by id,
 * a tree's paths, the log, and what a revision contains. This is the only
 * file of the history, impact and access use cases that runs git; the use
 * cases take it as a port (`Revisions`, `ChangeReader`, `LogReader`).
 */
import { ClaudeEnvError } from '../errors.js';
import type { ChangeReader, TreeChange } from '../access/run.js';
import type { Revisions } from '../impact/run.js';
import type { RepoSource } from '../repo/source.js';
import { diskDocumentCache, readOnly } from '../blocking/doc-cache-store.js';
import { gitRevisions } from '../system/git-changes.js';
import { catBlobsAsync, gitAsync, openRevision, resolveCommitAsync } from '../system/repo-source.js';
import { BlobStore, gitSource } from '../blocking/sources.js';
import { signerConfig, signersFile } from '../system/git-signers.js';
import type { LogReader, LogRecord } from './run.js';

export type GitReader = Revisions & ChangeReader & LogReader;

export interface GitReaderOptions {
  /**
   * Read each revision whole, without blocking, before it is used (a
   * long-lived process: the controller). Without it (the CLI) the files of a
   * revision are read as the use case asks for them, each read waiting for
   * git: a one-target command reads a few of a large repo's files.
   */
  readonly preload?: boolean;
}

/** The git history of the config repo at `dir`; `env` for the document cache (`$CLAUDE_ENV_CACHE`). Every git run but the lazy reads of a revision's files (see `preload`) is asynchronous. */
export function gitReader(dir: string, env: NodeJS.ProcessEnv, opts: GitReaderOptions = {}): GitReader {
  const disk = diskDocumentCache(env);
  const run = async (args: string[]): Promise<string> => (await gitAsync(dir, args)).toString('utf8');
  return {
    pair: (base, head) => gitRevisions(dir, base, head, { ...(disk ? { cache: disk } : {}), ...(opts.preload ? {} : { lazyBlobs: (d: string) => new BlobStore(d) }) }),
    documentCache: (fill) => (disk && !fill ? readOnly(disk) : disk),
    commit: (rev) => resolveCommitAsync(dir, rev),
    source: async (commit): Promise<RepoSource> => (opts.preload ? openRevision(dir, commit, { resolved: true }) : gitSource(dir, commit, { resolved: true })),
    treeChanges: async (base, head) => parseRawDiff(await run(['diff', '--raw', '-z', '-M', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head])),
    blobs: async (objects, opts = {}) => {
      const got = await catBlobsAsync(dir, objects, { allowMissing: true });
      const missing = got.findIndex((b) => b === undefined);
      if (missing >= 0 && !opts.allowMissing) throw new ClaudeEnvError('git', `git object ${objects[missing]} is missing in ${dir}`);
      return got;
    },
    paths: async (commit) => (await run(['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit])).split('\0').filter(Boolean),
    log: async (commit, opts) => {
      const signers = opts.signingKeys ? await signersFile(opts.signingKeys) : undefined;
      try {
        return parseLog(await run(logArgs(commit, opts.file, signers?.file)), signers !== undefined);
      } finally {
        await signers?.cleanup();
      }
    },
    contains: async (rev) => {
      try {
        return (await run(['rev-list', rev])).split('\n').filter(Boolean);
      } catch {
        return undefined; // a revision this clone does not have
      }
    },
  };
}

/** `git diff --raw -z -M` of two trees. */
function parseRawDiff(out: string): TreeChange[] {
  const fields = out.split('\0');
  const changes: TreeChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const meta = fields[i++];
    if (!meta) continue;
    const [oldMode, newMode, oldOid, newOid, status] = meta.slice(1).split(' ') as [string, string, string, string, string];
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[i++]!;
      const path = fields[i++]!;
      changes.push({ status: status[0]!, oldMode, newMode, oldOid, newOid, path, from });
    } else changes.push({ status: status[0]!, oldMode, newMode, oldOid, newOid, path: fields[i++]! });
  }
  return changes;
}

const RS = '\x1e';
const US = '\x1f';

function logArgs(commit: string, file: string | undefined, signers: string | undefined): string[] {
  const fields = ['%H', '%P', '%an', '%ae', '%cI', '%s', ...(signers ? ['%G?', '%GS', '%GF'] : [])].join('%x1f');
  const config = signers ? signerConfig(signers) : [];
  const args = [...config, 'log', `--format=${RS}${fields}`, '--name-only', '-z', '--diff-merges=first-parent', commit];
  if (file) args.push('--', `:(literal)${file}`);
  return args;
}

function parseLog(out: string, signed: boolean): LogRecord[] {
  const records: LogRecord[] = [];
  for (const rec of out.split(RS)) {
    if (!rec.trim()) continue;
    const end = rec.search(/[\0\n]/);
    const header = (end < 0 ? rec : rec.slice(0, end)).split(US);
    const files = (end < 0 ? '' : rec.slice(end)).split(/[\0\n]/).filter(Boolean);
    const [commit, parents, author, email, time, subject, ...sig] = header as [string, string, string, string, string, string, ...string[]];
    records.push({ commit, parents: parents ? parents.split(' ') : [], author, email, time, subject, ...(signed ? { sig } : {}), files });
  }
  return records;
}
