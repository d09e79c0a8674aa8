/**
 * The merged schema as build.mjs compiles it ahead of time (ajv standalone
 * code, what apply checks every target against) says exactly what ajv says
 * compiling the schema at run time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { AJV_OPTIONS, sharedSchemas, shippedSchema } from './kinds.js';

const require = createRequire(import.meta.url);

const TREES: ReadonlyArray<readonly [string, unknown]> = [
  ['a valid tree', { settings: { model: 'sonnet', cleanupPeriodDays: 3, permissions: { allow: ['Bash(npm test)'] } }, personas: { a: { description: 'x', prompt: 'y' } } }],
  ['a wrongly typed setting', { settings: { cleanupPeriodDays: 'abc' } }],
  ['a persona with no description', { personas: { a: { prompt: 'y' } } }],
  ['an unknown hook event and a bad mode', { settings: { hooks: { Nope: [] }, permissions: { defaultMode: 'bogus' } } }],
  ['an MCP server with no command', { mcpServers: { x: { type: 'stdio' } } }],
];

describe('the merged schema compiled ahead of time', () => {
  it('finds exactly the errors ajv finds compiling the schema at run time', () => {
    const compiled = require(fileURLToPath(new URL('../../schema-compiled/merged.cjs', import.meta.url))) as ValidateFunction;
    const { Ajv } = require('ajv') as typeof import('ajv');
    const ajv = new Ajv({ ...AJV_OPTIONS });
    (require('ajv-formats') as typeof import('ajv-formats')).default(ajv);
    for (const s of sharedSchemas()) ajv.addSchema(s);
    const runtime = ajv.compile(shippedSchema('merged'));
    for (const [name, tree] of TREES) {
      const a = runtime(tree);
      const b = compiled(tree);
      assert.equal(b, a, name);
      const strip = (errors: typeof runtime.errors) => (errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params, message: e.message, data: e.data }));
      assert.deepEqual(strip(compiled.errors), strip(runtime.errors), name);
    }
  });
});
