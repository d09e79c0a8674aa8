/**
 * The outputs of a target as the commands that write a machine take them:
 * admitted (the trust rules, the merged tree's schema and the security
 * policy hold: src/validate/target.ts), then with their secrets resolved on
 * this machine. Loaded by the commands that write only: ajv, the rules and
 * the secret resolvers stay off drift's path.
 */
import { ClaudeEnvError, formatLocation } from '../errors.js';
import { admittedOutputs, type Admitted, type RenderOptions } from '../render/index.js';
import type { Output } from '../render/outputs.js';
import type { Repo } from '../repo/repo.js';
import type { CompiledLoader } from '../schema/loader.js';
import { realSystem, type System } from '../system/system.js';
import type { Finding, LayerName, Target } from '../vocabulary.js';

/**
 * The outputs of a target with the errors that keep apply (and remediate)
 * from writing them, kept in the artefact cache with the outputs.
 */
export async function admitted(repo: Repo, target: Target, opts: RenderOptions, compiled?: CompiledLoader): Promise<Admitted> {
  const [{ admitTarget }, { ShippedSchemas }] = await Promise.all([import('../validate/target.js'), import('../schema/index.js')]);
  const schemas = compiled ? new ShippedSchemas(compiled) : undefined;
  return admittedOutputs(repo, target, opts, (merged) =>
    admitTarget({ merged, settings: repo.settings.raw, textOf: (file) => repo.document(file)?.text, isExecutableFile: (source) => (repo.source.mode(source) & 0o111) !== 0, ...(schemas ? { schemas } : {}) }),
  );
}

/** One line per finding, like validate's text report. */
export const findingLines = (findings: readonly Finding[]): string[] => findings.map((f) => `${formatLocation(f)}  ${f.severity}  ${f.rule}  ${f.message}`);

/** A target that may not be written: exit 1, the first finding's place, every finding listed. */
export function refused(target: string, findings: readonly Finding[]): ClaudeEnvError {
  const f = findings[0]!;
  return new ClaudeEnvError('target-refused', `${target} is not written: ${findings.length} error(s) in its merged configuration (${f.rule}: ${f.message})`, {
    file: f.file,
    line: f.line,
    column: f.column,
    hint: [...findingLines(findings), 'nothing was changed; `claude-env validate` shows every finding of the repo'].join('\n'),
  });
}

/** The outputs of a target that may be written; a `target-refused` error when its merged configuration fails the checks. */
export async function admittedOrRefused(repo: Repo, target: Target, name: string, opts: RenderOptions, compiled?: CompiledLoader): Promise<readonly Output[]> {
  const got = await admitted(repo, target, opts, compiled);
  // The org's policy holds whatever the flags: a target that fails it is not written, not even planned (nothing runs).
  if (got.findings.length > 0) throw refused(name, got.findings);
  return got.outputs;
}

export interface SecretContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** `--identity FILE` (else $CLAUDE_ENV_AGE_IDENTITY) for age values. */
  readonly identity?: string;
  /** claude-env's state folder: the machine key of the keyed hashes is there. */
  readonly stateDir: string;
  /** The layers that may run commands (`!secret "cmd:…"`). */
  readonly commandLayers: ReadonlySet<LayerName>;
  /** A dry run: no command runs, and the hashes use a throw-away key (nothing is written, not even the machine key). */
  readonly dryRun?: boolean;
  /** Told each secret value once it is resolved, so that the caller keeps it out of what it prints (cli/io.ts `redactingIO`). */
  readonly onResolved?: ((value: string, description: string) => void) | undefined;
  /** Where the machine key is read and made (default: the disk). */
  readonly sys?: System;
}

/**
 * The outputs as apply writes them: secrets resolved on this machine. Loads
 * the resolvers only when the target has secrets.
 */
export async function writableOutputs(outputs: readonly Output[], ctx: SecretContext): Promise<readonly Output[]> {
  if (!outputs.some((o) => o.secrets && o.secrets.length > 0)) return outputs;
  const [{ createSecretResolver }, { resolveOutputs, machineKey, keyedHasher, ephemeralKey }] = await Promise.all([import('../secrets/resolve.js'), import('../secrets/outputs.js')]);
  const sys = ctx.sys ?? realSystem();
  const timeout = Number(ctx.env['CLAUDE_ENV_SECRET_TIMEOUT_MS']);
  const resolver = createSecretResolver({
    env: ctx.env,
    cwd: ctx.cwd,
    ...(ctx.identity ? { identityFile: ctx.identity } : {}),
    ...(Number.isFinite(timeout) && timeout > 0 ? { cmdTimeoutMs: timeout } : {}),
    commandLayers: ctx.commandLayers,
    onResolved: ctx.onResolved,
  });
  // A dry run runs nothing: `cmd:` references stay unresolved.
  return resolveOutputs(outputs, resolver, async () => keyedHasher(ctx.dryRun ? ((await machineKey(sys, ctx.stateDir, false)) ?? ephemeralKey()) : (await machineKey(sys, ctx.stateDir, true))!), { runCommands: !ctx.dryRun });
}
