/**
 * Personas (rendered as Claude Code subagents, CLAUDE-CODE.md §6) and
 * workflows (rendered as slash commands, §7). A defining persona document and
 * the merged tree need `description` and `prompt` (Claude Code skips an agent
 * without a description); layer overlays may give any subset.
 */
import {
  closedObject,
  enumOf,
  FILE_NAME,
  WORKFLOW_NAME,
  mapOf,
  nonEmptyString,
  positiveInteger,
  string,
  stringList,
  stringOrList,
  withMessages,
  type Schema,
} from './common.js';
import { PERMISSION_MODES } from './settings.js';

const PERSONA_PROPERTIES: Record<string, Schema> = {
  description: nonEmptyString,
  prompt: nonEmptyString,
  tools: stringOrList,
  model: nonEmptyString,
  disallowedTools: stringOrList,
  permissionMode: enumOf(PERMISSION_MODES),
  maxTurns: positiveInteger,
  skills: stringList,
  effort: nonEmptyString,
  color: string,
};

export const personaComplete: Schema = closedObject(PERSONA_PROPERTIES, ['description', 'prompt']);
export const personaPartial: Schema = closedObject(PERSONA_PROPERTIES);

export const personasComplete: Schema = mapOf(personaComplete, FILE_NAME);
export const personasPartial: Schema = mapOf(personaPartial, FILE_NAME);

/** A step; in a layer it may carry `$delete: true` to drop an inherited step of a merge-by-key list. */
function step(layer: boolean): Schema {
  return closedObject(
    { name: nonEmptyString, prompt: string, persona: nonEmptyString, ...(layer ? { $delete: { const: true } } : {}) },
    ['name'],
  );
}

function workflow(layer: boolean): Schema {
  const schema = closedObject({
    description: string,
    'allowed-tools': stringOrList,
    'argument-hint': string,
    model: nonEmptyString,
    prompt: string,
    persona: nonEmptyString,
    steps: { type: 'array', items: step(layer) },
  });
  return layer
    ? schema
    : withMessages({ ...schema, anyOf: [{ required: ['prompt'] }, { required: ['steps'] }] }, { anyOf: 'needs a prompt or steps' });
}

/** `complete` is the merged tree: a workflow must then have something to run. */
export function workflowsSchema(complete: boolean): Schema {
  return mapOf(workflow(!complete), WORKFLOW_NAME);
}
