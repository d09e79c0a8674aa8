/**
 * The document cache on disk: `$CLAUDE_ENV_CACHE`, else `$XDG_CACHE_HOME/claude-env/docs`,
 * else `~/.cache/claude-env/docs`; one file per key, written atomically. Set
 * `CLAUDE_ENV_CACHE=off` to parse everything every time. Failures to read or
 * write are misses, never errors. Once a day, the first command that writes
 * to it keeps it under `$CLAUDE_ENV_CACHE_MAX_MB` (default 256): the entries
 * written longest ago go first.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
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
  let checked = false;
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
    has(key) {
      return existsSync(join(dir, shard(key), key));
    },
    set(key, data) {
      try {
        const sub = join(dir, shard(key));
        if (!made) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          made = true;
        }
        if (!checked) {
          checked = true;
          try {
            pruneDaily(dir, maxBytes(env));
          } catch {
            /* pruning is housekeeping: the write goes on */
          }
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

/** The cache read but never written (a whole-repo command: thousands of new entries would cost more than they save). */
export function readOnly(cache: DocumentCache): DocumentCache {
  return { get: cache.get, ...(cache.has ? { has: cache.has } : {}), set() {} };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function maxBytes(env: NodeJS.ProcessEnv): number {
  const mb = Number(env['CLAUDE_ENV_CACHE_MAX_MB']);
  return (Number.isFinite(mb) && mb > 0 ? mb : 256) * 1024 * 1024;
}

/**
 * Keep the cache under `max` bytes, at most once a day (`.pruned` records
 * when): when it is over, remove the entries written longest ago until it is
 * at 80 % of `max`. Every entry is filed under what it is made from, so a
 * removed one is only a miss.
 */
export function pruneDaily(dir: string, max: number, now = Date.now()): void {
  const marker = join(dir, '.pruned');
  const last = statSync(marker, { throwIfNoEntry: false })?.mtimeMs;
  if (last !== undefined && now - last < DAY_MS) return;
  writeFileSync(marker, '');
  utimesSync(marker, now / 1000, now / 1000);
  if (last === undefined) return; // a new cache: nothing to prune yet
  const entries: Array<{ path: string; size: number; at: number }> = [];
  let total = 0;
  for (const shard of readdirSync(dir, { withFileTypes: true })) {
    if (!shard.isDirectory()) continue;
    for (const f of readdirSync(join(dir, shard.name))) {
      const path = join(dir, shard.name, f);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      entries.push({ path, size: st.size, at: st.mtimeMs });
      total += st.size;
    }
  }
  if (total <= max) return;
  entries.sort((a, b) => a.at - b.at);
  for (const e of entries) {
    if (total <= max * 0.8) break;
    try {
      unlinkSync(e.path);
      total -= e.size;
    } catch {
      /* gone already */
    }
  }
}
