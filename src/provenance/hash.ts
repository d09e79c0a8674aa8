/** sha256 in hex, loading node:crypto (~10 ms at start-up) only when something is actually hashed (the module loader keeps it after). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function sha256(data: string | Uint8Array): string {
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(data).digest('hex');
}
