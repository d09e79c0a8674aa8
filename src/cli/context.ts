/**
 * Shared by the commands: find and open the config repo (`--repo`, `--rev`),
 * resolve the target from flags or the machine identity, and read the
 * machine's `user_local` layer.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ClaudeEnvError, EXIT_USAGE } from '../errors.js';
import { Repo, chainErrorToThrow, type LayerDocument } from '../repo/repo.js';
import { cliYaml, parseYaml } from '../repo/yaml.js';
import { rootNameFindings } from '../repo/names.js';
import { isMap, type LayerMap } from '../provenance/tree.js';
import { gitSource, worktreeSource } from '../system/repo-source.js';
import { readIdentity } from '../state/identity.js';
import { diskDocumentCache, readOnly } from '../system/doc-cache-store.js';
import { runGit } from '../system/git.js';
import type { RepoPath, Target } from '../vocabulary.js';
import type { CliIO } from './io.js';

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

/** The config repo dir: `--repo`, else the nearest folder up from cwd with a claude-env.yml, else $CLAUDE_ENV_REPO. */
export function repoDir(io: CliIO, opts: RepoOptions): string {
  if (opts.repo) return resolve(io.cwd, opts.repo);
  for (let d = resolve(io.cwd); ; d = dirname(d)) {
    if (existsSync(join(d, 'claude-env.yml'))) return d;
    if (existsSync(join(d, '.git')) || dirname(d) === d) break;
  }
  if (io.env['CLAUDE_ENV_REPO']) return resolve(io.cwd, io.env['CLAUDE_ENV_REPO']);
  throw new ClaudeEnvError('not-config-repo', `no config repo here: ${io.cwd} is not in a claude-env config repo`, {
    exitCode: EXIT_USAGE,
    hint: 'pass --repo DIR, set CLAUDE_ENV_REPO, or run `claude-env init DIR`',
  });
}

/**
 * `fillCache: false` for whole-repo commands (validate): they read the
 * document cache but do not write thousands of entries into it, which costs
 * more than it saves (a small file costs ~0.5 ms to create here); one-target
 * commands fill it with the few documents they read.
 */
export function openRepo(io: CliIO, opts: RepoOptions, how: { fillCache?: boolean } = {}): Repo {
  const dir = repoDir(io, opts);
  const disk = diskDocumentCache(io.env);
  const cache = disk && how.fillCache === false ? readOnly(disk) : disk;
  return new Repo(opts.rev ? gitSource(dir, opts.rev) : worktreeSource(dir), cache ? { cache, yaml: cliYaml() } : { yaml: cliYaml() });
}

export function homeDir(io: CliIO, opts: { home?: string }): string {
  const h = opts.home ?? io.env['HOME'];
  if (!h) throw new ClaudeEnvError('usage', 'no home directory: pass --home DIR or set HOME', { exitCode: EXIT_USAGE });
  return resolve(io.cwd, h);
}

/** Flags first, then the machine identity for what the flags leave out. */
export function resolveTarget(io: CliIO, repo: Repo, opts: TargetOptions): Target {
  const flags: Partial<Target> = {};
  for (const k of ['env', 'team', 'project', 'user'] as const) if (opts[k] !== undefined) flags[k] = opts[k];
  const needIdentity = flags.env === undefined;
  const identity = needIdentity ? readIdentity(homeDir(io, opts), io.env) : {};
  return repo.resolveTarget({ ...identity, ...flags });
}

export function describeTarget(t: Target): string {
  return [t.env, t.team, t.user, t.project].filter((x) => x !== undefined).join('/');
}

/** The revision being applied: --rev as a commit, else the repo's HEAD (undefined outside git). */
export async function repoRevision(io: CliIO, opts: RepoOptions): Promise<string | undefined> {
  try {
    return (await runGit(repoDir(io, opts), ['rev-parse', '--verify', '--quiet', `${opts.rev ?? 'HEAD'}^{commit}`], io.env)).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The machine's own layer, `<config dir>/local-overrides.yml`, when it exists. */
export function localLayer(io: CliIO, opts: TargetOptions): LayerDocument[] {
  const home = opts.home ?? io.env['HOME'];
  if (!home) return [];
  const cfg = io.env['CLAUDE_CONFIG_DIR'] || join(resolve(io.cwd, home), '.claude');
  const path = join(cfg, 'local-overrides.yml');
  // Most machines have none: ask cheaply (a failed read builds an error, ~ms at start-up).
  if (!statSync(path, { throwIfNoEntry: false })) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new ClaudeEnvError('unreadable', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, { file: path, exitCode: EXIT_USAGE, cause: err });
  }
  const parsed = parseYaml(text, path as RepoPath, 'user_local', cliYaml());
  // The machine's own layer turns names into paths too: checked as a repo document's are.
  const errors = rootNameFindings(parsed.value, path, [...parsed.findings]).filter((f) => f.severity === 'error');
  if (errors.length > 0) throw chainErrorToThrow(errors);
  return [{ layer: 'user_local', file: path as RepoPath, root: isMap(parsed.value) ? (parsed.value as LayerMap) : undefined }];
}
