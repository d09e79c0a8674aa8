/**
 * The apply plan (pure): desired outputs + what is on the machine + what
 * claude-env wrote before → which files to write (with their final bytes),
 * which to remove, which are in the way (conflicts), and the new state.
 * `apply`, `apply --dry-run`, `diff` and the post-apply check all use it.
 */
import { sha256 } from '../provenance/hash.js';
import type { Output, OutputKind } from '../render/outputs.js';
import type { ManagedOutput, MachineState } from '../drift/types.js';
import { noLongerRendered } from '../drift/whole-files.js';
import type { Target } from '../vocabulary.js';
import { SHARED_KINDS, UnparsableFileError, mergeClaudeJson, mergeClaudeMd, mergeSettingsJson } from '../render/shared-files.js';
import { mergeAgentMcp } from '../render/agent-files.js';

export interface OnDisk {
  readonly bytes: Uint8Array;
  readonly mode: number;
}

/** What `actual` may also say: the file is a symbolic link (what it points to is not read). */
export interface LinkOnDisk {
  readonly link: true;
}

const isLink = (f: OnDisk | LinkOnDisk | undefined): f is LinkOnDisk => f !== undefined && 'link' in f && f.link === true;
const LINK_MESSAGE = 'is a symbolic link: claude-env never writes through one, nor replaces it (it is yours)';

export interface PlannedWrite {
  readonly path: string;
  readonly abs: string;
  readonly kind: OutputKind;
  readonly bytes: Uint8Array;
  readonly mode: number;
  readonly action: 'create' | 'update' | 'repair' | 'replace-unmanaged';
}

export interface PlannedRemove {
  readonly path: string;
  readonly abs: string;
}

export interface Conflict {
  readonly path: string;
  readonly abs: string;
  readonly message: string;
}

export interface Plan {
  readonly writes: readonly PlannedWrite[];
  readonly removes: readonly PlannedRemove[];
  readonly conflicts: readonly Conflict[];
  readonly unchanged: readonly string[];
  readonly newState: MachineState;
}

export interface PlanInput {
  readonly target: Target;
  readonly revision?: string;
  readonly outputs: readonly Output[];
  readonly state: MachineState;
  /** Absolute path of an output. */
  readonly locate: (homePath: string) => string;
  /** What is on disk now, by absolute path (undefined: no such file; a link: see `LinkOnDisk`). */
  readonly actual: (abs: string) => OnDisk | LinkOnDisk | undefined;
  /** Replace unmanaged files that are in the way (they are saved in the restore point first). */
  readonly force?: boolean;
  /**
   * Why an output may not be written nor removed at all (a folder on the
   * way that links out of its root), or undefined: such an output is a
   * conflict whatever `force` says, and is never read. An output that is
   * itself a link (`actual` says so) is such a conflict too.
   */
  readonly refuse?: (homePath: string, abs: string) => string | undefined;
}

const utf8 = new TextDecoder();
const bytesOf = (o: Output): Uint8Array => (o.encoding === 'base64' ? Buffer.from(o.content, 'base64') : Buffer.from(o.content));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;

/**
 * The final content of one output over what is on disk, and what claude-env
 * then owns in it: the one place that decides the bytes of an output file
 * (apply, its dry run, diff, and remediate's whole-file fixes). A
 * settings.json the user broke is replaced (`repaired`: the restore point
 * keeps it); a `.claude.json` that does not parse throws
 * UnparsableFileError (Claude Code would reset it: it is never written over).
 */
export function composeOutput(o: Output, current: OnDisk | undefined, prev: ManagedOutput | undefined): { bytes: Uint8Array; owned?: readonly string[]; repaired?: boolean } {
  const text = current ? utf8.decode(current.bytes) : undefined;
  switch (o.kind) {
    case 'settings-json': {
      try {
        const r = mergeSettingsJson(o.content, text, prev?.owned ?? []);
        return { bytes: Buffer.from(r.content), owned: r.owned };
      } catch (err) {
        if (!(err instanceof UnparsableFileError)) throw err;
        // The user broke it by hand: the restore point keeps it, the rendered settings replace it.
        const r = mergeSettingsJson(o.content, text, prev?.owned ?? [], true);
        return { bytes: Buffer.from(r.content), owned: r.owned, repaired: true };
      }
    }
    case 'claude-json':
    case 'mcp-json': {
      const r = mergeClaudeJson(o.content, text, prev?.owned ?? []);
      return { bytes: Buffer.from(r.content), owned: r.owned };
    }
    case 'claude-md':
      return { bytes: Buffer.from(mergeClaudeMd(o.content, text).content) };
    case 'agent-mcp': {
      const r = mergeAgentMcp(o.path, o.content, text, prev?.owned ?? []);
      return { bytes: Buffer.from(r.content), owned: r.owned };
    }
    default:
      return { bytes: bytesOf(o) };
  }
}

/** An output whose file on disk cannot be merged and must not be written over (a `.claude.json` that does not parse). */
export class UnmergeableFileError extends Error {
  constructor(
    readonly path: string,
    readonly abs: string,
    cause: UnparsableFileError,
  ) {
    // The merge names the file by its kind: say which file it is.
    super(`${path} ${cause.message.slice(cause.file.length + 1)}`, { cause });
  }
}

export function planApply(input: PlanInput): Plan {
  const writes: PlannedWrite[] = [];
  const removes: PlannedRemove[] = [];
  const conflicts: Conflict[] = [];
  const unchanged: string[] = [];
  const outputs: Record<string, ManagedOutput> = {};
  for (const o of input.outputs) {
    const abs = input.locate(o.path);
    const refused = input.refuse?.(o.path, abs);
    if (refused !== undefined) {
      conflicts.push({ path: o.path, abs, message: `${o.path} ${refused}; it stays as it is (--force does not change that)` });
      continue;
    }
    const found = input.actual(abs);
    if (isLink(found)) {
      conflicts.push({ path: o.path, abs, message: `${o.path} ${LINK_MESSAGE}; it stays as it is (--force does not change that)` });
      continue;
    }
    const current = found;
    const prev = input.state.outputs[o.path];
    const shared = SHARED_KINDS.has(o.kind);
    if (!shared && current && !prev && !input.force && !sameBytes(current.bytes, bytesOf(o))) {
      conflicts.push({ path: o.path, abs, message: `${o.path} exists and claude-env did not write it; it stays as it is (apply --force saves it in a restore point, then replaces it)` });
      continue;
    }
    let next: ReturnType<typeof composeOutput>;
    try {
      next = composeOutput(o, current, prev);
    } catch (err) {
      throw err instanceof UnparsableFileError ? new UnmergeableFileError(o.path, abs, err) : err;
    }
    const mode = o.kind === 'claude-json' ? 0o600 : o.secret ? 0o600 : shared && current ? current.mode : o.mode;
    // Hashed as rendered (secrets as their descriptions): state never holds a hash of a secret value but the keyed ones.
    const rendered = o.template === undefined ? bytesOf(o) : Buffer.from(o.template);
    const record: ManagedOutput = { kind: o.kind, hash: sha256(rendered), mode, ...(next.owned ? { owned: next.owned } : {}), ...(o.secretHashes ? { secrets: o.secretHashes } : {}) };
    outputs[o.path] = record;
    if (current && sameBytes(current.bytes, next.bytes) && current.mode === mode) {
      unchanged.push(o.path);
      continue;
    }
    const action = next.repaired ? 'repair' : !current ? 'create' : !shared && !prev ? 'replace-unmanaged' : 'update';
    writes.push({ path: o.path, abs, kind: o.kind, bytes: next.bytes, mode, action });
  }
  for (const [path] of noLongerRendered(input.outputs, input.state)) {
    const abs = input.locate(path);
    const refused = input.refuse?.(path, abs);
    const found = refused === undefined ? input.actual(abs) : undefined;
    if (refused !== undefined || isLink(found)) conflicts.push({ path, abs, message: `${path} ${refused ?? LINK_MESSAGE}; it is not removed` });
    else if (found) removes.push({ path, abs });
  }
  const newState: MachineState = {
    version: 1,
    target: input.target,
    ...(input.revision ? { revision: input.revision } : {}),
    outputs,
  };
  return { writes, removes, conflicts, unchanged, newState };
}
