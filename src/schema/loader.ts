/**
 * How a schema validator compiled ahead of time (build.mjs) is loaded: given
 * to `new ShippedSchemas(load)` by a caller that has a better way than
 * `require` (the CLI goes through V8's code cache, blocking/code-cache.ts, as
 * it does for `yaml`). `use` says how many validations the caller ran, so a
 * code cache made by a bigger run is kept. Kept apart from index.ts so that
 * naming it loads no schema.
 */
export type CompiledLoader = (file: string, use: () => number) => unknown;
