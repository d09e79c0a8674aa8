/**
 * GitHub's push webhook signature: `X-Hub-Signature-256: sha256=<hex
 * HMAC-SHA256 of the raw body, keyed by the webhook secret>`, compared in
 * constant time. Anything else (no header, another algorithm, bad hex) is
 * not signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

export function verifyGithubSignature(secret: string, rawBody: Uint8Array, header: string | undefined): boolean {
  if (secret === '' || header === undefined) return false;
  const m = HEADER.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
