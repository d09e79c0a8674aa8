/**
 * The config repo layout of SPEC.md: which document a path is, which layer it
 * belongs to, and where in the merged tree it goes.
 */
import type { DocumentKind, LayerName } from '../vocabulary.js';

export interface DocumentPlace {
  readonly kind: DocumentKind;
  /** Layer documents only. */
  readonly layer?: LayerName;
  /** Where the document's tree goes in the merged tree ([] = root). */
  readonly section: readonly string[];
  /** The environment, team, project or user the document belongs to. */
  readonly env?: string;
  readonly team?: string;
  readonly project?: string;
  readonly user?: string;
  /** A YAML file in a layer folder whose name the layout does not know. */
  readonly unmapped?: boolean;
}

export interface FilePlace {
  readonly layer: LayerName;
  /** Path under `.claude/` it is written to. */
  readonly target: string;
  readonly env?: string;
  readonly team?: string;
  readonly project?: string;
  readonly user?: string;
}

const stem = (name: string): string => name.replace(/\.ya?ml$/, '');
export const isYamlPath = (p: string): boolean => p.endsWith('.yml') || p.endsWith('.yaml');

/** The place of a YAML document, by its path. */
export function placeOf(path: string): DocumentPlace {
  const parts = path.split('/');
  const [top, a, b, c] = parts;
  if (parts.length === 1) {
    if (path === 'claude-env.yml') return { kind: 'repo-settings', section: [] };
    if (path === 'access.yml') return { kind: 'access', section: [] };
    return { kind: 'other-yaml', section: [] };
  }
  if (top === 'base') {
    if (parts.length === 2 && a === 'config.yml') return { kind: 'config', layer: 'base', section: [] };
    if (parts.length === 3 && a === 'mcp' && b!.endsWith('.yml')) return { kind: 'mcp-server', layer: 'base', section: ['mcpServers', stem(b!)] };
    if (parts.length === 3 && a === 'personas' && b!.endsWith('.yml')) return { kind: 'persona', layer: 'base', section: ['personas', stem(b!)] };
    if (parts.length === 3 && a === 'security' && b!.endsWith('.yml')) return { kind: 'security', layer: 'base', section: ['security'] };
    return unmapped();
  }
  if (top === 'environments' && parts.length === 3) {
    const env = a!;
    if (b === 'config.yml') return { kind: 'config', layer: 'environment', section: [], env };
    if (b === 'mcp-servers.yml') return { kind: 'mcp-servers', layer: 'environment', section: ['mcpServers'], env };
    if (b === 'security.yml') return { kind: 'security', layer: 'environment', section: ['security'], env };
    if (b === 'teams.yml') return { kind: 'environment-teams', layer: 'environment-team', section: [], env };
    return unmapped();
  }
  if (top === 'teams' && parts.length === 3) {
    const team = a!;
    if (b === 'base-config.yml') return { kind: 'config', layer: 'team', section: [], team };
    if (b === 'mcp-preferences.yml') return { kind: 'mcp-servers', layer: 'team', section: ['mcpServers'], team };
    if (b === 'personas.yml') return { kind: 'personas', layer: 'team', section: ['personas'], team };
    if (b === 'workflows.yml') return { kind: 'workflows', layer: 'team', section: ['workflows'], team };
    if (b === 'members.yml') return { kind: 'members', section: [], team };
    return unmapped();
  }
  if (top === 'projects' && parts.length === 3 && b === 'claude-config.yml') return { kind: 'config', layer: 'project', section: [], project: a! };
  if (top === 'users' && parts.length === 3 && b === 'overrides.yml') return { kind: 'config', layer: 'user', section: [], user: a! };
  if (top === 'base' || top === 'environments' || top === 'teams' || top === 'projects' || top === 'users') return unmapped();
  void c;
  return { kind: 'other-yaml', section: [] };
}

function unmapped(): DocumentPlace {
  return { kind: 'other-yaml', section: [], unmapped: true };
}

/** If `path` is a `files/` overlay of a layer folder, where it goes. */
export function filePlaceOf(path: string): FilePlace | undefined {
  const parts = path.split('/');
  if (parts[0] === 'base' && parts[1] === 'files' && parts.length > 2) return { layer: 'base', target: parts.slice(2).join('/') };
  if (parts.length > 3 && parts[2] === 'files') {
    const id = parts[1]!;
    const target = parts.slice(3).join('/');
    if (parts[0] === 'environments') return { layer: 'environment', target, env: id };
    if (parts[0] === 'teams') return { layer: 'team', target, team: id };
    if (parts[0] === 'projects') return { layer: 'project', target, project: id };
    if (parts[0] === 'users') return { layer: 'user', target, user: id };
  }
  return undefined;
}

/** The folder that holds a layer's documents and `files/`. */
export function layerFolder(layer: LayerName, id: string | undefined): string | undefined {
  switch (layer) {
    case 'base':
      return 'base';
    case 'environment':
      return `environments/${id}`;
    case 'team':
      return `teams/${id}`;
    case 'project':
      return `projects/${id}`;
    case 'user':
      return `users/${id}`;
    default:
      return undefined;
  }
}

/** The documents of one layer folder, in merge order. */
export const LAYER_DOCUMENTS: Readonly<Partial<Record<LayerName, readonly string[]>>> = {
  environment: ['config.yml', 'mcp-servers.yml', 'security.yml'],
  team: ['base-config.yml', 'mcp-preferences.yml', 'personas.yml', 'workflows.yml'],
  project: ['claude-config.yml'],
  user: ['overrides.yml'],
};

export const DEFAULT_ENVIRONMENTS: readonly string[] = ['development', 'staging', 'production'];
