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
import { AJV_OPTIONS, sharedSchemas, shippedSchema, type SchemaKind } from './kinds.js';
import { fileURLToPath } from 'node:url';
import { compiledSchemaLoader } from './loader.js';

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
    ajv = new AjvClass({ ...AJV_OPTIONS });
    addFormats(ajv);
    for (const schema of sharedSchemas()) ajv.addSchema(schema);
  }
  return ajv;
}

/**
 * Where build.mjs puts the merged schema compiled ahead of time (ajv standalone
 * code), relative to this module: dist/src/schema/ here, dist/bundle/ once bundled.
 */
const COMPILED_DIR = (globalThis as { CLAUDE_ENV_SCHEMA_COMPILED?: string }).CLAUDE_ENV_SCHEMA_COMPILED ?? '../../schema-compiled/';

/** How many validations this process ran: a code cache of the compiled validator made by a bigger run holds more of it. */
let compiledRuns = 0;

/** The merged schema's validator as build.mjs compiled it, or undefined when there is none (a source checkout before the build). */
function precompiled(kind: SchemaKind): ValidateFunction | undefined {
  if (kind !== 'merged') return undefined;
  try {
    const file = fileURLToPath(new URL(`${COMPILED_DIR}${kind}.cjs`, import.meta.url));
    const load = compiledSchemaLoader();
    const mod = (load ? load(file, () => compiledRuns) : require(file)) as ValidateFunction | { default: ValidateFunction };
    return typeof mod === 'function' ? mod : mod.default;
  } catch {
    return undefined;
  }
}

function shippedValidator(kind: SchemaKind): ValidateFunction {
  let validate = shipped.get(kind);
  if (validate === undefined) {
    validate = precompiled(kind) ?? getAjv().compile(shippedSchema(kind));
    shipped.set(kind, validate);
  }
  return validate;
}

function run(validate: ValidateFunction, value: unknown): SchemaIssue[] {
  compiledRuns++;
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
