/**
 * What a changed file of the config repo can reach: the part of the layer
 * hierarchy it belongs to (its scope). A target's chain reads only the
 * folders of its own layers, so a file reaches exactly the targets whose
 * env, team, project or user names its folder; repo settings (merge rules)
 * and schemas reach every target; files outside the layer folders (access.yml,
 * CI, READMEs) reach none.
 */
import type { RepoPath } from '../vocabulary.js';

export interface ChangedFile {
  readonly status: 'added' | 'modified' | 'deleted' | 'renamed' | 'copied';
  /** The path at head (for a deleted file: its path at base). */
  readonly path: RepoPath;
  /** The path at base of a renamed or copied file. */
  readonly oldPath?: RepoPath;
}

export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'env'; readonly env: string }
  /** `environments/<env>/teams.yml`: the teams whose entry changed are found by comparing the two revisions. */
  | { readonly kind: 'env-teams'; readonly env: string }
  /** One team's entry of `environments/<env>/teams.yml`. */
  | { readonly kind: 'env-team'; readonly env: string; readonly team: string }
  | { readonly kind: 'team'; readonly team: string }
  | { readonly kind: 'project'; readonly project: string }
  | { readonly kind: 'user'; readonly user: string };

/** The scope of one repo path, or undefined when no target's render reads it. */
export function scopeOf(path: string): Scope | undefined {
  const parts = path.split('/');
  const [top, id] = parts;
  if (parts.length === 1) return path === 'claude-env.yml' ? { kind: 'all' } : undefined;
  if (top === 'schemas' || top === 'base') return { kind: 'all' };
  if (parts.length < 3 || !id) return undefined;
  switch (top) {
    case 'environments':
      return parts.length === 3 && parts[2] === 'teams.yml' ? { kind: 'env-teams', env: id } : { kind: 'env', env: id };
    case 'teams':
      return { kind: 'team', team: id };
    case 'projects':
      return { kind: 'project', project: id };
    case 'users':
      return { kind: 'user', user: id };
    default:
      return undefined;
  }
}

export function scopeKey(s: Scope): string {
  switch (s.kind) {
    case 'all':
      return 'all';
    case 'env':
    case 'env-teams':
      return `${s.kind}:${s.env}`;
    case 'env-team':
      return `env-team:${s.env}/${s.team}`;
    case 'team':
      return `team:${s.team}`;
    case 'project':
      return `project:${s.project}`;
    case 'user':
      return `user:${s.user}`;
  }
}

/** The distinct scopes of a change (a renamed file counts at both paths); `all` alone when one of them is `all`. */
export function scopesOf(changes: readonly ChangedFile[]): Scope[] {
  const byKey = new Map<string, Scope>();
  for (const c of changes) {
    for (const p of c.oldPath === undefined ? [c.path] : [c.oldPath, c.path]) {
      const s = scopeOf(p);
      if (s) byKey.set(scopeKey(s), s);
    }
  }
  if (byKey.has('all')) return [{ kind: 'all' }];
  return [...byKey.values()];
}
