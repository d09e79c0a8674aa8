/**
 * `claude-env onboard USER --team T --role R [--projects p1,p2]`: the seed's
 * 30-minute manual onboarding as one command, in seconds.
 *
 * In the config repo's working tree it
 *   1. checks everything first (names, team, role, projects, a clean state of
 *      the files it writes, no branch of that name, this machine's identity),
 *   2. adds the member to `teams/<T>/members.yml` (comments and layout kept
 *      byte for byte) and creates `users/<USER>/overrides.yml` (a commented
 *      template), as ONE commit whose parent is HEAD, made without touching
 *      the working tree, the index or the current branch,
 *   3. validates that commit (the whole repo, as `validate` does) and only
 *      then creates the branch `onboard/<USER>` at it — so any failure up to
 *      here leaves the repo exactly as it was, with no new branch,
 *   4. applies the new user's target on this machine from that commit (the
 *      `apply` path: restore point, atomic switch), which also records the
 *      machine identity,
 * and reports the time it took. The current branch, index and working tree
 * stay as they were; push the new branch and open a pull request for review
 * (`claude-env access check` and `impact` judge it like any change).
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { isMap } from '../provenance/tree.js';
import { addMemberText } from '../repo/members-edit.js';
import { Repo, listNames } from '../repo/repo.js';
import { readIdentity } from '../state/identity.js';
import { branchExists, commitOver, createBranch, dirtyPaths } from '../system/git-commit.js';
import { resolveCommit } from '../system/git-changes.js';
import { gitSource, worktreeSource } from '../system/repo-source.js';
import { validateRepo } from '../validate/index.js';
import type { Target } from '../vocabulary.js';
import { applyReport, applyTarget, applyText } from './apply.js';
import { describeTarget, homeDir, repoDir } from './context.js';
import { printJson, type CliIO } from './io.js';

interface OnboardOptions {
  repo?: string;
  team?: string;
  role?: string;
  projects?: string;
  env?: string;
  home?: string;
  wait?: string;
  json?: boolean;
}

/** The seed's figure for onboarding a developer by hand. */
const BY_HAND_MINUTES = 30;

/**
 * A user, team, project or role name that is safe as one path segment and in
 * a branch name: ASCII letters, digits, `.`, `_`, `-`; starts with a letter or
 * digit; no `..`; not ending in `.` or `.lock`.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkName(kind: string, name: string): void {
  if (!NAME.test(name) || name.includes('..') || name.endsWith('.') || name.endsWith('.lock')) {
    throw new ClaudeEnvError('invalid-name', `invalid ${kind} name "${name}"`, {
      exitCode: EXIT_USAGE,
      hint: `a ${kind} name is 1-64 ASCII letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "..", spaces or other characters)`,
    });
  }
}

function usage(message: string, hint?: string): ClaudeEnvError {
  return new ClaudeEnvError('usage', message, { exitCode: EXIT_USAGE, ...(hint ? { hint } : {}) });
}

/** The roles of access.yml, or undefined when the repo has no readable access.yml. */
function accessRoles(repo: Repo): string[] | undefined {
  const doc = repo.document('access.yml');
  if (!doc || !isMap(doc.value)) return undefined;
  const roles = doc.value['roles'];
  return isMap(roles) ? Object.keys(roles) : undefined;
}

export function overridesTemplate(user: string): string {
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

export async function run(io: CliIO, opts: OnboardOptions, args: string[]): Promise<ExitCode> {
  const started = performance.now();
  const user = args[0];
  if (user === undefined) throw usage('onboard needs a user name', 'claude-env onboard USER --team T --role R [--projects p1,p2]');
  checkName('user', user);
  if (!opts.team) throw usage('onboard needs --team T (the team to join)');
  if (!opts.role) throw usage('onboard needs --role R (the role in that team)');
  const team = opts.team;
  const role = opts.role;
  checkName('team', team);
  checkName('role', role);
  const projects = opts.projects === undefined ? [] : opts.projects.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of projects) checkName('project', p);
  if (new Set(projects).size !== projects.length) throw usage(`--projects names a project twice: ${opts.projects}`);

  // 1. Check everything before changing anything.
  const dir = repoDir(io, opts);
  const head = await resolveCommit(dir, 'HEAD', 'the current branch (HEAD)');
  const repo = new Repo(worktreeSource(dir));
  if (!repo.hasSubdir('teams', team)) throw usage(`unknown team "${team}"`, `teams: ${listNames(repo.teams())}`);
  const roles = accessRoles(repo);
  if (roles && !roles.includes(role)) throw usage(`unknown role "${role}"`, `roles of access.yml: ${listNames(roles)}`);
  for (const p of projects) if (!repo.hasSubdir('projects', p)) throw usage(`unknown project "${p}"`, `projects: ${listNames(repo.projects())}`);
  const envs = repo.settings.environments;
  const env = opts.env ?? envs[0]!;
  if (!envs.includes(env)) throw usage(`unknown environment "${env}"`, `environments: ${listNames(envs)}`);
  const membersPath = `teams/${team}/members.yml`;
  const member = repo.members(team).find((m) => m.user === user);
  if (member) {
    throw new ClaudeEnvError('member-exists', `${user} is already a member of ${team} (role ${member.role || 'none'})`, {
      file: membersPath,
      line: member.origin.line,
      column: member.origin.column,
      exitCode: EXIT_USAGE,
    });
  }
  const overridesPath = `users/${user}/overrides.yml`;
  const branch = `onboard/${user}`;
  const dirty = await dirtyPaths(dir, [membersPath, `users/${user}`], io.env);
  if (dirty.length > 0) {
    throw new ClaudeEnvError('dirty-tree', `uncommitted changes in ${dirty.join(', ')}: onboard commits from HEAD and would leave them out`, {
      file: dirty[0]!,
      exitCode: EXIT_USAGE,
      hint: 'commit or stash them first (git stash), then run onboard again',
    });
  }
  if (await branchExists(dir, branch, io.env)) throw usage(`the branch ${branch} already exists`, `delete it (git branch -D ${branch}) or finish that onboarding first`);
  const target: Target = { env, team, ...(projects[0] !== undefined ? { project: projects[0] } : {}), user };
  const home = homeDir(io, opts);
  const identity = readIdentity(home, io.env);
  if (identity.env !== undefined && describeTarget(identity as Target) !== describeTarget(target)) {
    throw new ClaudeEnvError('identity-exists', `this machine (home ${home}) already belongs to ${describeTarget(identity as Target)}`, {
      exitCode: EXIT_USAGE,
      hint: 'onboard sets up a new machine: pass --home DIR for another home',
    });
  }

  // 2. One commit over HEAD, reachable from nothing yet.
  const membersText = addMemberText(repo.source.read(membersPath) ? new TextDecoder().decode(repo.source.read(membersPath)) : undefined, membersPath, { user, role, projects });
  const userLayerExists = repo.source.read(overridesPath) !== undefined;
  const files = [{ path: membersPath, content: membersText }, ...(userLayerExists ? [] : [{ path: overridesPath, content: overridesTemplate(user) }])];
  const message = `onboard ${user}: join ${team} as ${role}${projects.length ? ` (projects: ${projects.join(', ')})` : ''}\n\nMade by claude-env onboard: ${files.map((f) => f.path).join(', ')}.`;
  const commit = await commitOver(dir, head, files, message, io.env);

  // 3. The commit must validate before it gets a branch.
  const result = await validateRepo(new Repo(gitSource(dir, commit)));
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const f = errors[0]!;
    throw new ClaudeEnvError(f.rule, `the repo with ${user} added does not validate: ${f.message}`, {
      file: f.file,
      line: f.line,
      column: f.column,
      exitCode: EXIT_FINDINGS,
      hint: `${errors.length} error(s); nothing was changed (run \`claude-env validate\` for all findings)`,
    });
  }
  await createBranch(dir, branch, commit, io.env);

  // 4. This machine: identity and apply, from the new commit.
  const applied = await applyTarget(io, { repo: dir, rev: commit, env, team, ...(target.project ? { project: target.project } : {}), user, home, ...(opts.wait ? { wait: opts.wait } : {}), command: `onboard ${user}` });
  const seconds = (performance.now() - started) / 1000;
  const report = {
    user,
    team,
    role,
    projects,
    target: describeTarget(applied.target),
    branch,
    commit,
    base: head,
    files: files.map((f) => f.path),
    kept: userLayerExists ? [overridesPath] : [],
    apply: applyReport(describeTarget(applied.target), applied.result),
    seconds: Math.round(seconds * 1000) / 1000,
    by_hand_minutes: BY_HAND_MINUTES,
  };
  if (opts.json) printJson(io, report);
  else {
    io.stdout.write(
      [
        `onboarded ${user} into ${team} as ${role}${projects.length ? ` (projects: ${projects.join(', ')})` : ''}`,
        `  branch ${branch} at ${commit.slice(0, 12)} (one commit over ${head.slice(0, 12)}): ${files.map((f) => f.path).join(', ')}${userLayerExists ? ` (${overridesPath} kept as it was)` : ''}`,
        `  your current branch, index and working tree are unchanged; push ${branch} and open a pull request`,
        `  machine identity: ${describeTarget(applied.target)}`,
      ].join('\n') + '\n',
    );
    io.stdout.write(applyText(describeTarget(applied.target), applied.result).replace(/^(?=.)/gm, '  '));
    io.stdout.write(`done in ${seconds.toFixed(1)} s (by hand: about ${BY_HAND_MINUTES} minutes)\n`);
  }
  return applied.result.plan.conflicts.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
