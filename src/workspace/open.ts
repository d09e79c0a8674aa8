/**
 * Which config repo and which target a call works on, from plain values (a
 * command's flags, an agent's settings) and the process's environment and
 * working directory: the repo dir (given, else the nearest folder up with a
 * claude-env.yml, else $CLAUDE_ENV_REPO), the repo at a revision or as its
 * working tree, the target (given names, else the machine identity), and the
 * machine's own `user_local` layer.
 */
import { join, resolve } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { isMap, type LayerMap } from '../provenance/tree.js';
import { rootNameFindings } from '../repo/names.js';
import { Repo, chainErrorToThrow, type LayerDocument } from '../repo/repo.js';
import { PACKAGE_YAML, parseYaml, type Yaml } from '../repo/yaml.js';
import { readIdentity } from '../state/identity.js';
import { diskDocumentCache, readOnly } from '../blocking/doc-cache-store.js';
import { gitSource, worktreeSource } from '../blocking/sources.js';
import { gitAsync } from '../system/repo-source.js';
import { isLink, realSystem, type System } from '../system/system.js';
import { findRepoDir } from '../blocking/find-repo.js';
import type { RepoPath, Target } from '../vocabulary.js';

/** What a call runs in. */
export interface Proc {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** How the call loads the YAML library (the CLI: its bundled copy through V8's code cache); absent: the package. */
  readonly yaml?: Yaml | undefined;
}

export { findRepoDir };

export interface RepoChoice {
  /** The config repo dir (relative to cwd). */
  readonly repo?: string | undefined;
  /** A git revision to read instead of the working tree. */
  readonly rev?: string | undefined;
}

export interface TargetChoice extends RepoChoice {
  readonly env?: string | undefined;
  readonly team?: string | undefined;
  readonly project?: string | undefined;
  readonly user?: string | undefined;
  /** The target home (default $HOME). */
  readonly home?: string | undefined;
}

/**
 * `fillCache: false` for whole-repo commands (validate): they read the
 * document cache but do not write thousands of entries into it, which costs
 * more than it saves (a small file costs ~0.5 ms to create here); one-target
 * commands fill it with the few documents they read.
 */
export function openRepo(choice: RepoChoice, proc: Proc, how: { fillCache?: boolean } = {}): Repo {
  const dir = findRepoDir(choice.repo, proc);
  const disk = diskDocumentCache(proc.env);
  const cache = disk && how.fillCache === false ? readOnly(disk) : disk;
  return new Repo(choice.rev ? gitSource(dir, choice.rev) : worktreeSource(dir), cache ? { cache, yaml: proc.yaml ?? PACKAGE_YAML } : { yaml: proc.yaml ?? PACKAGE_YAML });
}

export function homeDir(home: string | undefined, proc: Proc): string {
  const h = home ?? proc.env['HOME'];
  if (!h) throw new ClaudeEnvError('usage', 'no home directory: pass --home DIR or set HOME');
  return resolve(proc.cwd, h);
}

/** The names given first, then the machine identity for what they leave out. */
export async function resolveTarget(repo: Repo, choice: TargetChoice, proc: Proc): Promise<Target> {
  const given: Partial<Target> = {};
  for (const k of ['env', 'team', 'project', 'user'] as const) if (choice[k] !== undefined) given[k] = choice[k];
  const identity = given.env === undefined ? await readIdentity(homeDir(choice.home, proc), proc.env) : {};
  return repo.resolveTarget({ ...identity, ...given });
}

/** The revision being applied: `rev` as a commit, else the repo's HEAD (undefined outside git). */
export async function repoRevision(choice: RepoChoice, proc: Proc): Promise<string | undefined> {
  try {
    return (await gitAsync(findRepoDir(choice.repo, proc), ['rev-parse', '--verify', '--quiet', `${choice.rev ?? 'HEAD'}^{commit}`], { env: proc.env })).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where the machine's own layer is: `<config dir>/local-overrides.yml` (undefined without a home). */
export function localLayerPath(home: string | undefined, proc: Proc): string | undefined {
  const h = home ?? proc.env['HOME'];
  if (!h) return undefined;
  return join(proc.env['CLAUDE_CONFIG_DIR'] || join(resolve(proc.cwd, h), '.claude'), 'local-overrides.yml');
}

/** The machine's own layer, when it exists, read through `sys`. */
export async function localLayer(home: string | undefined, proc: Proc, sys: System = realSystem()): Promise<LayerDocument[]> {
  const path = localLayerPath(home, proc);
  if (path === undefined) return [];
  let found;
  try {
    found = await sys.read(path);
    // The machine owner's own file: a link of theirs is followed.
    if (isLink(found)) {
      const real = await sys.realpath(path);
      found = real === undefined ? undefined : await sys.read(real);
    }
  } catch (err) {
    throw new ClaudeEnvError('unreadable', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, { file: path, cause: err });
  }
  if (found === undefined || isLink(found)) return [];
  const text = found.bytes.toString('utf8');
  const parsed = parseYaml(text, path as RepoPath, 'user_local', proc.yaml ?? PACKAGE_YAML);
  // The machine's own layer turns names into paths too: checked as a repo document's are.
  const errors = rootNameFindings(parsed.value, path, [...parsed.findings]).filter((f) => f.severity === 'error');
  if (errors.length > 0) throw chainErrorToThrow(errors);
  return [{ layer: 'user_local', file: path as RepoPath, root: isMap(parsed.value) ? (parsed.value as LayerMap) : undefined }];
}

/** The repo, the target and the machine's own layer of a one-target call. */
export async function openTarget(choice: TargetChoice, proc: Proc): Promise<{ repo: Repo; target: Target; extra: LayerDocument[] }> {
  const repo = openRepo(choice, proc);
  const target = await resolveTarget(repo, choice, proc);
  return { repo, target, extra: await localLayer(choice.home, proc) };
}
