/** Shared by the commands that touch a machine: where Claude Code reads, and where claude-env keeps its state. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MachineState } from '../state/types.js';
import type { Output } from '../render/outputs.js';
import { configDirOf, type ClaudeLocations } from '../apply/paths.js';
import { stateDir } from '../state/identity.js';
import { StateStore } from '../state/store.js';
import type { CliIO } from './io.js';
import { ClaudeEnvError, EXIT_FINDINGS, formatLocation } from '../errors.js';
import { admittedOutputs, type Admitted, type RenderOptions } from '../render/index.js';
import type { Repo } from '../repo/repo.js';
import type { Finding, LayerName, Target } from '../vocabulary.js';
import { homeDir, type TargetOptions } from './context.js';
import { parseWait } from './wait.js';

/** Where Claude Code reads on this machine; the project dir is `--project-dir`, else the one the last apply used. */
export function locations(io: CliIO, opts: TargetOptions, state?: MachineState): ClaudeLocations {
  const home = homeDir(io, opts);
  const configDir = io.env['CLAUDE_CONFIG_DIR'] || undefined;
  const projectDir = opts.projectDir ? resolve(io.cwd, opts.projectDir) : state?.projectDir;
  const managedDir = opts.managed ? resolve(io.cwd, opts.managed) : state?.managedDir;
  const loc: ClaudeLocations = { home, ...(configDir ? { configDir } : {}), ...(projectDir ? { projectDir } : {}), ...(managedDir ? { managedDir } : {}) };
  return { ...loc, legacyStateFile: existsSync(join(configDirOf(loc), '.config.json')) };
}

export function stateStore(io: CliIO, opts: TargetOptions): StateStore {
  return new StateStore(stateDir(homeDir(io, opts), io.env));
}

/** `--wait SECONDS` in milliseconds (0: do not wait for another claude-env); a bad value is a usage error (cli/wait.ts). */
export function waitMs(opts: { wait?: string }): number {
  return parseWait(opts.wait);
}

/**
 * The outputs as apply writes them: secrets resolved on this machine
 * (`--identity FILE` or $CLAUDE_ENV_AGE_IDENTITY for age values). Loads the
 * resolvers only when the target has secrets. A dry run hashes with a
 * throw-away key, so it writes nothing, not even the machine key.
 */
export async function writableOutputs(io: CliIO, opts: { identity?: string }, outputs: readonly Output[], stateDir: string, commandLayers: ReadonlySet<LayerName>, dryRun = false): Promise<readonly Output[]> {
  if (!outputs.some((o) => o.secrets && o.secrets.length > 0)) return outputs;
  const [{ createSecretResolver }, { resolveOutputs, machineKey, keyedHasher, ephemeralKey }] = await Promise.all([import('../secrets/resolve.js'), import('../secrets/outputs.js')]);
  const timeout = Number(io.env['CLAUDE_ENV_SECRET_TIMEOUT_MS']);
  const resolver = createSecretResolver({
    env: io.env,
    cwd: io.cwd,
    ...(opts.identity ? { identityFile: opts.identity } : {}),
    ...(Number.isFinite(timeout) && timeout > 0 ? { cmdTimeoutMs: timeout } : {}),
    commandLayers,
    onResolved: io.secrets?.remember,
  });
  // A dry run runs nothing: `cmd:` references stay unresolved.
  return resolveOutputs(outputs, resolver, () => keyedHasher(dryRun ? (machineKey(stateDir, false) ?? ephemeralKey()) : machineKey(stateDir, true)!), { runCommands: !dryRun });
}

/**
 * The outputs of a target with the errors that keep apply (and remediate)
 * from writing them: the trust rules, the merged tree's schema and the
 * security policy (src/validate/target.ts), kept in the artefact cache with
 * the outputs.
 */
export async function admitted(repo: Repo, target: Target, opts: RenderOptions): Promise<Admitted> {
  // Loaded by the commands that write only (ajv and the rules stay off drift's path).
  const { admitTarget } = await import('../validate/target.js');
  return admittedOutputs(repo, target, opts, (merged) => admitTarget({ merged, settings: repo.settings.raw, textOf: (file) => repo.document(file)?.text, isExecutableFile: (source) => (repo.source.mode(source) & 0o111) !== 0 }));
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
    exitCode: EXIT_FINDINGS,
    hint: [...findingLines(findings), 'nothing was changed; `claude-env validate` shows every finding of the repo'].join('\n'),
  });
}
