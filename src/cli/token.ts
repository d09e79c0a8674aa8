/**
 * `claude-env token create|list|revoke`: API tokens, admin only: through the
 * API with an admin token, or with `--db` straight on the controller's store
 * on its machine (how the first admin gets a token). A token is printed once.
 */
import { userInfo } from 'node:os';
import { ClaudeEnvError, EXIT_OK, type ExitCode } from '../errors.js';
import type { TokenCreated, TokenKind, TokenView } from '../controller/api.js';
import { createTokenIn, tokenView } from '../controller/controller.js';
import { parseDuration } from '../controller/tokens.js';
import { apiClient, type ApiCallOptions } from './fleet.js';
import { printJson, type CliIO } from './io.js';

export interface TokenOptions extends ApiCallOptions {
  kind?: string;
  user?: string;
  env?: string;
  expires?: string;
  db?: string;
}

export async function run(io: CliIO, opts: TokenOptions, args: string[]): Promise<ExitCode> {
  const [action, id] = args;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new ClaudeEnvError('usage', `token ${action ?? ''}: the action is create, list or revoke`);
  if (action === 'revoke' && !id) throw new ClaudeEnvError('usage', 'token revoke ID: which token');
  if (action === 'create' && opts.kind !== 'user' && opts.kind !== 'enroll') throw new ClaudeEnvError('usage', '--kind user (with --user U) or --kind enroll (with --env E)');
  const expiresMs = opts.expires ? parseDuration(opts.expires, '--expires') : undefined;
  const req = { kind: opts.kind as TokenKind, ...(opts.user ? { user: opts.user } : {}), ...(opts.env ? { env: opts.env } : {}) };
  if (opts.db) {
    const { openStore } = await import('../controller/db/open.js');
    const store = await openStore(opts.db);
    try {
      const by = `local:${userInfo().username}`;
      if (action === 'create') return created(io, opts, await createTokenIn(store, by, { ...req, ...(expiresMs !== undefined ? { expiresMs } : {}) }, Date.now(), null));
      if (action === 'list') return listed(io, opts, (await store.listTokens()).map(tokenView));
      if (!(await store.revokeToken(id!, Date.now()))) throw new ClaudeEnvError('not-found', `no token ${id} to revoke (unknown or revoked before)`);
      await store.audit({ at: Date.now(), actor: by, action: 'token.revoked', subject: id!, address: null, detail: null });
      return revoked(io, opts, id!);
    } finally {
      await store.close();
    }
  }
  const api = apiClient(io, opts);
  if (action === 'create') return created(io, opts, (await api.call<TokenCreated>('/tokens', { method: 'POST', body: { ...req, ...(opts.expires ? { expires: opts.expires } : {}) } })).body!);
  if (action === 'list') return listed(io, opts, (await api.call<{ tokens: TokenView[] }>('/tokens')).body!.tokens);
  await api.call(`/tokens/${encodeURIComponent(id!)}`, { method: 'DELETE' });
  return revoked(io, opts, id!);
}

function created(io: CliIO, opts: TokenOptions, t: TokenCreated): ExitCode {
  if (opts.json) printJson(io, t);
  else io.stdout.write(`${t.kind} token ${t.id} (shown once, keep it safe):\n${t.token}\n`);
  return EXIT_OK;
}

function listed(io: CliIO, opts: TokenOptions, tokens: readonly TokenView[]): ExitCode {
  if (opts.json) printJson(io, { tokens });
  else for (const t of tokens) io.stdout.write(`${t.id}  ${t.kind.padEnd(6)}  ${(t.user ?? t.env ?? t.machine_id ?? '').padEnd(20)}  created ${t.created_at}${t.expires_at ? `  expires ${t.expires_at}` : ''}${t.revoked_at ? `  revoked ${t.revoked_at}` : ''}\n`);
  return EXIT_OK;
}

function revoked(io: CliIO, opts: TokenOptions, id: string): ExitCode {
  if (opts.json) printJson(io, { revoked: id });
  else io.stdout.write(`revoked ${id}\n`);
  return EXIT_OK;
}
