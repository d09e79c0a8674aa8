/**
 * JSON Schema validation of config-repo documents: the shipped schema of the
 * document's kind, then the org's own schemas (the repo's schemas/ dir) for
 * that kind. Ajv is loaded, and each schema compiled, only on first use:
 * importing this module loads no validator and compiles nothing. Org schemas
 * belong to one validation (a SchemaContext); ours are compiled once and
 * shared (ShippedSchemas).
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { ClaudeEnvError } from '../errors.js';
import { toIssues, type SchemaIssue } from './issues.js';
import { AJV_OPTIONS, sharedSchemas, shippedSchema, type SchemaKind } from './kinds.js';
import { fileURLToPath } from 'node:url';
import type { CompiledLoader } from './loader.js';

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

/** A validator of our schemas' draft and formats, with the shared schemas registered. */
function newAjv(): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
  const ajv = new AjvClass({ ...AJV_OPTIONS });
  addFormats(ajv);
  for (const schema of sharedSchemas()) ajv.addSchema(schema);
  return ajv;
}

/**
 * Where build.mjs puts the merged schema compiled ahead of time (ajv standalone
 * code), relative to this module: dist/src/schema/ here, dist/bundle/ once bundled.
 */
const COMPILED_DIR = (globalThis as { CLAUDE_ENV_SCHEMA_COMPILED?: string }).CLAUDE_ENV_SCHEMA_COMPILED ?? '../../schema-compiled/';

/**
 * Our schemas, compiled: one validator per document kind (a fixed, small set),
 * each compiled on first use and never changed after, so one ShippedSchemas
 * may serve every validation of a process at once (`shippedSchemas()`).
 * Nothing of a repo is ever added to it: org schemas live in a SchemaContext.
 */
/** Checks documents of a kind against schemas: ours (ShippedSchemas), or ours and the org's (SchemaContext). */
export interface SchemaValidator {
  validateDocument(kind: SchemaKind, value: unknown): SchemaIssue[];
}

export class ShippedSchemas implements SchemaValidator {
  private ajv: Ajv | undefined;
  private readonly validators = new Map<SchemaKind, ValidateFunction>();
  /** How many validations ran: a code cache of the compiled validator made by a bigger run holds more of it. */
  private runs = 0;

  /** `load`: how the merged schema's validator compiled by build.mjs is loaded (default: `require`). */
  constructor(private readonly load?: CompiledLoader) {}

  /** Every issue of a value against our schema of `kind`, or [] when it is valid. */
  validateDocument(kind: SchemaKind, value: unknown): SchemaIssue[] {
    return run(this.validator(kind), value, this);
  }

  /** Counts a validation run (see `runs`). */
  ran(): void {
    this.runs++;
  }

  /** Org schemas compile in an instance of their own (SchemaContext): this one holds our schemas only. */
  private validator(kind: SchemaKind): ValidateFunction {
    let validate = this.validators.get(kind);
    if (validate === undefined) {
      validate = this.precompiled(kind) ?? (this.ajv ??= newAjv()).compile(shippedSchema(kind));
      this.validators.set(kind, validate);
    }
    return validate;
  }

  /** The merged schema's validator as build.mjs compiled it, or undefined when there is none (a source checkout before the build). */
  private precompiled(kind: SchemaKind): ValidateFunction | undefined {
    if (kind !== 'merged') return undefined;
    try {
      const file = fileURLToPath(new URL(`${COMPILED_DIR}${kind}.cjs`, import.meta.url));
      const load = this.load;
      const mod = (load ? load(file, () => this.runs) : require(file)) as ValidateFunction | { default: ValidateFunction };
      return typeof mod === 'function' ? mod : mod.default;
    } catch {
      return undefined;
    }
  }
}

/**
 * The shipped schemas of a caller that brings none, loaded with `require`:
 * a validator per document kind, each compiled on first use and never changed
 * after (a memo bounded by the kinds, like a module's own exports). A caller
 * with its own loader (the CLI) makes its own `new ShippedSchemas(load)`.
 */
const DEFAULT_SHIPPED = new ShippedSchemas();

export function shippedSchemas(): ShippedSchemas {
  return DEFAULT_SHIPPED;
}

function run(validate: ValidateFunction, value: unknown, shipped: ShippedSchemas): SchemaIssue[] {
  shipped.ran();
  // Synchronous: `errors` is read before any other validation can use the function.
  return validate(value) ? [] : toIssues(validate.errors);
}

/** Every issue of a value against our schema of `kind` only (no org schema), or [] when it is valid. */
export function validateDocument(kind: SchemaKind, value: unknown): SchemaIssue[] {
  return shippedSchemas().validateDocument(kind, value);
}

/**
 * The schemas of one validation: ours (shared, compiled once) and the org's
 * own from the repo's `schemas/` folder, which belong to this context only:
 * two validations of two repos at once each check with their own. Org schemas
 * compile in an ajv instance of the context's own, made when the first one is
 * added.
 */
export class SchemaContext implements SchemaValidator {
  private ajv: Ajv | undefined;
  private readonly org: OrgSchema[] = [];

  constructor(private readonly shipped: ShippedSchemas = shippedSchemas()) {}

  /** Every schema issue of a document of this kind (shipped schema first, then the org's), or [] when it is valid. */
  validateDocument(kind: SchemaKind, value: unknown): SchemaIssue[] {
    const issues = this.shipped.validateDocument(kind, value);
    for (const org of this.org) {
      if (org.kind === kind) issues.push(...run(org.validate, value, this.shipped).map((issue) => ({ ...issue, source: org.source })));
    }
    return issues;
  }

  /** Add an org schema for a kind (applied in addition to ours). Throws when the schema does not compile. */
  addOrgSchema(kind: string, schema: object, source: string): void {
    this.org.push({ kind, schema, source, validate: compileOrgSchema((this.ajv ??= newAjv()), schema, source) });
  }
}

function compileOrgSchema(instance: Ajv, schema: object, source: string): ValidateFunction {
  const invalid = (reason: string, cause?: unknown) =>
    new ClaudeEnvError('schema-invalid', `${source}: not a valid JSON Schema (draft-07): ${reason}`, {
      file: source,
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
