/**
 * The shipped schema of every document kind (and of the merged tree), as
 * plain draft-07 objects. Schemas shared by several kinds have an `$id` and
 * are referenced by it; `SHARED_SCHEMAS` must be registered with the
 * validator before a kind's schema is compiled. Nothing here compiles.
 */
import type { DocumentKind } from '../vocabulary.js';
import { DRAFT_07, SCHEMA_IDS, type Schema } from './common.js';
import { mcpServerComplete, mcpServersPartial } from './mcp.js';
import { personaComplete, personasPartial, workflowsSchema } from './persona.js';
import { accessSchema, membersSchema, repoSettingsSchema } from './repo.js';
import { environmentTeamsSchema, rootSchema } from './root.js';
import { securitySchema } from './security.js';
import { settingsSchema } from './settings.js';

export type SchemaKind = Exclude<DocumentKind, 'other-yaml'> | 'merged';

const BUILDERS: Record<SchemaKind, () => Schema> = {
  'repo-settings': () => repoSettingsSchema,
  access: () => accessSchema,
  config: () => ({ $ref: SCHEMA_IDS.layerRoot }),
  'mcp-server': () => mcpServerComplete,
  'mcp-servers': () => mcpServersPartial,
  persona: () => personaComplete,
  personas: () => personasPartial,
  workflows: () => workflowsSchema(false),
  security: () => securitySchema(false),
  'environment-teams': () => environmentTeamsSchema,
  members: () => membersSchema,
  merged: () => rootSchema(true),
};

export const SCHEMA_KINDS = Object.keys(BUILDERS) as SchemaKind[];

/** The JSON Schema of a kind; it may `$ref` the shared schemas. */
export function shippedSchema(kind: SchemaKind): Schema {
  return { $schema: DRAFT_07, title: `claude-env ${kind}`, ...BUILDERS[kind]() };
}

/** The schemas referenced by `$id`, each with its `$id` set. */
export function sharedSchemas(): Schema[] {
  return [
    { $schema: DRAFT_07, $id: SCHEMA_IDS.settings, title: 'Claude Code settings.json', ...settingsSchema() },
    { $schema: DRAFT_07, $id: SCHEMA_IDS.layerRoot, title: 'claude-env layer root', ...rootSchema(false) },
  ];
}

/**
 * How ajv is set up for our schemas (src/schema/index.ts, and build.mjs when it
 * compiles the merged schema ahead of time). verbose: errors carry their schema
 * and data, which issues.ts needs for its messages; inlineRefs false: a shared
 * schema compiles once, not at every $ref. Our schemas are checked against the
 * meta-schema by the tests, org schemas in addOrgSchema.
 */
export const AJV_OPTIONS = Object.freeze({ allErrors: true, strict: false, verbose: true, inlineRefs: false, validateSchema: false });
