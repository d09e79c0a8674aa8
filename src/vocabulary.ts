/**
 * The names of SPEC.md, as types. Paths of different kinds are branded so they
 * cannot be mixed by accident (chezmoi's AbsPath/RelPath idea).
 */

/** A path inside the config repo, POSIX separators, no leading `./` (e.g. `teams/web/members.yml`). */
export type RepoPath = string & { readonly __brand: 'RepoPath' };
/** A path relative to the target home (e.g. `.claude/settings.json`). */
export type HomePath = string & { readonly __brand: 'HomePath' };
/** A dotted key path into the merged tree (e.g. `settings.permissions.allow`). */
export type KeyPath = string & { readonly __brand: 'KeyPath' };

export const repoPath = (p: string): RepoPath => p as RepoPath;
export const homePath = (p: string): HomePath => p as HomePath;
export const keyPath = (p: string): KeyPath => p as KeyPath;

/** Whom a render is for. */
export interface Target {
  env: string;
  team?: string;
  project?: string;
  user?: string;
}

/** The levels of the hierarchy, lowest priority first. */
export const LAYER_NAMES = ['base', 'environment', 'environment-team', 'team', 'project', 'user', 'user_local'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/**
 * Layers as `claude-env.yml` names them where it says whom it trusts
 * (`secrets.commands_from`): the folders of the repo, and `local` for the
 * machine's own `local-overrides.yml`.
 */
export const TRUST_LAYERS = ['base', 'environments', 'teams', 'projects', 'users', 'local'] as const;
export type TrustLayer = (typeof TRUST_LAYERS)[number];
export const LAYERS_OF_TRUST_NAME: Readonly<Record<TrustLayer, readonly LayerName[]>> = {
  base: ['base'],
  environments: ['environment', 'environment-team'],
  teams: ['team'],
  projects: ['project'],
  users: ['user'],
  local: ['user_local'],
};
/** The layers only the org's admins write (base/, environments/): the default of `secrets.commands_from`, and the only ones that may set `security`. */
export const ADMIN_LAYERS: ReadonlySet<LayerName> = new Set(['base', 'environment', 'environment-team']);

/** Where a value came from. Line and column are 1-based. */
export interface Origin {
  readonly layer: LayerName;
  readonly file: RepoPath;
  readonly line: number;
  readonly column: number;
}

/** The top-level sections of the merged tree. */
export const SECTIONS = ['settings', 'mcpServers', 'personas', 'workflows', 'instructions', 'security', 'files'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * Every kind of document in a config repo. Each has a JSON Schema of its own
 * (src/schema) and, for layer documents, a place in the merged tree.
 */
export const DOCUMENT_KINDS = [
  'repo-settings', // claude-env.yml
  'access', // access.yml
  'config', // root-shaped layer documents (base/config.yml, environments/<env>/config.yml, ...)
  'mcp-server', // base/mcp/<name>.yml: one server definition
  'mcp-servers', // environments/<env>/mcp-servers.yml, teams/<team>/mcp-preferences.yml: name -> server (partial)
  'persona', // base/personas/<name>.yml: one persona
  'personas', // teams/<team>/personas.yml: name -> persona
  'workflows', // teams/<team>/workflows.yml: name -> workflow
  'security', // base/security/*.yml, environments/<env>/security.yml
  'environment-teams', // environments/<env>/teams.yml: team -> root-shaped tree
  'members', // teams/<team>/members.yml: list of {user, role, projects}
  'other-yaml', // any other YAML file (CI workflows, ...): syntax only
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export type Severity = 'error' | 'warning' | 'note';
export const SEVERITY_RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

/** One validation finding. `file` is repo-relative; line and column are 1-based. */
export interface Finding {
  rule: string;
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
}

/** The coding agents claude-env renders for (claude-env.yml `harnesses`): Claude Code always, the others where an environment names them. */
export const HARNESSES = ['claude-code', 'codex', 'gemini-cli', 'copilot-cli', 'cursor'] as const;
export type Harness = (typeof HARNESSES)[number];
