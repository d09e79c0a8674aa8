/**
 * How a schema validator compiled ahead of time (build.mjs) is loaded: the CLI
 * sets a loader that goes through V8's code cache (system/code-cache.ts), as it
 * does for `yaml`. Kept apart from index.ts so that setting it loads no schema.
 */
export type CompiledLoader = (file: string, use: () => number) => unknown;

let loader: CompiledLoader | undefined;

export function useCompiledSchemaLoader(load: CompiledLoader): void {
  loader = load;
}

export function compiledSchemaLoader(): CompiledLoader | undefined {
  return loader;
}
