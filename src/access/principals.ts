/**
 * Who holds which role, and with which teams and projects for the
 * placeholders: from `teams/<team>/members.yml` entries `{user, role,
 * projects}` and from a role's `members` in access.yml (`team:<team>` or a
 * user name). Each holding keeps its own context: a user who is a developer
 * in one team and a team lead in another gets `{their-team}` = the second
 * team only for the team_lead grants.
 */
import { collisions, nameProblem } from './names.js';
import type { AccessPolicy } from './policy.js';

/** One entry of a team's members.yml. */
export interface MemberEntry {
  readonly team: string;
  readonly user: string;
  readonly role: string;
  readonly projects: readonly string[];
}

/** Everyone the base revision knows: team folders, project folders, members. */
export interface Directory {
  readonly teams: readonly string[];
  readonly projects: readonly string[];
  readonly members: readonly MemberEntry[];
}

export interface Holding {
  readonly role: string;
  /** Where the role comes from: `teams/<team>/members.yml`, `access.yml team:<team>` or `access.yml`. */
  readonly via: string;
  /** Values of `{their-team}` and `{assigned-projects}` for this holding (only names that are safe literals). */
  readonly teams: readonly string[];
  readonly projects: readonly string[];
}

export interface NameRejection {
  readonly kind: 'team' | 'project';
  readonly name: string;
  readonly reason: string;
}

/** Names that can't stand for a path segment (names.ts), with the reason. */
export function unsafeNames(dir: Directory): Map<string, NameRejection> {
  const out = new Map<string, NameRejection>();
  const check = (kind: 'team' | 'project', names: Iterable<string>): void => {
    const all = [...new Set(names)];
    const clash = collisions(all);
    for (const name of all) {
      const problem = nameProblem(name);
      const others = clash.get(name);
      const reason = problem ?? (others ? `differs from ${kind} "${others.join('", "')}" only by case or Unicode form` : undefined);
      if (reason) out.set(`${kind}:${name}`, { kind, name, reason });
    }
  };
  check('team', [...dir.teams, ...dir.members.map((m) => m.team)]);
  check('project', [...dir.projects, ...dir.members.flatMap((m) => m.projects)]);
  return out;
}

/** The roles a user holds, each with its placeholder values; and the names that were refused on the way. */
export function holdingsOf(user: string, policy: AccessPolicy, dir: Directory, unsafe = unsafeNames(dir)): { holdings: Holding[]; rejected: NameRejection[] } {
  const rejected = new Map<string, NameRejection>();
  const safe = (kind: 'team' | 'project', names: readonly string[]): string[] =>
    names.filter((n) => {
      const r = unsafe.get(`${kind}:${n}`);
      if (r) rejected.set(`${kind}:${n}`, r);
      return !r;
    });
  const entries = dir.members.filter((m) => m.user === user);
  const holdings: Holding[] = [];
  for (const e of entries) {
    if (!policy.roles.has(e.role)) continue;
    holdings.push({ role: e.role, via: `teams/${e.team}/members.yml`, teams: safe('team', [e.team]), projects: safe('project', e.projects) });
  }
  const allTeams = [...new Set(entries.map((e) => e.team))];
  const allProjects = [...new Set(entries.flatMap((e) => e.projects))];
  for (const role of policy.roles.values()) {
    for (const m of role.members) {
      if (m === user) holdings.push({ role: role.name, via: 'access.yml', teams: safe('team', allTeams), projects: safe('project', allProjects) });
      else if (m.startsWith('team:')) {
        const team = m.slice('team:'.length);
        const inTeam = entries.filter((e) => e.team === team);
        if (inTeam.length > 0) holdings.push({ role: role.name, via: `access.yml team:${team}`, teams: safe('team', [team]), projects: safe('project', [...new Set(inTeam.flatMap((e) => e.projects))]) });
      }
    }
  }
  return { holdings, rejected: [...rejected.values()] };
}

/** Every user the directory or access.yml names. */
export function knownUsers(policy: AccessPolicy, dir: Directory): string[] {
  const users = new Set(dir.members.map((m) => m.user));
  for (const r of policy.roles.values()) for (const m of r.members) if (!m.startsWith('team:')) users.add(m);
  return [...users].sort();
}
