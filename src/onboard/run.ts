/**
 * The `onboard` use case: the seed's 30-minute manual onboarding of a
 * developer, in seconds. In the config repo's working tree it
 *   1. checks everything first (names, team, role, projects, a clean state of
 *      the files it writes, no branch of that name, this machine's identity),
 *   2. adds the member to `teams/<T>/members.yml` (comments and layout kept
 *      byte for byte) and creates `users/<USER>/overrides.yml` (a commented
 *      template), as ONE commit whose parent is HEAD, made without touching
 *      the working tree, the index or the current branch,
 *   3. validates that commit (the whole repo, as `validate` does) and only
 *      then creates the branch `onboard/<USER>` at it — so any failure up to
 *      here leaves the repo exactly as it was, with no new branch,
 *   4. applies the new user's target on this machine from that commit, with
 *      the `apply` the caller gives (restore point, atomic switch; it also
 *      records the machine identity).
 * The current branch, index and working tree stay as they were.
 */
import { ClaudeEnvError } from '../errors.js';
import { isMap } from '../provenance/tree.js';
import { addMemberText } from '../repo/members-edit.js';
import { checkIdentityName } from '../repo/names.js';
import { Repo, listNames } from '../repo/repo.js';
import { describeTarget } from '../repo/target-name.js';
import { readIdentity } from '../state/identity.js';
import { branchExists, commitOver, createBranch, dirtyPaths } from '../system/git-commit.js';
import { resolveCommit } from '../system/git-changes.js';
import { gitSource, worktreeSource } from '../blocking/sources.js';
import { validateRepo } from '../validate/index.js';
import type { Target } from '../vocabulary.js';

/** The seed's figure for onboarding a developer by hand. */
export const BY_HAND_MINUTES = 30;

export interface OnboardRequest {
  readonly user: string;
  readonly team: string;
  readonly role: string;
  readonly projects: readonly string[];
  /** Default: the first environment of claude-env.yml. */
  readonly env?: string | undefined;
  /** The config repo's working tree. */
  readonly dir: string;
  /** The home to set up. */
  readonly home: string;
}

export interface Onboarded<A> {
  readonly target: Target;
  readonly branch: string;
  readonly commit: string;
  /** HEAD, the commit's parent. */
  readonly base: string;
  readonly files: string[];
  /** Files onboard would have made that were there already. */
  readonly kept: string[];
  readonly applied: A;
  readonly seconds: number;
}

const usage = (message: string, hint?: string): ClaudeEnvError => new ClaudeEnvError('usage', message, hint ? { hint } : {});

/** The roles of access.yml, or undefined when the repo has no readable access.yml. */
function accessRoles(repo: Repo): string[] | undefined {
  const doc = repo.document('access.yml');
  if (!doc || !isMap(doc.value)) return undefined;
  const roles = doc.value['roles'];
  return isMap(roles) ? Object.keys(roles) : undefined;
}

function overridesTemplate(user: string): string {
  return `# users/${user}/overrides.yml: ${user}'s shared personal layer, above the team
# and project layers (only the machine's own ~/.claude/local-overrides.yml is
# higher). Same shape as base/config.yml; created by \`claude-env onboard\`.
# Everything is optional; for example:
#
# settings:
#   model: sonnet
#   env:
#     EDITOR: vim
# instructions:
#   - Prefer small commits with descriptive messages.
{}
`;
}

/** Steps 1 to 3, then `apply(target, commit)` for step 4. */
export async function onboard<A>(req: OnboardRequest, env: NodeJS.ProcessEnv, apply: (target: Target, commit: string) => Promise<A>): Promise<Onboarded<A>> {
  const started = performance.now();
  const { user, team, role, projects, dir } = req;
  checkIdentityName('user', user);
  checkIdentityName('team', team);
  checkIdentityName('role', role);
  for (const p of projects) checkIdentityName('project', p);

  // 1. Check everything before changing anything.
  const head = await resolveCommit(dir, 'HEAD', 'the current branch (HEAD)');
  const repo = new Repo(worktreeSource(dir));
  if (!repo.hasSubdir('teams', team)) throw usage(`unknown team "${team}"`, `teams: ${listNames(repo.teams())}`);
  const roles = accessRoles(repo);
  if (roles && !roles.includes(role)) throw usage(`unknown role "${role}"`, `roles of access.yml: ${listNames(roles)}`);
  for (const p of projects) if (!repo.hasSubdir('projects', p)) throw usage(`unknown project "${p}"`, `projects: ${listNames(repo.projects())}`);
  const envs = repo.settings.environments;
  const targetEnv = req.env ?? envs[0]!;
  if (!envs.includes(targetEnv)) throw usage(`unknown environment "${targetEnv}"`, `environments: ${listNames(envs)}`);
  const membersPath = `teams/${team}/members.yml`;
  const member = repo.members(team).find((m) => m.user === user);
  if (member) {
    throw new ClaudeEnvError('member-exists', `${user} is already a member of ${team} (role ${member.role || 'none'})`, { file: membersPath, line: member.origin.line, column: member.origin.column });
  }
  const overridesPath = `users/${user}/overrides.yml`;
  const branch = `onboard/${user}`;
  const dirty = await dirtyPaths(dir, [membersPath, `users/${user}`], env);
  if (dirty.length > 0) {
    throw new ClaudeEnvError('dirty-tree', `uncommitted changes in ${dirty.join(', ')}: onboard commits from HEAD and would leave them out`, {
      file: dirty[0]!,
      hint: 'commit or stash them first (git stash), then run onboard again',
    });
  }
  if (await branchExists(dir, branch, env)) throw usage(`the branch ${branch} already exists`, `delete it (git branch -D ${branch}) or finish that onboarding first`);
  const target: Target = { env: targetEnv, team, ...(projects[0] !== undefined ? { project: projects[0] } : {}), user };
  const identity = await readIdentity(req.home, env);
  if (identity.env !== undefined && describeTarget(identity as Target) !== describeTarget(target)) {
    throw new ClaudeEnvError('identity-exists', `this machine (home ${req.home}) already belongs to ${describeTarget(identity as Target)}`, { hint: 'onboard sets up a new machine: pass --home DIR for another home' });
  }

  // 2. One commit over HEAD, reachable from nothing yet.
  const members = repo.source.read(membersPath);
  const membersText = addMemberText(members ? new TextDecoder().decode(members) : undefined, membersPath, { user, role, projects: [...projects] });
  const userLayerExists = repo.source.read(overridesPath) !== undefined;
  const files = [{ path: membersPath, content: membersText }, ...(userLayerExists ? [] : [{ path: overridesPath, content: overridesTemplate(user) }])];
  const message = `onboard ${user}: join ${team} as ${role}${projects.length ? ` (projects: ${projects.join(', ')})` : ''}\n\nMade by claude-env onboard: ${files.map((f) => f.path).join(', ')}.`;
  const commit = await commitOver(dir, head, files, message, env);

  // 3. The commit must validate before it gets a branch.
  const result = await validateRepo(new Repo(gitSource(dir, commit)));
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const f = errors[0]!;
    throw new ClaudeEnvError(f.rule, `the repo with ${user} added does not validate: ${f.message}`, {
      file: f.file,
      line: f.line,
      column: f.column,
      hint: `${errors.length} error(s); nothing was changed (run \`claude-env validate\` for all findings)`,
    });
  }
  await createBranch(dir, branch, commit, env);

  // 4. This machine: identity and apply, from the new commit.
  const applied = await apply(target, commit);
  const seconds = Math.round(performance.now() - started) / 1000;
  return { target, branch, commit, base: head, files: files.map((f) => f.path), kept: userLayerExists ? [overridesPath] : [], applied, seconds };
}
