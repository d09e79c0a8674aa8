/**
 * The commands' options mapped onto src/workspace/open.ts: which config repo
 * (`--repo`, `--rev`) and target (`--env --team --project --user --home`, else
 * the machine identity) a command works on.
 */
import { statSync } from 'node:fs';
import { git } from '../blocking/sources.js';
import type { LayerDocument, Repo } from '../repo/repo.js';
import type { Target } from '../vocabulary.js';
import * as workspace from '../workspace/open.js';
import type { CliIO } from './io.js';

export { describeTarget } from '../repo/target-name.js';

export interface RepoOptions {
  repo?: string;
  rev?: string;
}

export interface TargetOptions extends RepoOptions {
  env?: string;
  team?: string;
  project?: string;
  user?: string;
  home?: string;
  /** A checkout of the target's project: its `.mcp.json` is written too. */
  projectDir?: string;
  /** Where Claude Code's managed settings go (`/etc/claude-code` on Linux): the enforced policy is written there too. */
  managed?: string;
}

export const repoDir = (io: CliIO, opts: RepoOptions): string => workspace.findRepoDir(opts.repo, io);
export const openRepo = (io: CliIO, opts: RepoOptions, how: { fillCache?: boolean } = {}): Repo => workspace.openRepo(opts, io, how);
export const homeDir = (io: CliIO, opts: { home?: string }): string => workspace.homeDir(opts.home, io);
export const resolveTarget = (io: CliIO, repo: Repo, opts: TargetOptions): Promise<Target> => workspace.resolveTarget(repo, opts, io);
/** The revision being applied: `--rev` as a commit, else the repo's HEAD (undefined outside git). One git run, waited for: spawning it asynchronously would load Node's sockets and streams (~10 ms of a command's start). */
export async function repoRevision(io: CliIO, opts: RepoOptions): Promise<string | undefined> {
  try {
    return git(repoDir(io, opts), ['rev-parse', '--verify', '--quiet', `${opts.rev ?? 'HEAD'}^{commit}`]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}
/** The machine's own layer. Most machines have none: a stat says so at once, before the first asynchronous read would start Node's thread pool (~2 ms of a one-target command). */
export async function localLayer(io: CliIO, opts: TargetOptions): Promise<LayerDocument[]> {
  const path = workspace.localLayerPath(opts.home, io);
  return path !== undefined && statSync(path, { throwIfNoEntry: false }) ? workspace.localLayer(opts.home, io) : [];
}
export async function openTarget(io: CliIO, opts: TargetOptions): Promise<{ repo: Repo; target: Target; extra: LayerDocument[] }> {
  const repo = openRepo(io, opts);
  return { repo, target: await resolveTarget(io, repo, opts), extra: await localLayer(io, opts) };
}
