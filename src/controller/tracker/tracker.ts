/**
 * The controller's view of the config repo: the tip of the tracked branch
 * (a local repo read in place, or a URL kept as a bare clone in the
 * controller's folder and fetched), and each revision as an in-memory
 * snapshot, with what the controller asks of it: validation, environments,
 * targets, roles, and the bundle a machine's target needs. Git runs
 * asynchronously; every cache is this instance's own and bounded.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClaudeEnvError, formatLocation } from '../../errors.js';
import { BoundedMap } from '../bounded-map.js';
import { isFindingCode } from '../../error-codes.js';
import { holdingsOf } from '../../access/principals.js';
import { loadDirectory, loadPolicy } from '../../access/load.js';
import { Repo } from '../../repo/repo.js';
import { PACKAGE_YAML, type ParsedYaml, type Yaml } from '../../repo/yaml.js';
import type { RepoSource } from '../../repo/source.js';
import { scanForSecrets } from '../../secrets/scan.js';
import { gitAsync, openRevision, resolveCommitAsync } from '../../system/repo-source.js';
import { randomHex } from '../../system/system.js';
import { signerConfig, signersFile } from '../../system/git-signers.js';
import { validateRepo } from '../../validate/index.js';
import { toPlain } from '../../provenance/tree.js';
import type { RolloutSettings } from '../rollouts/machine.js';
import type { Target } from '../../vocabulary.js';
import { bundleOf, type Bundle } from './bundle.js';
import type { BundleFile } from '../api.js';

export interface RepoTrackerOptions {
  /** A local dir of a git repo (read in place), or a git URL / bare repo path (cloned into `workDir`). */
  readonly repo: string;
  readonly branch: string;
  /** The controller's own folder: the clone is `workDir/repo.git`. */
  readonly workDir: string;
  /** Git's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Revisions kept loaded (default 4). */
  readonly revisionsKept?: number;
  /** Bundles kept, all revisions together (default 4096). */
  readonly bundlesKept?: number;
  readonly yaml?: Yaml;
}

export interface Validation {
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  /** The first 20 errors, `file:line:col rule message`. */
  readonly findings: string[];
  readonly duration_ms: number;
}

/** One loaded revision and what is derived from it. */
interface Revision {
  readonly commit: string;
  readonly source: RepoSource;
  readonly repo: Repo;
  /** Parses shared by the bundles of this revision. */
  readonly shared: Map<string, ParsedYaml>;
  /** Bundle files made once per revision, shared by every bundle holding them. */
  readonly files: Map<string, BundleFile>;
  validation?: Promise<Validation>;
}

type Place = { readonly kind: 'local'; readonly dir: string } | { readonly kind: 'remote'; readonly url: string; readonly clone: string };

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const FINDINGS_KEPT = 20;

/** `url` with the secret part of its user info hidden: `user:pass@` → `user:***@`, an https token `tok@` → `***@`. */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@]+)@/gi, (_, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    if (colon >= 0) return `${scheme}${info.slice(0, colon)}:***@`;
    return /^https?:\/\/$/i.test(scheme) ? `${scheme}***@` : `${scheme}${info}@`;
  });
}

/** Whether `repo` names a remote (a URL, `host:path` as scp writes it), not a folder. */
const isUrl = (repo: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s:]+@[^/\s:]+:/.test(repo);

export class RepoTracker {
  /** The repo as messages name it (no password). */
  readonly shown: string;
  private readonly branch: string;
  private readonly gitEnv: NodeJS.ProcessEnv;
  private readonly yaml: Yaml;
  private place: Promise<Place> | undefined;
  private running: Promise<string> | undefined;
  private queued: Promise<string> | undefined;
  private readonly revisions: BoundedMap<string, Promise<Revision>>;
  private readonly bundles: BoundedMap<string, Promise<Bundle>>;

  constructor(private readonly opts: RepoTrackerOptions) {
    if (!opts.branch || opts.branch.startsWith('-') || /[\s~^:?*[\\\u0000-\u001f\u007f]|\.\.|@\{/.test(opts.branch)) throw new ClaudeEnvError('usage', `not a branch name: "${opts.branch}"`);
    this.shown = redactUrl(opts.repo);
    this.branch = opts.branch;
    this.gitEnv = { ...(opts.env ?? process.env), GIT_TERMINAL_PROMPT: '0' };
    this.yaml = opts.yaml ?? PACKAGE_YAML;
    this.revisions = new BoundedMap(opts.revisionsKept ?? 4, true);
    this.bundles = new BoundedMap(opts.bundlesKept ?? 4096, true);
  }

  /** Fetch, then the commit at the tip of the branch. Calls made while a fetch runs share the next one. */
  head(): Promise<string> {
    if (!this.running) return this.startHead();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.startHead();
      });
    return this.queued;
  }

  private startHead(): Promise<string> {
    const p: Promise<string> = this.fetchHead().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async fetchHead(): Promise<string> {
    const place = await this.where();
    if (place.kind === 'remote') await this.fetch(place);
    const dir = place.kind === 'local' ? place.dir : place.clone;
    try {
      return (await this.git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${this.branch}^{commit}`])).toString().trim();
    } catch (err) {
      throw new ClaudeEnvError('git', `config repo ${this.shown} has no branch "${this.branch}"`, { cause: err });
    }
  }

  /** A local folder or a remote, decided once (retried after a failure). */
  private where(): Promise<Place> {
    const p = (this.place ??= this.decide());
    p.catch(() => {
      if (this.place === p) this.place = undefined;
    });
    return p;
  }

  private async decide(): Promise<Place> {
    const clone = join(this.opts.workDir, 'repo.git');
    if (isUrl(this.opts.repo)) return { kind: 'remote', url: this.opts.repo, clone };
    const dir = resolve(this.opts.repo);
    let said: string[];
    try {
      said = (await this.git(dir, ['rev-parse', '--is-bare-repository', '--show-prefix'])).toString().split('\n');
    } catch (err) {
      throw this.failed('open', err);
    }
    if (said[0] === 'true') return { kind: 'remote', url: dir, clone };
    if (said[1]) throw new ClaudeEnvError('git', `config repo ${this.shown} is a folder inside a git repository, not its top folder`);
    return { kind: 'local', dir };
  }

  /** The bare clone, made on first use (into a temporary name, then renamed: a failed clone leaves nothing), else fetched. */
  private async fetch(place: Place & { kind: 'remote' }): Promise<void> {
    const refspec = `+refs/heads/${this.branch}:refs/heads/${this.branch}`;
    if (await exists(place.clone)) {
      try {
        await this.git(place.clone, ['fetch', '--quiet', '--no-tags', '--force', '--', place.url, refspec]);
      } catch (err) {
        throw this.failed('fetch', err);
      }
      return;
    }
    await mkdir(this.opts.workDir, { recursive: true, mode: 0o700 });
    const temp = join(this.opts.workDir, `repo.git.tmp-${randomHex(6)}`);
    try {
      await this.git(this.opts.workDir, ['clone', '--quiet', '--bare', '--single-branch', '--no-tags', '--branch', this.branch, '--', place.url, temp]);
      await rename(temp, place.clone);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw this.failed('clone', err);
    }
  }

  private git(dir: string, args: string[]): Promise<Buffer> {
    return gitAsync(dir, args, { env: this.gitEnv });
  }

  /** A git failure, said with the repo and without a password (git may repeat the URL). */
  private failed(step: string, err: unknown): ClaudeEnvError {
    const why = redactUrl(err instanceof Error ? err.message : String(err));
    return new ClaudeEnvError('git', `cannot ${step} config repo ${this.shown} (branch ${this.branch}): ${why}`);
  }

  /** Where revisions are read: the local repo, or the clone (made by a first fetch when missing). */
  private async gitDir(): Promise<string> {
    const place = await this.where();
    if (place.kind === 'local') return place.dir;
    if (!(await exists(place.clone))) await this.head();
    return place.clone;
  }

  /** A revision loaded once (the last few are kept). */
  private async revision(rev: string): Promise<Revision> {
    if (rev.startsWith('-') || rev === '') throw new ClaudeEnvError('bad-request', `not a revision: "${rev}"`);
    const dir = await this.gitDir();
    const commit = FULL_SHA.test(rev) ? rev : await resolveCommitAsync(dir, rev);
    const hit = this.revisions.get(commit);
    if (hit) return hit;
    const loading = (async (): Promise<Revision> => {
      const source = await openRevision(dir, commit);
      const shared = new Map<string, ParsedYaml>();
      return { commit, source, repo: new Repo(source, { yaml: this.yaml, shared }), shared, files: new Map() };
    })();
    this.revisions.set(commit, loading);
    loading.catch(() => this.revisions.drop(commit, loading));
    return loading;
  }

  /** The revision as a loaded Repo. */
  async repoAt(sha: string): Promise<Repo> {
    return (await this.revision(sha)).repo;
  }

  /**
   * The revision judged as `claude-env validate --rev SHA` judges it (secret
   * scan included). A revision that is no config repo, or whose settings
   * cannot be read, fails with that one error.
   */
  async validate(sha: string): Promise<Validation> {
    const started = performance.now();
    let rev: Revision;
    try {
      rev = await this.revision(sha);
    } catch (err) {
      if (!(err instanceof ClaudeEnvError) || !(err.code === 'not-config-repo' || isFindingCode(err.code))) throw err;
      return { ok: false, errors: 1, warnings: 0, findings: [`${formatLocation(err) || '-'} ${err.code} ${err.message}`], duration_ms: Math.round(performance.now() - started) };
    }
    rev.validation ??= (async () => {
      const result = await validateRepo(rev.repo, { secretScanner: scanForSecrets });
      const errors = result.findings.filter((f) => f.severity === 'error');
      return {
        ok: result.summary.errors === 0,
        errors: result.summary.errors,
        warnings: result.summary.warnings,
        findings: errors.slice(0, FINDINGS_KEPT).map((f) => `${formatLocation(f)} ${f.rule} ${f.message}`),
        duration_ms: Math.round(performance.now() - started),
      };
    })();
    const v = rev.validation;
    v.catch(() => {
      if (rev.validation === v) delete rev.validation;
    });
    return v;
  }

  /** The environments of the revision (claude-env.yml). */
  async environments(sha: string): Promise<string[]> {
    return [...(await this.repoAt(sha)).settings.environments];
  }

  /** The target as the revision resolves it (members.yml), or an `unknown-target` error saying why not. */
  async resolveTarget(sha: string, partial: { env: string; team?: string; project?: string; user: string }): Promise<Target> {
    const repo = await this.repoAt(sha);
    return repo.resolveTarget({ env: partial.env, user: partial.user, ...(partial.team !== undefined ? { team: partial.team } : {}), ...(partial.project !== undefined ? { project: partial.project } : {}) });
  }

  /** The roles `user` holds at the revision (access.yml and every members.yml, as `access check` reads them), sorted. */
  async rolesOf(sha: string, user: string): Promise<string[]> {
    const repo = await this.repoAt(sha);
    if (repo.document('access.yml') === undefined) return [];
    const { holdings } = holdingsOf(user, loadPolicy(repo), loadDirectory(repo));
    return [...new Set(holdings.map((h) => h.role))].sort();
  }

  /** Whether a role of access.yml at the revision grants everything (`*`): an admin role whatever its name. */
  async isAdminRole(sha: string, role: string): Promise<boolean> {
    const repo = await this.repoAt(sha);
    if (repo.document('access.yml') === undefined) return false;
    return loadPolicy(repo).roles.get(role)?.grants.some((g) => g.glob === undefined && g.permission === 'write') ?? false;
  }

  /** `rollout.<env>` of claude-env.yml at the revision, as the schema accepted it (validation ran first); undefined when not set. */
  async rolloutOf(sha: string, env: string): Promise<RolloutSettings | undefined> {
    const rollout = (await this.repoAt(sha)).settings.raw['rollout'];
    const r = rollout !== null && typeof rollout === 'object' ? (rollout as Record<string, unknown>)[env] : undefined;
    return r !== null && typeof r === 'object' ? (r as unknown as RolloutSettings) : undefined;
  }

  /** `schedules.drift` of claude-env.yml at the revision, when set. */
  async driftSchedulesOf(sha: string): Promise<string[] | undefined> {
    const schedules = (await this.repoAt(sha)).settings.raw['schedules'] as { drift?: unknown } | undefined;
    return Array.isArray(schedules?.drift) ? schedules.drift.filter((c): c is string => typeof c === 'string') : undefined;
  }

  /**
   * The user whose key of access.yml `signing_keys` signed the commit (a good
   * SSH signature), else null. The keys are those of the commit's parent: a
   * commit cannot vouch for itself by adding its own key.
   */
  async signerOf(sha: string): Promise<string | null> {
    if (!FULL_SHA.test(sha)) return null;
    const dir = await this.gitDir();
    const parent = (await this.git(dir, ['rev-list', '--parents', '-n', '1', sha])).toString().trim().split(' ')[1];
    const keys = loadPolicy(await this.repoAt(parent ?? sha)).signingKeys;
    if (Object.keys(keys).length === 0) return null;
    const signers = await signersFile(keys);
    try {
      const [status = '', signer = ''] = (await this.git(dir, [...signerConfig(signers.file), 'log', '-1', '--format=%G?%x00%GS', sha, '--'])).toString().trim().split('\0');
      return status === 'G' && signer !== '' ? signer : null;
    } finally {
      await signers.cleanup();
    }
  }

  /**
   * Who made the change: the signer of the commit (`signerOf`), whatever its
   * author field says; else the member (members.yml) whose email is the
   * commit author's, else whose user name is the author's name; else the
   * author's email as it is (then no member is taken for the author).
   */
  async authorOf(sha: string): Promise<string | null> {
    if (!FULL_SHA.test(sha)) return null;
    const signer = await this.signerOf(sha).catch(() => null);
    if (signer !== null) return signer;
    const out = (await this.git(await this.gitDir(), ['log', '-1', '--format=%ae%x00%an', sha, '--'])).toString().trim();
    const [email = '', name = ''] = out.split('\0');
    const repo = await this.repoAt(sha);
    const byEmail = new Map<string, string>();
    const users = new Set<string>();
    for (const team of repo.teams()) {
      const list = toPlain(repo.document(`teams/${team}/members.yml`)?.value);
      if (!Array.isArray(list)) continue;
      for (const m of list as Array<{ user?: unknown; email?: unknown }>) {
        if (typeof m?.user !== 'string') continue;
        users.add(m.user);
        if (typeof m.email === 'string') byEmail.set(m.email.toLowerCase(), m.user);
      }
    }
    return byEmail.get(email.toLowerCase()) ?? (users.has(name) ? name : email || null);
  }

  /** The bundle of a target at a revision (kept: machines of one target share it). */
  async bundle(sha: string, target: Target): Promise<Bundle> {
    const rev = await this.revision(sha);
    const key = `${rev.commit}\0${JSON.stringify([target.env, target.team ?? null, target.project ?? null, target.user ?? null])}`;
    const hit = this.bundles.get(key);
    if (hit) return hit;
    const making = bundleOf({ source: rev.source, revision: rev.commit, target, yaml: this.yaml, shared: rev.shared, files: rev.files });
    this.bundles.set(key, making);
    making.catch(() => this.bundles.drop(key, making));
    return making;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
