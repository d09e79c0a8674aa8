/**
 * API tokens: 256 random bits, shown once, stored as a SHA-256 hash (a
 * token is high-entropy, so a fast hash is enough: nothing to brute-force).
 * The text says what kind it is (`cet_u_`, `cet_a_`, `cet_e_`), so a token
 * pasted in the wrong place is recognised, and secret scanners can find it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { durationMs } from '../duration.js';
import { ClaudeEnvError } from '../errors.js';
import type { TokenKind } from './api.js';

const PREFIX: Readonly<Record<TokenKind, string>> = { user: 'cet_u_', agent: 'cet_a_', enroll: 'cet_e_' };
const TOKEN_RE = /^cet_[uae]_[A-Za-z0-9_-]{43}$/;

export interface NewToken {
  readonly id: string;
  /** Shown once, never stored. */
  readonly token: string;
  readonly hash: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(kind: TokenKind): NewToken {
  const token = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { id: `tok_${randomBytes(9).toString('base64url')}`, token, hash: hashToken(token) };
}

/** Whether the text has a token's shape (cheap refusal before any lookup). */
export function isTokenShaped(text: string): boolean {
  return TOKEN_RE.test(text);
}

export function newMachineId(): string {
  return `m_${randomBytes(12).toString('base64url')}`;
}

/** A duration of a flag (`500ms`, `30s`, `10m`, `24h`, `7d`, `1h30m`; a bare number is seconds) → milliseconds. */
export function parseDuration(text: string, what: string): number {
  const t = text.trim();
  const ms = /^\d+(?:\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : durationMs(t);
  if (ms === null) throw new ClaudeEnvError('usage', `${what}: "${text}" is not a duration (such as 500ms, 30s, 10m, 24h, 7d)`);
  return ms;
}
