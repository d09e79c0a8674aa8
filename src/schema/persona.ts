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
  openObject,
  positiveInteger,
  string,
  stringList,
  stringOrList,
  withMessages,
  type Schema,
} from './common.js';
import { PERMISSION_MODES } from './settings.js';

/** An effort: a level's name or a number, as Claude Code takes both. */
const effort: Schema = withMessages({ anyOf: [nonEmptyString, { type: 'integer' }] }, { anyOf: 'must be a level (low, medium, high, …) or a whole number' });

/**
 * The agent fields Claude Code reads (its agent schema, 2.1.197), typed as
 * it types them. Claude Code ignores a field it does not know, so does
 * validate: an unknown field is kept and rendered as it is (a likely typo of a
 * known one is a warning, rules/documents.ts).
 */
export const PERSONA_PROPERTIES: Record<string, Schema> = {
  description: nonEmptyString,
  prompt: nonEmptyString,
  tools: stringOrList,
  model: nonEmptyString,
  disallowedTools: stringOrList,
  permissionMode: enumOf(PERMISSION_MODES),
  maxTurns: positiveInteger,
  skills: stringList,
  effort,
  color: string,
  mcpServers: { type: 'array' },
  hooks: { type: 'object' },
  initialPrompt: string,
  memory: enumOf(['user', 'project', 'local']),
  background: { type: 'boolean' },
  isolation: enumOf(['worktree', 'remote']),
  // Claude Code 2.1.332: `name` is taken from the file name (§6); the others are new and undocumented, kept as written.
  name: string,
  autoCompactWindow: {},
  omitClaudeMd: {},
  observer: {},
  observerMessage: {},
  observeToolResults: {},
  observeSubagents: {},
  experimental: {},
  criticalSystemReminder_EXPERIMENTAL: {},
};


export const personaComplete: Schema = openObject(PERSONA_PROPERTIES, ['description', 'prompt']);
export const personaPartial: Schema = openObject(PERSONA_PROPERTIES);

export const personasComplete: Schema = mapOf(personaComplete, FILE_NAME);
export const personasPartial: Schema = mapOf(personaPartial, FILE_NAME);

/** A step; in a layer it may carry `$delete: true` to drop an inherited step of a merge-by-key list. */
function step(layer: boolean): Schema {
  return closedObject(
    { name: nonEmptyString, prompt: string, persona: nonEmptyString, ...(layer ? { $delete: { const: true } } : {}) },
    ['name'],
  );
}

/**
 * A workflow's keys: ours (`prompt`, `persona`, `steps`: the command's body)
 * and the command fields Claude Code reads (2.1.197), typed; any other key is
 * kept and rendered into the front matter as it is (Claude Code ignores it).
 */
export const WORKFLOW_PROPERTIES: Record<string, Schema> = {
  name: nonEmptyString,
  description: string,
  'allowed-tools': stringOrList,
  'disallowed-tools': stringOrList,
  'argument-hint': string,
  arguments: { anyOf: [string, stringList] },
  model: nonEmptyString,
  effort,
  'disable-model-invocation': { type: 'boolean' },
  'user-invocable': { type: 'boolean' },
  shell: string,
  context: string,
  agent: string,
  when_to_use: string,
  prompt: string,
  persona: nonEmptyString,
};

function workflow(layer: boolean): Schema {
  const schema = openObject({ ...WORKFLOW_PROPERTIES, steps: { type: 'array', items: step(layer) } });
  return layer
    ? schema
    : withMessages({ ...schema, anyOf: [{ required: ['prompt'] }, { required: ['steps'] }] }, { anyOf: 'needs a prompt or steps' });
}

/** `complete` is the merged tree: a workflow must then have something to run. */
export function workflowsSchema(complete: boolean): Schema {
  return mapOf(workflow(!complete), WORKFLOW_NAME);
}
