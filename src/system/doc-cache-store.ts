/**
 * The document cache on disk: `$CLAUDE_ENV_CACHE`, else `$XDG_CACHE_HOME/claude-env/docs`,
 * else `~/.cache/claude-env/docs`; one file per key, written atomically. Set
 * `CLAUDE_ENV_CACHE=off` to parse everything every time. Failures to read or
 * write are misses, never errors.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentCache } from '../repo/doc-cache.js';
import { writeFileAtomic } from './atomic.js';

export function documentCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const own = env['CLAUDE_ENV_CACHE'];
  if (own === 'off' || own === '0') return undefined;
  if (own) return own;
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'claude-env', 'docs');
  if (env['HOME']) return join(env['HOME'], '.cache', 'claude-env', 'docs');
  return undefined;
}

export function diskDocumentCache(env: NodeJS.ProcessEnv): DocumentCache | undefined {
  const dir = documentCacheDir(env);
  if (!dir) return undefined;
  let made = false;
  const subs = new Set<string>();
  // Spread over folders by the key's first characters after its kind ("g-", "t-", "a-"; none for a document's text hash).
  const shard = (key: string): string => (key[1] === '-' ? `${key[0]}${key.slice(2, 4)}` : key.slice(0, 2));
  return {
    get(key) {
      try {
        return readFileSync(join(dir, shard(key), key), 'utf8');
      } catch {
        return undefined;
      }
    },
    set(key, data) {
      try {
        const sub = join(dir, shard(key));
        if (!made) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          made = true;
        }
        if (!subs.has(sub)) {
          mkdirSync(sub, { recursive: true, mode: 0o700 });
          subs.add(sub);
        }
        writeFileAtomic(join(sub, key), data, 0o600, false);
      } catch {
        /* a cache that cannot be written is just a cache that misses */
      }
    },
  };
}
