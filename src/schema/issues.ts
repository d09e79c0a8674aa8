/**
 * Turns ajv errors into SchemaIssues a user can act on: one issue per real
 * mistake, pointing at the offending value (or at the object, for unknown and
 * missing keys), in short words. The noise ajv adds for if/then, anyOf/oneOf
 * branches and property names is dropped; an `x-message` in the schema
 * replaces ajv's wording for one keyword.
 */
import type { ErrorObject } from 'ajv';
import { X_MESSAGE } from './common.js';

export interface SchemaIssue {
  /** JSON pointer to the offending value, or to the object for unknown/missing keys. */
  pointer: string;
  /** The unknown or missing key, when there is one. */
  key?: string;
  keyword: string;
  message: string;
  /** The org schema (schemas/ file) that reported it; absent for the shipped schemas. */
  source?: string;
}

export function toIssues(errors: readonly ErrorObject[] | null | undefined): SchemaIssue[] {
  if (!errors) return [];
  const issues = withoutNoise(errors).map(toIssue);
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${issue.pointer}\0${issue.keyword}\0${issue.key ?? ''}\0${issue.message}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

function withoutNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const error of errors) {
    // `if` only says "must match then"; the `then` errors say why. Inner
    // propertyNames errors are repeated by the propertyNames error itself.
    if (error.keyword === 'if' || (error.propertyName !== undefined && error.keyword !== 'propertyNames')) {
      dropped.add(error);
    }
  }
  const alternatives = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alternative of alternatives) {
    if (!dropped.has(alternative)) collapse(alternative, errors, dropped);
  }
  return errors.filter((e) => !dropped.has(e));
}

/**
 * One anyOf/oneOf failure: when the value's JSON type selects exactly one
 * branch, keep that branch's errors (they are precise); otherwise keep only
 * the anyOf/oneOf error, with its `x-message` or a summary of the branches.
 */
function collapse(alternative: ErrorObject, errors: readonly ErrorObject[], dropped: Set<ErrorObject>): void {
  const prefix = `${alternative.schemaPath}/`;
  const branchErrors = errors.filter(
    (e) => e.schemaPath.startsWith(prefix) && isWithin(e.instancePath, alternative.instancePath),
  );
  const branches = Array.isArray(alternative.schema) ? (alternative.schema as unknown[]) : [];
  const typed = branches.flatMap((branch, index) => (typeMatches(branch, alternative.data) ? [index] : []));
  const chosen = typed.length === 1 ? typed[0] : undefined;
  const chosenErrors = branchErrors.filter((e) => branchIndex(e, prefix) === chosen);
  if (chosenErrors.length > 0) {
    dropped.add(alternative);
    for (const e of branchErrors) if (!chosenErrors.includes(e)) dropped.add(e);
  } else {
    for (const e of branchErrors) dropped.add(e);
  }
}

const isWithin = (pointer: string, parent: string): boolean =>
  pointer === parent || pointer.startsWith(`${parent}/`);

const branchIndex = (error: ErrorObject, prefix: string): number =>
  Number(error.schemaPath.slice(prefix.length).split('/')[0]);

function typeMatches(branch: unknown, data: unknown): boolean {
  const declared = isRecord(branch) ? branch.type : undefined;
  if (declared === undefined) return false;
  const types = Array.isArray(declared) ? declared : [declared];
  return types.some((type) => type === jsonType(data) || (type === 'number' && jsonType(data) === 'integer'));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function toIssue(error: ErrorObject): SchemaIssue {
  const pointer = error.instancePath;
  const keyword = error.keyword;
  const params = error.params as Record<string, unknown>;
  if (keyword === 'required') {
    const key = String(params.missingProperty);
    return { pointer, key, keyword, message: `missing key "${key}"` };
  }
  if (keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const known = isRecord(error.parentSchema?.properties) ? Object.keys(error.parentSchema.properties) : [];
    return { pointer, key, keyword, message: `unknown key "${key}"${suggestion(key, known)}` };
  }
  if (keyword === 'propertyNames') {
    const key = String(params.propertyName);
    const template = customMessage(error) ?? 'invalid key %s';
    const known = isRecord(error.schema) && Array.isArray(error.schema.enum) ? error.schema.enum.map(String) : [];
    return { pointer, key, keyword, message: `${template.replace('%s', `"${key}"`)}${suggestion(key, known)}` };
  }
  return { pointer, keyword, message: customMessage(error) ?? defaultMessage(error, params) };
}

function customMessage(error: ErrorObject): string | undefined {
  const messages = error.parentSchema?.[X_MESSAGE];
  const message = isRecord(messages) ? messages[error.keyword] : undefined;
  return typeof message === 'string' ? message : undefined;
}

const COMPARISONS: Record<string, string> = { '>=': 'at least', '>': 'greater than', '<=': 'at most', '<': 'less than' };

function defaultMessage(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'type':
      return `must be ${String(params.type).split(',').join(' or ')}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} characters`;
    case 'minItems':
      return params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(params.limit)} items`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${COMPARISONS[String(params.comparison)] ?? String(params.comparison)} ${String(params.limit)}`;
    case 'uniqueItems':
      return `must not list ${JSON.stringify((error.data as unknown[])[Number(params.j)])} twice`;
    case 'format':
      return `must be a valid ${String(params.format)}`;
    case 'not':
    case 'false schema':
      return 'is not allowed';
    case 'anyOf':
      return alternativesMessage(error.schema);
    case 'oneOf':
      return params.passingSchemas ? 'matches more than one of the allowed forms' : alternativesMessage(error.schema);
    default:
      return (error.message ?? `fails ${error.keyword}`).replace(/\bNOT\b/g, 'not');
  }
}

/** "must be string or array" when every branch names its type, else a generic line. */
function alternativesMessage(branches: unknown): string {
  const types = Array.isArray(branches) ? branches.map((b) => (isRecord(b) ? b.type : undefined)) : [];
  return types.length > 0 && types.every((t) => typeof t === 'string')
    ? `must be ${[...new Set(types)].join(' or ')}`
    : 'does not match any of the allowed forms';
}

/** `; did you mean "model"?` for a near miss among the known names, else ''. */
export function suggestion(name: string, known: readonly string[]): string {
  const best = closest(name, known);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}

function closest(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Optimal string alignment distance: Levenshtein plus swaps of neighbours ("modle" → "model" is 1). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
