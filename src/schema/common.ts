/**
 * Building blocks of the shipped JSON Schemas (draft-07): typed fragments,
 * the name patterns, and the `x-message` annotation. Ajv ignores `x-message`;
 * issues.ts reads it to replace ajv's wording for one keyword with text a
 * user understands (`{ "x-message": { "anyOf": "must be a string or a list of strings" } }`).
 */

export type Schema = Record<string, unknown>;

export const X_MESSAGE = 'x-message';
export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/**
 * Ids of the schemas shared by several kinds. Ajv compiles a shared schema
 * once, however many kinds `$ref` it (the settings schema is the big one).
 */
export const SCHEMA_IDS = {
  settings: 'https://claude-env.local/schema/settings.json',
  layerRoot: 'https://claude-env.local/schema/layer-root.json',
} as const;

/** Replace ajv's message for the given keywords of this schema. `%s` stands for the offending key name (propertyNames). */
export function withMessages(schema: Schema, messages: Record<string, string>): Schema {
  return { ...schema, [X_MESSAGE]: messages };
}

export const string: Schema = { type: 'string' };
export const nonEmptyString: Schema = { type: 'string', minLength: 1 };
export const boolean: Schema = { type: 'boolean' };
export const stringList: Schema = { type: 'array', items: string };
export const positiveInteger: Schema = { type: 'integer', minimum: 1 };
export const nonNegativeInteger: Schema = { type: 'integer', minimum: 0 };
export const stringMap: Schema = { type: 'object', additionalProperties: string };
export const anyObject: Schema = { type: 'object' };

/** `tools: Read` or `tools: [Read, Grep]`, as Claude Code front matter accepts both. */
export const stringOrList: Schema = withMessages(
  { anyOf: [string, stringList] },
  { anyOf: 'must be a string or a list of strings' },
);

/** A string matching a pattern, with its own message for one that does not. */
export function matching(pattern: string, message: string): Schema {
  return withMessages({ type: 'string', pattern }, { pattern: message });
}

export function enumOf(values: readonly string[]): Schema {
  return { type: 'string', enum: [...values] };
}

export function arrayOf(items: Schema): Schema {
  return { type: 'array', items };
}

/** An object that allows exactly these keys (unknown keys are errors); `required` only when given. */
export function closedObject(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  const schema: Schema = { type: 'object', properties, additionalProperties: false };
  return required.length > 0 ? { ...schema, required: [...required] } : schema;
}

/** A map from names (checked against `names` when given) to values of one schema. */
/** An object whose known keys are typed and whose other keys are kept: Claude Code ignores (strips) keys it does not know. */
export function openObject(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return { type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}) };
}

export function mapOf(value: Schema, names?: NamePattern): Schema {
  const schema: Schema = { type: 'object', additionalProperties: value };
  return names === undefined
    ? schema
    : withMessages({ ...schema, propertyNames: { pattern: names.pattern } }, { propertyNames: names.message });
}

export interface NamePattern {
  pattern: string;
  /** `%s` is replaced by the quoted name. */
  message: string;
}

/** MCP server names, as the Claude Code CLI accepts them (CLAUDE-CODE.md §4.1). */
export const MCP_SERVER_NAME: NamePattern = {
  pattern: '^[A-Za-z0-9_-]+$',
  message: 'invalid MCP server name %s: use letters, digits, "-" and "_" only',
};

/** Names that become file or directory names (personas, workflows, environments, teams): no `/`, no leading dot. */
export const FILE_NAME: NamePattern = {
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  message: 'invalid name %s: use letters, digits, ".", "-" and "_", starting with a letter or digit',
};

/** Workflow names: a file name, or `<namespace>/<name>` (the command `/<namespace>:<name>`, CLAUDE-CODE.md §7). */
export const WORKFLOW_NAME: NamePattern = {
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$',
  message: 'invalid workflow name %s: use letters, digits, ".", "-" and "_", starting with a letter or digit, as <name> or <namespace>/<name>',
};

/** Environment variable names: a portable shell name (lower case allowed, e.g. `http_proxy`). */
const ENV_VAR_NAME: NamePattern = {
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  message: 'invalid environment variable name %s: use letters, digits and "_", not starting with a digit',
};

export const envMap: Schema = mapOf(string, ENV_VAR_NAME);
/** settings.json `env`: Claude Code turns a number into its string (checked with 2.1.0 and 2.1.332: test/claude-verdict.test.ts). */
export const settingsEnvMap: Schema = mapOf({ type: ['string', 'number'] }, ENV_VAR_NAME);
