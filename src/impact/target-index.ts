/**
 * The index from a document of the config repo to the targets whose chain
 * reads it, for one revision. A chain is base → environment → the env's
 * teams.yml entry → team → project → user (Repo.chain), so the targets of a
 * document are those whose env, team, project or user names its folder
 * (changes.ts `scopeOf`). Built lazily per kind: a change to one team's files
 * reads that team's members.yml only, never the other 199.
 */
import type { Repo } from '../repo/repo.js';
import type { Target } from '../vocabulary.js';
import { scopeOf, type Scope } from './changes.js';

/** A stable key of a target: `env|team|project|user` ('' for a level it has not). */
export function targetKey(t: Target): string {
  return `${t.env}|${t.team ?? ''}|${t.project ?? ''}|${t.user ?? ''}`;
}

export class TargetIndex {
  private everyTarget: Target[] | undefined;
  private byProject: Map<string, Target[]> | undefined;
  private byUser: Map<string, Target[]> | undefined;

  constructor(readonly repo: Repo) {}

  /** The repo's targets, each once. */
  all(): Target[] {
    if (!this.everyTarget) {
      // One batch for every members.yml (a git source reads them in one go).
      this.repo.prefetch(this.repo.teams().map((t) => `teams/${t}/members.yml`));
      this.everyTarget = unique(this.repo.targets());
    }
    return this.everyTarget;
  }

  /** The targets a scope reaches at this revision. */
  targets(scope: Scope): Target[] {
    const envs = this.repo.settings.environments;
    switch (scope.kind) {
      case 'all':
        return this.all();
      case 'env':
      case 'env-teams':
        return envs.includes(scope.env) ? unique(this.repo.targets({ env: scope.env })) : [];
      case 'env-team':
        return envs.includes(scope.env) && this.repo.hasSubdir('teams', scope.team) ? unique(this.repo.targets({ env: scope.env, team: scope.team })) : [];
      case 'team':
        return this.repo.hasSubdir('teams', scope.team) ? unique(this.repo.targets({ team: scope.team })) : [];
      case 'project':
        this.byProject ??= groupBy(this.all(), (t) => t.project);
        return this.byProject.get(scope.project) ?? [];
      case 'user':
        this.byUser ??= groupBy(this.all(), (t) => t.user);
        return this.byUser.get(scope.user) ?? [];
    }
  }

  /** The targets whose chain reads the file at `path` (none for files outside the layers). */
  documentTargets(path: string): Target[] {
    const s = scopeOf(path);
    return s ? this.targets(s) : [];
  }
}

function unique(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const k = targetKey(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function groupBy(targets: readonly Target[], key: (t: Target) => string | undefined): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  for (const t of targets) {
    const k = key(t);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}
