/**
 * Root-shaped trees: a layer's `config` document, the per-team entries of
 * environments/<env>/teams.yml, and the merged tree of a target. Layers are
 * partial; the merged tree must be complete, and it alone has `files`.
 */
import { closedObject, FILE_NAME, mapOf, SCHEMA_IDS, string, stringList, type Schema } from './common.js';
import { mcpServersComplete, mcpServersPartial } from './mcp.js';
import { personasComplete, personasPartial, workflowsSchema } from './persona.js';
import { securitySchema } from './security.js';
import { settingsRef } from './settings.js';

export function rootSchema(complete: boolean): Schema {
  return closedObject({
    settings: settingsRef(complete),
    mcpServers: complete ? mcpServersComplete : mcpServersPartial,
    personas: complete ? personasComplete : personasPartial,
    workflows: workflowsSchema(complete),
    instructions: stringList,
    security: securitySchema(complete),
    ...(complete ? { files: { type: 'object', additionalProperties: string } } : {}),
  });
}

/** environments/<env>/teams.yml: team name → a layer root. */
export const environmentTeamsSchema: Schema = mapOf({ $ref: SCHEMA_IDS.layerRoot }, FILE_NAME);
