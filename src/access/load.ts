/** The access rules of a repo (revision): its access.yml as a policy, and the teams, projects and members they speak of. */
import { ClaudeEnvError } from '../errors.js';
import { Repo, chainErrorToThrow } from '../repo/repo.js';
import { locate } from '../validate/rule.js';
import { parsePolicy, type AccessPolicy } from './policy.js';
import type { Directory } from './principals.js';

/** access.yml of a repo as a policy; an `access-policy` error (or the YAML's) at its file:line:col when it can't be read. */
export function loadPolicy(repo: Repo): AccessPolicy {
  const doc = repo.document('access.yml');
  if (!doc) throw new ClaudeEnvError('access-policy', `${repo.source.description} has no access.yml`, { file: 'access.yml', hint: 'claude-env init writes one; see SPEC.md access.yml' });
  const errors = doc.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const e = chainErrorToThrow(errors);
    // access-policy (exit 2: access refuses to decide on a policy it cannot read), the finding's rule in the message.
    throw new ClaudeEnvError('access-policy', `${e.code}: ${e.message}`, { file: 'access.yml', ...(e.line ? { line: e.line } : {}), ...(e.column ? { column: e.column } : {}) });
  }
  const { policy, problems } = parsePolicy(doc.value);
  if (problems.length > 0) {
    const p = problems[0]!;
    const { line, column } = locate(doc, p.at);
    throw new ClaudeEnvError('access-policy', `${p.at.join('.') || 'access.yml'}: ${p.message}`, {
      file: 'access.yml',
      line,
      column,
      ...(problems.length > 1 ? { hint: `${problems.length - 1} more problem(s); run \`claude-env validate\`` } : {}),
    });
  }
  return policy;
}

/** Teams, projects and members of a repo. */
export function loadDirectory(repo: Repo): Directory {
  const teams = repo.teams();
  // One read for every members.yml (a git revision reads them in one batch).
  repo.prefetch(teams.map((t) => `teams/${t}/members.yml`));
  return {
    teams,
    projects: repo.projects(),
    members: teams.flatMap((team) => repo.members(team).map((m) => ({ team, user: m.user, role: m.role, projects: m.projects }))),
  };
}
