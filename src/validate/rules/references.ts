/**
 * References between documents: MCP servers named by teams, projects and
 * users are defined; members' projects and roles exist; user folders belong
 * to members; environments and teams named anywhere exist; personas named by
 * workflows exist.
 */
import { isMap, type LayerMap } from '../../provenance/tree.js';
import { listNames } from '../../repo/repo.js';
import type { Rule } from '../rule.js';
import { occurrences, stemOf } from '../sections.js';

const defines = (v: unknown): boolean => isMap(v) && ((v as LayerMap)['command'] !== undefined || (v as LayerMap)['url'] !== undefined);

/** The layer folder a document belongs to (`teams/web`, `projects/api`, `environments/prod`), or `base`. */
const layerFolderOf = (path: string): string => (path.startsWith('base/') ? 'base' : path.split('/').slice(0, 2).join('/'));

/**
 * An MCP server entry that is no definition (no command, no url) refers to a
 * server defined elsewhere: in base/mcp/, in base or an environment, or in
 * its own layer folder. Any layer may define a server of its own (a project's
 * server for that project's developers): the security policy's allowlist and
 * `executables.from` judge it where it lands, in the merged tree.
 */
export const mcpReferenceRule: Rule = {
  findings: { 'unknown-mcp-server': 'an MCP server named but never defined' },
  description: 'MCP servers named by environments, teams, projects and users are defined in base/mcp/, an environment, or the same layer',
  check(ctx) {
    const defined = new Set(ctx.ofKind('mcp-server').map(stemOf));
    const occ = occurrences(ctx, 'mcpServers');
    const byFolder = new Map<string, Set<string>>();
    for (const o of occ) {
      const layer = o.doc.place.layer;
      const everywhere = layer === 'base' || (layer === 'environment' && o.doc.place.kind !== 'environment-teams');
      const folder = layerFolderOf(o.doc.path);
      for (const [name, entry] of Object.entries(o.value)) {
        if (!defines(entry)) continue;
        if (everywhere) defined.add(name);
        else byFolder.set(folder, (byFolder.get(folder) ?? new Set()).add(name));
      }
    }
    for (const o of occ) {
      const own = byFolder.get(layerFolderOf(o.doc.path));
      for (const [name, entry] of Object.entries(o.value)) {
        if (defined.has(name) || own?.has(name) || defines(entry)) continue;
        const known = [...new Set([...defined, ...(own ?? [])])].sort();
        ctx.reportAt(o.doc, [...o.path, name], 'unknown-mcp-server', 'error', `MCP server "${name}" is not defined (defined: ${listNames(known)}); define it in base/mcp/${name}.yml, an environment's mcp-servers.yml, or give it a command or url here`, true);
      }
    }
  },
};

export const memberReferenceRule: Rule = {
  findings: {
    'unknown-project': 'a member assigned to a project that does not exist',
    'unknown-role': 'a member with a role access.yml does not define',
    'unknown-member': 'a user folder or access.yml member that is no member of any team',
    'duplicate-member': 'a user listed twice in one team',
  },
  description: "members' projects and roles exist; user folders and access.yml members refer to real members and teams",
  check(ctx) {
    const projects = new Set(ctx.repo.projects());
    const teams = ctx.repo.teams();
    const access = ctx.ofKind('access')[0];
    const roles = access && isMap(access.value) && isMap((access.value as LayerMap)['roles']) ? new Set(Object.keys((access.value as LayerMap)['roles'] as LayerMap)) : undefined;
    const users = new Set<string>();
    for (const doc of ctx.ofKind('members')) {
      if (!Array.isArray(doc.value)) continue;
      const seen = new Set<string>();
      doc.value.forEach((item, i) => {
        if (!isMap(item)) return;
        const m = item as LayerMap;
        const user = typeof m['user'] === 'string' ? m['user'] : undefined;
        if (user) {
          users.add(user);
          if (seen.has(user)) ctx.reportAt(doc, [i, 'user'], 'duplicate-member', 'error', `"${user}" is listed twice in this team`);
          seen.add(user);
        }
        if (roles && typeof m['role'] === 'string' && !roles.has(m['role'])) {
          ctx.reportAt(doc, [i, 'role'], 'unknown-role', 'error', `role "${m['role']}" is not defined in access.yml (roles: ${listNames([...roles])})`);
        }
        if (Array.isArray(m['projects'])) {
          m['projects'].forEach((p, j) => {
            if (typeof p === 'string' && !projects.has(p)) ctx.reportAt(doc, [i, 'projects', j], 'unknown-project', 'error', `project "${p}" does not exist (projects: ${listNames([...projects])})`);
          });
        }
      });
    }
    for (const user of ctx.repo.userFolders()) {
      if (users.has(user)) continue;
      const file = ctx.repo.source.list(`users/${user}`)[0] ?? `users/${user}`;
      ctx.report({ rule: 'unknown-member', severity: 'error', file, line: 1, column: 1, message: `users/${user}/ belongs to no member: "${user}" is in no team's members.yml` });
    }
    if (access && isMap(access.value) && isMap((access.value as LayerMap)['roles'])) {
      const rs = (access.value as LayerMap)['roles'] as LayerMap;
      for (const [role, def] of Object.entries(rs)) {
        const members = isMap(def) ? (def as LayerMap)['members'] : undefined;
        if (!Array.isArray(members)) continue;
        members.forEach((m, i) => {
          if (typeof m !== 'string') return;
          if (m.startsWith('team:')) {
            const t = m.slice(5);
            if (!teams.includes(t)) ctx.reportAt(access, ['roles', role, 'members', i], 'unknown-member', 'error', `team "${t}" does not exist (teams: ${listNames(teams)})`);
          } else if (!users.has(m)) ctx.reportAt(access, ['roles', role, 'members', i], 'unknown-member', 'error', `"${m}" is not a member of any team`);
        });
      }
    }
  },
};

export const environmentReferenceRule: Rule = {
  findings: {
    'unknown-environment': 'an environment that claude-env.yml does not declare',
    'unknown-team': 'an environment team entry for a team that does not exist',
  },
  description: 'environment folders, rollout and harnesses entries name declared environments; environment team entries name real teams',
  check(ctx) {
    const envs = ctx.repo.settings.environments;
    for (const env of ctx.repo.subdirs('environments')) {
      if (envs.includes(env)) continue;
      const file = ctx.repo.source.list(`environments/${env}`)[0] ?? `environments/${env}`;
      ctx.report({ rule: 'unknown-environment', severity: 'error', file, line: 1, column: 1, message: `environment "${env}" is not declared in claude-env.yml (environments: ${listNames(envs)})` });
    }
    const settings = ctx.ofKind('repo-settings')[0];
    const rollout = settings && isMap(settings.value) ? (settings.value as LayerMap)['rollout'] : undefined;
    if (settings && isMap(rollout)) {
      for (const env of Object.keys(rollout)) {
        if (!envs.includes(env)) ctx.reportAt(settings, ['rollout', env], 'unknown-environment', 'error', `rollout for undeclared environment "${env}" (environments: ${listNames(envs)})`, true);
      }
    }
    const harnesses = settings && isMap(settings.value) ? (settings.value as LayerMap)['harnesses'] : undefined;
    if (settings && isMap(harnesses)) {
      for (const env of Object.keys(harnesses)) {
        if (!envs.includes(env)) ctx.reportAt(settings, ['harnesses', env], 'unknown-environment', 'error', `harnesses for undeclared environment "${env}" (environments: ${listNames(envs)})`, true);
      }
    }
    const teams = new Set(ctx.repo.teams());
    for (const doc of ctx.ofKind('environment-teams')) {
      if (!isMap(doc.value)) continue;
      for (const team of Object.keys(doc.value)) {
        if (!teams.has(team)) ctx.reportAt(doc, [team], 'unknown-team', 'error', `team "${team}" does not exist (teams: ${listNames([...teams])})`, true);
      }
    }
  },
};

export const personaReferenceRule: Rule = {
  findings: { 'unknown-persona': 'a workflow that names a persona that is not defined' },
  description: 'personas named by workflows and their steps exist',
  check(ctx) {
    const global = new Set(ctx.ofKind('persona').map(stemOf));
    const byTeam = new Map<string, Set<string>>();
    for (const o of occurrences(ctx, 'personas')) {
      const team = o.doc.place.team;
      const names = Object.keys(o.value);
      if (team !== undefined && o.doc.place.kind === 'personas') {
        const set = byTeam.get(team) ?? new Set<string>();
        names.forEach((n) => set.add(n));
        byTeam.set(team, set);
      } else names.forEach((n) => global.add(n));
    }
    for (const o of occurrences(ctx, 'workflows')) {
      const own = o.doc.place.team !== undefined ? byTeam.get(o.doc.place.team) : undefined;
      const known = (name: string): boolean => global.has(name) || (own?.has(name) ?? false) || (o.doc.place.team === undefined && [...byTeam.values()].some((s) => s.has(name)));
      for (const [wf, def] of Object.entries(o.value)) {
        if (!isMap(def)) continue;
        const w = def as LayerMap;
        const check = (persona: unknown, path: (string | number)[]): void => {
          if (typeof persona === 'string' && !known(persona)) {
            const available = [...global, ...(own ?? [])].sort();
            ctx.reportAt(o.doc, path, 'unknown-persona', 'error', `persona "${persona}" is not defined (personas: ${listNames(available)})`);
          }
        };
        check(w['persona'], [...o.path, wf, 'persona']);
        if (Array.isArray(w['steps'])) w['steps'].forEach((s, i) => isMap(s) && check((s as LayerMap)['persona'], [...o.path, wf, 'steps', i, 'persona']));
      }
    }
  },
};
