/**
 * How a schema validator compiled ahead of time (build.mjs) is loaded: the CLI
 * sets a loader that goes through V8's code cache (system/code-cache.ts), as it
 * does for `yaml`. Kept apart from index.ts so that setting it loads no schema.
 *
 * A process-wide setting, made once by the CLI at start-up (cli/main.ts): the
 * compiled validator is an immutable module, and how it is loaded changes
 * nothing of what it does. A caller may instead give its own loader to
 * `new ShippedSchemas(load)` (index.ts).
 */
export type CompiledLoader = (file: string, use: () => number) => unknown;

const configured: { loader?: CompiledLoader } = {};

export function useCompiledSchemaLoader(load: CompiledLoader): void {
  configured.loader = load;
}

export function compiledSchemaLoader(): CompiledLoader | undefined {
  return configured.loader;
}
