import { createRequire } from 'node:module';
import { lazyYaml, type YamlModule } from '../repo/yaml.js';
import { requireWithCodeCache } from '../blocking/code-cache.js';
import { documentCacheDir } from '../blocking/doc-cache-store.js';
import type { CliIO } from './io.js';

/**
 * How this call loads its libraries: the bundled CLI loads its one-file
 * `yaml`, and the merged schema compiled by build.mjs (checked by apply
 * before it writes), through a code cache kept beside the document cache
 * (blocking/code-cache.ts). Made per call and handed to the commands in `io`;
 * what the caller already gave is kept.
 */
export function loaders(io: CliIO): Pick<CliIO, 'yaml' | 'compiledSchemas'> {
  const bundled = (globalThis as { CLAUDE_ENV_YAML_BUNDLE?: string }).CLAUDE_ENV_YAML_BUNDLE;
  if (bundled === undefined) return {};
  const dir = documentCacheDir(io.env);
  const file = createRequire(import.meta.url).resolve(bundled);
  let parses = 0;
  return {
    yaml: io.yaml ?? lazyYaml(() => requireWithCodeCache(file, dir, () => parses) as YamlModule, () => void parses++),
    compiledSchemas: io.compiledSchemas ?? ((compiled, use) => requireWithCodeCache(compiled, dir, use)),
  };
}
