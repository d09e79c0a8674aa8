/**
 * Reading a machine (the edge drift, diff and remediate stand on): where
 * Claude Code reads on it, claude-env's state there (an interrupted apply
 * finished or undone first), the target's outputs, and the files they are
 * compared with, all through the run's System. The comparison itself is the
 * core's (drift/compare.ts).
 */
import { agentMcpView } from '../render/agent-files.js';
import { join } from 'node:path';
import { compareDrift, severityRulesOf } from '../drift/compare.js';
import type { DriftPolicy } from '../drift/severity.js';
import type { ActualFile, ActualSnapshot, DriftReport, MachineState, McpHealth } from '../drift/types.js';
import type { SecretCheck } from '../drift/values.js';
import { mergeTarget } from '../merge/target.js';
import type { TreeMap } from '../provenance/tree.js';
import { targetOutputs } from '../render/index.js';
import type { Output } from '../render/outputs.js';
import type { LayerDocument, Repo } from '../repo/repo.js';
import type { LockOptions } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { readsManagedFragments } from '../system/claude-version.js';
import { isLink, type System } from '../system/system.js';
import type { HomePath, Target } from '../vocabulary.js';
import { configDirOf, outputLocation, type ClaudeLocations } from './paths.js';
import { recoverUnderLock } from './switch.js';

/** Where things are on a machine, as the caller was told (flags, environment); what they leave out comes from the last apply. */
export interface MachinePlaces {
  readonly home: string;
  /** claude-env's state folder (`$CLAUDE_ENV_HOME`, else `<home>/.claude-env`). */
  readonly stateDir: string;
  /** `$CLAUDE_CONFIG_DIR`. */
  readonly configDir?: string;
  /** `--project-dir`, absolute. */
  readonly projectDir?: string;
  /** `--managed`, absolute. */
  readonly managedDir?: string;
  /** The environment the machine's `claude` is found in (its PATH): what it reads decides where managed settings go. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Whether Claude Code keeps its state in a legacy `<config dir>/.config.json` here. */
const legacyStateFile = async (sys: System, places: MachinePlaces): Promise<boolean> => (await sys.lstat(join(configDirOf(places), '.config.json'))) !== undefined;

function locationsOf(places: MachinePlaces, state: MachineState | undefined, legacy: boolean): ClaudeLocations {
  const projectDir = places.projectDir ?? state?.projectDir;
  const managedDir = places.managedDir ?? state?.managedDir;
  return { home: places.home, ...(places.configDir ? { configDir: places.configDir } : {}), ...(projectDir ? { projectDir } : {}), ...(managedDir ? { managedDir } : {}), legacyStateFile: legacy };
}

/** Where Claude Code reads on this machine; the project and managed dirs are the caller's, else the ones the last apply used. */
export async function claudeLocations(sys: System, places: MachinePlaces, state?: MachineState): Promise<ClaudeLocations> {
  return withManagedFragment(locationsOf(places, state, await legacyStateFile(sys, places)), places.env);
}

/** With managed settings to write: a fragment of its own where the machine's Claude Code reads managed-settings.d. */
async function withManagedFragment(loc: ClaudeLocations, env: NodeJS.ProcessEnv | undefined): Promise<ClaudeLocations> {
  return loc.managedDir !== undefined && (await readsManagedFragments(env)) ? { ...loc, managedFragment: true } : loc;
}

/**
 * Every file drift looks at: each desired output and each output claude-env
 * manages, as Claude Code reads it (through a link: a dotfiles farm's
 * settings.json is what Claude Code uses).
 */
export async function readActual(sys: System, loc: ClaudeLocations, outputs: readonly Output[], state: MachineState): Promise<ActualSnapshot> {
  const binary = new Set(outputs.filter((o) => o.encoding === 'base64').map((o) => o.path as string));
  const paths = [...new Set<string>([...outputs.map((o) => o.path), ...Object.keys(state.outputs)])];
  const files = await Promise.all(
    paths.map(async (path): Promise<ActualFile> => {
      const abs = outputLocation(loc, path);
      let found = await sys.read(abs);
      if (isLink(found)) {
        const real = await sys.realpath(abs);
        found = real === undefined ? undefined : await sys.read(real);
      }
      const file = isLink(found) ? undefined : found;
      return { path: path as HomePath, content: file ? file.bytes.toString(binary.has(path) ? 'base64' : 'utf8') : undefined, ...(file ? { mode: file.mode } : {}) };
    }),
  );
  return new Map(files.map((f) => [f.path as string, f]));
}

export interface MachineView {
  readonly repo: Repo;
  readonly target: Target;
  /** The merged tree the outputs are rendered from, merged on first use (the outputs may come from the cache). */
  mergedTree(): TreeMap;
  /** The rendered outputs, secrets unresolved. */
  readonly outputs: readonly Output[];
  readonly store: StateStore;
  readonly state: MachineState;
  readonly loc: ClaudeLocations;
  readonly actual: ActualSnapshot;
  /** Tells a changed secret on disk, by the keyed hashes of the values apply wrote. */
  readonly secretCheck?: SecretCheck | undefined;
  /** The target's security policy, as drift ranks by it. */
  readonly policy: DriftPolicy | undefined;
}

export interface ReadMachineInput {
  readonly repo: Repo;
  readonly target: Target;
  /** The machine's own layer (`local-overrides.yml`). */
  readonly extra: readonly LayerDocument[];
  readonly places: MachinePlaces;
  readonly sys: System;
  /**
   * The outputs as a command that writes takes them (remediate): they must
   * pass apply's checks (`admit`, from apply/outputs.ts, loaded by those
   * commands only). Without it, the outputs as rendered (drift, diff).
   */
  readonly admit?: (repo: Repo, target: Target, opts: { extra: readonly LayerDocument[]; projectMcp: boolean; managed: boolean }) => Promise<readonly Output[]>;
  /** Recorded in claude-env's lock if an interrupted apply must be finished first. */
  readonly command: string;
  readonly lockOptions?: LockOptions;
  /** How long the recovery of an interrupted apply waits for Claude Code's lock. */
  readonly claudeWaitMs?: number;
}

/** Render the target and read the machine (finishing an interrupted apply first). */
export async function readMachine(input: ReadMachineInput): Promise<MachineView> {
  const { repo, target, extra, sys } = input;
  const store = new StateStore(input.places.stateDir, sys, input.lockOptions);
  // Read at once (each is a trip to the disk): the journal of an interrupted apply, the state, Claude Code's legacy state file.
  const [journal, stateNow, legacy] = await Promise.all([store.readJournal(), store.readState().catch((err: unknown) => err as Error), legacyStateFile(sys, input.places)]);
  let state: MachineState;
  if (journal) {
    // An interrupted apply is finished or undone first: the state is the one it leaves.
    await recoverUnderLock(store, input.command, 0, input.claudeWaitMs === undefined ? {} : { waitMs: input.claudeWaitMs });
    state = await store.readState();
  } else if (stateNow instanceof Error) throw stateNow;
  else state = stateNow;
  const loc = await withManagedFragment(locationsOf(input.places, state, legacy), input.places.env);
  const renderOpts = { extra: [...extra], projectMcp: loc.projectDir !== undefined, managed: loc.managedDir !== undefined, managedFragment: loc.managedFragment === true };
  const outputs = input.admit ? await input.admit(repo, target, renderOpts) : targetOutputs(repo, target, renderOpts);
  let tree: TreeMap | undefined;
  const mergedTree = (): TreeMap => (tree ??= mergeTarget(repo, target, { extra: [...extra] }).tree);
  const actual = await readActual(sys, loc, outputs, state);
  // What only some machines need loads only there: the secret check where state holds secret hashes, the
  // security policy (it needs the merged tree) where an MCP server claude-env does not manage is to be ranked.
  const secretCheck = Object.values(state.outputs).some((o) => o.secrets) ? await (await import('../secrets/outputs.js')).secretCheckOf(sys, store.dir, state) : undefined;
  let policy: DriftPolicy | undefined;
  if (hasUnmanagedServers(outputs, actual)) {
    const { driftPolicy } = await import('../validate/policy.js');
    policy = driftPolicy(mergedTree());
  }
  return { repo, target, mergedTree, outputs, store, state, loc, actual, secretCheck, policy };
}

/** Whether a file claude-env writes MCP servers into holds servers it did not render. */
function hasUnmanagedServers(outputs: readonly Output[], actual: ActualSnapshot): boolean {
  const names = (text: string | undefined, path?: string): string[] => {
    try {
      const servers = (path === undefined ? (JSON.parse(text ?? '{}') as { mcpServers?: unknown }) : agentMcpView(path, text)).mcpServers;
      return servers && typeof servers === 'object' ? Object.keys(servers) : [];
    } catch {
      return [];
    }
  };
  return outputs.some((o) => {
    if (o.kind !== 'claude-json' && o.kind !== 'mcp-json' && o.kind !== 'agent-mcp') return false;
    const want = new Set(names(o.content));
    return names(actual.get(o.path)?.content, o.kind === 'agent-mcp' ? o.path : undefined).some((n) => !want.has(n));
  });
}

/** The drift report of a view (with `drift --online`, each MCP server's health). */
export function driftReport(view: MachineView, mcpHealth?: readonly McpHealth[]): DriftReport {
  return compareDrift({
    target: view.target,
    desired: view.outputs,
    actual: view.actual,
    state: view.state,
    rules: severityRulesOf(view.repo.settings.raw),
    ...(view.secretCheck ? { secretCheck: view.secretCheck } : {}),
    ...(mcpHealth ? { mcpHealth } : {}),
    ...(view.policy ? { policy: view.policy } : {}),
  });
}

/** The view again after a change: state and files re-read, the secret check as the new state has it. */
export async function rereadMachine(view: MachineView): Promise<MachineView> {
  const state = await view.store.readState();
  const actual = await readActual(view.store.sys, view.loc, view.outputs, state);
  const secretCheck = Object.values(state.outputs).some((o) => o.secrets) ? await (await import('../secrets/outputs.js')).secretCheckOf(view.store.sys, view.store.dir, state) : undefined;
  return { ...view, state, actual, secretCheck };
}
