/** sha256 in hex, loading node:crypto (~10 ms at start-up) only when something is actually hashed. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;

export function sha256(data: string | Uint8Array): string {
  crypto ??= require('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(data).digest('hex');
}
