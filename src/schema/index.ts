/**
 * JSON Schema validation of config-repo documents: the shipped schema of the
 * document's kind, then the org's own schemas (the repo's schemas/ dir) for
 * that kind. Ajv is loaded, and each schema compiled, only on first use:
 * importing this module loads no validator and compiles nothing.
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { ClaudeEnvError, EXIT_FINDINGS } from '../errors.js';
import { toIssues, type SchemaIssue } from './issues.js';
import { sharedSchemas, shippedSchema, type SchemaKind } from './kinds.js';

export { suggestion, type SchemaIssue } from './issues.js';
export { SCHEMA_KINDS, sharedSchemas, shippedSchema, type SchemaKind } from './kinds.js';
export {
  HOOK_EVENTS,
  KNOWN_PERMISSIONS_KEYS,
  KNOWN_SETTINGS_KEYS,
  MANAGED_ONLY_SETTINGS_KEYS,
  PERMISSION_MODES,
} from './settings.js';

interface OrgSchema {
  kind: string;
  schema: object;
  source: string;
  validate: ValidateFunction;
}

const require = createRequire(import.meta.url);
let ajv: Ajv | undefined;
const shipped = new Map<SchemaKind, ValidateFunction>();
let orgSchemas: OrgSchema[] = [];

function getAjv(): Ajv {
  if (ajv === undefined) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
    // verbose: errors carry their schema and data, which issues.ts needs for its
    // messages; inlineRefs false: a shared schema compiles once, not at every $ref.
    // Our schemas are checked against the meta-schema by the tests, org schemas in addOrgSchema.
    ajv = new AjvClass({ allErrors: true, strict: false, verbose: true, inlineRefs: false, validateSchema: false });
    addFormats(ajv);
    for (const schema of sharedSchemas()) ajv.addSchema(schema);
  }
  return ajv;
}

function shippedValidator(kind: SchemaKind): ValidateFunction {
  let validate = shipped.get(kind);
  if (validate === undefined) {
    validate = getAjv().compile(shippedSchema(kind));
    shipped.set(kind, validate);
  }
  return validate;
}

function run(validate: ValidateFunction, value: unknown): SchemaIssue[] {
  return validate(value) ? [] : toIssues(validate.errors);
}

/** Every schema issue of a document of this kind (shipped schema first, then the org's), or [] when it is valid. */
export function validateDocument(kind: SchemaKind, value: unknown): SchemaIssue[] {
  const issues = run(shippedValidator(kind), value);
  for (const org of orgSchemas) {
    if (org.kind === kind) issues.push(...run(org.validate, value).map((issue) => ({ ...issue, source: org.source })));
  }
  return issues;
}

/** Add an org schema for a kind (applied in addition to ours). Throws when the schema does not compile. */
export function addOrgSchema(kind: string, schema: object, source: string): void {
  orgSchemas.push({ kind, schema, source, validate: compileOrgSchema(getAjv(), schema, source) });
}

function compileOrgSchema(instance: Ajv, schema: object, source: string): ValidateFunction {
  const invalid = (reason: string, cause?: unknown) =>
    new ClaudeEnvError('schema-invalid', `${source}: not a valid JSON Schema (draft-07): ${reason}`, {
      file: source,
      exitCode: EXIT_FINDINGS,
      cause,
    });
  const id = (schema as { $id?: unknown }).$id;
  const key = typeof id === 'string' ? id.replace(/#$/, '') : undefined;
  // Checked first: removing a failed schema by its $id must never remove another schema of that $id.
  if (key !== undefined && (instance.schemas[key] ?? instance.refs[key]) !== undefined) {
    throw invalid(`$id "${key}" is already used by another schema`);
  }
  try {
    if (!instance.validateSchema(schema)) throw new Error(instance.errorsText(instance.errors, { dataVar: 'schema' }));
    return instance.compile(schema);
  } catch (error) {
    instance.removeSchema(schema);
    throw invalid(error instanceof Error ? error.message : String(error), error);
  }
}

/** Forget every org schema (for a new repo, or between tests). */
export function resetOrgSchemas(): void {
  for (const org of orgSchemas) ajv?.removeSchema(org.schema);
  orgSchemas = [];
}
