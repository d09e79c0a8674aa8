/**
 * Resolve `!secret env:|file:|cmd:` references and `!encrypted` age values on
 * the machine, at apply time (an edge: it reads the environment, files and
 * runs commands). Each distinct secret is resolved once, without blocking.
 * An error names the reference and where the repo sets it, never a value.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ClaudeEnvError, type ErrorLocation } from '../errors.js';
import type { SecretValue } from '../provenance/tree.js';
import { decrypt, parseIdentities } from './age.js';
import { placeOf } from '../repo/layout.js';
import type { LayerName } from '../vocabulary.js';

export interface ResolverOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Base of relative `file:` paths and of `cmd:` commands. */
  cwd: string;
  /** `--identity FILE`; else `$CLAUDE_ENV_AGE_IDENTITY`. */
  identityFile?: string | undefined;
  /** Time a `cmd:` reference may take (default 10 s). */
  cmdTimeoutMs?: number;
  /**
   * The layers whose `cmd:` references may run (claude-env.yml
   * `secrets.commands_from`): a reference set anywhere else, or whose place is
   * not known, is refused before anything runs. Absent: no command runs.
   */
  commandLayers?: ReadonlySet<LayerName>;
  /** Told each value once it is resolved, with its description (`«secret:env:NAME»`), so a caller can keep it out of what it prints. */
  onResolved?: ((value: string, description: string) => void) | undefined;
}

export type SecretResolver = (value: SecretValue, where?: ErrorLocation) => Promise<string>;

export const DEFAULT_CMD_TIMEOUT_MS = 10_000;

/** How an error names a reference: `!secret env:NAME` (the command of `cmd:` and age ciphertexts by their short hash). */
export function referenceName(value: SecretValue): string {
  return value.provider === 'age' ? `!encrypted ${value.describe()}` : `!secret ${value.describe()}`;
}

function fail(value: SecretValue, where: ErrorLocation | undefined, reason: string, hint?: string): ClaudeEnvError {
  return new ClaudeEnvError('secret-unresolved', `cannot resolve ${referenceName(value)}: ${reason}`, { ...(where ?? {}), ...(hint ? { hint } : {}) });
}

function expandHome(path: string, env: ResolverOptions['env']): string {
  if (path === '~' || path.startsWith('~/')) return `${env['HOME'] ?? ''}${path.slice(1)}`;
  return path;
}

function runCommand(command: string, opts: ResolverOptions): Promise<{ code: number | null; stdout: string; timedOut: boolean; error?: string }> {
  const timeout = opts.cmdTimeoutMs ?? DEFAULT_CMD_TIMEOUT_MS;
  return new Promise((done) => {
    const child = execFile('/bin/sh', ['-c', command], { cwd: opts.cwd, env: opts.env as NodeJS.ProcessEnv, timeout, killSignal: 'SIGKILL', maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout) => {
      if (!err) return done({ code: 0, stdout, timedOut: false });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null };
      if (e.killed) return done({ code: null, stdout: '', timedOut: true });
      done({ code: typeof e.code === 'number' ? e.code : null, stdout: '', timedOut: false, error: typeof e.code === 'string' ? e.code : undefined });
    });
    child.stdin?.end();
  });
}

const identityUnreadable = (path: string, err: unknown): ClaudeEnvError =>
  new ClaudeEnvError('age-identity', `cannot read the age identity file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });

/** The text of an age identity file (`--identity`, $CLAUDE_ENV_AGE_IDENTITY); an error names it. */
export async function readIdentityText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw identityUnreadable(path, err);
  }
}

/** The layer of the document at `file`: a repo path by the layout, an absolute one is the machine's own `local-overrides.yml`. */
function layerOfFile(file: string): LayerName | undefined {
  if (isAbsolute(file)) return 'user_local';
  return placeOf(file).layer;
}

export function createSecretResolver(opts: ResolverOptions): SecretResolver {
  const cache = new Map<string, Promise<string>>();
  let identities: string[] | undefined;
  const loadIdentities = async (value: SecretValue, where: ErrorLocation | undefined): Promise<string[]> => {
    if (identities) return identities;
    const file = opts.identityFile ?? opts.env['CLAUDE_ENV_AGE_IDENTITY'];
    if (!file) throw fail(value, where, 'no age identity given', 'pass --identity FILE or set $CLAUDE_ENV_AGE_IDENTITY');
    const path = resolve(opts.cwd, expandHome(file, opts.env));
    let text: string;
    try {
      text = await readIdentityText(path);
    } catch (err) {
      throw fail(value, where, (err as Error).message);
    }
    return (identities = parseIdentities(text, path));
  };

  const resolveOne = async (value: SecretValue, where: ErrorLocation | undefined): Promise<string> => {
    switch (value.provider) {
      case 'env': {
        const v = opts.env[value.ref];
        if (v === undefined) throw fail(value, where, `the environment variable ${value.ref} is not set`);
        return v;
      }
      case 'file': {
        const path = expandHome(value.ref, opts.env);
        const abs = isAbsolute(path) ? path : resolve(opts.cwd, path);
        try {
          return (await readFile(abs, 'utf8')).replace(/\r?\n$/, '');
        } catch (err) {
          throw fail(value, where, `cannot read ${abs} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      case 'cmd': {
        const layer = where?.file === undefined ? undefined : layerOfFile(where.file);
        if (layer === undefined || !opts.commandLayers?.has(layer)) {
          throw fail(value, where, `it runs a command, and ${layer === undefined ? 'where it is set is not known' : `the ${layer} layer is not one that claude-env.yml secrets.commands_from names`}; nothing was run`);
        }
        const r = await runCommand(value.ref, opts);
        if (r.timedOut) throw fail(value, where, `the command did not finish within ${Math.round((opts.cmdTimeoutMs ?? DEFAULT_CMD_TIMEOUT_MS) / 100) / 10} s and was killed`);
        if (r.error) throw fail(value, where, `the command could not be run (${r.error})`);
        if (r.code !== 0) throw fail(value, where, `the command exited with code ${r.code ?? 'unknown'}`);
        return r.stdout.replace(/\r?\n$/, '');
      }
      case 'age': {
        try {
          return await decrypt(value.ref, await loadIdentities(value, where), `cannot resolve ${referenceName(value)}`);
        } catch (err) {
          if (err instanceof ClaudeEnvError && where?.file) {
            throw new ClaudeEnvError(err.code, err.message, { ...where, ...(err.hint ? { hint: err.hint } : {}) });
          }
          throw err;
        }
      }
    }
  };

  return (value, where) => {
    const key = `${value.provider}\0${value.ref}`;
    let p = cache.get(key);
    if (!p) {
      p = resolveOne(value, where);
      if (opts.onResolved) p.then((v) => opts.onResolved!(v, value.describe()), () => {});
      cache.set(key, p);
    }
    return p;
  };
}
