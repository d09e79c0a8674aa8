/**
 * What claude-env remembers on a machine ($CLAUDE_ENV_HOME/state.json): the
 * target and revision last applied, and for every output it manages, what it
 * wrote. Only paths recorded here are ever replaced or removed.
 */
import type { HomePath, Target } from '../vocabulary.js';
import type { OutputKind } from '../render/outputs.js';

export interface ManagedOutput {
  readonly kind: OutputKind;
  /** sha256 (hex) of the managed content last written: the whole file, or for merged files (settings.json, .claude.json, CLAUDE.md) the managed part as rendered. */
  readonly hash: string;
  /** settings.json: the leaf key paths claude-env wrote (dotted, e.g. `permissions.allow`); .claude.json: the MCP server names it wrote. */
  readonly owned?: readonly string[];
  readonly mode?: number;
  /** For outputs holding secrets: each `«secret:…»` description → keyed hash of the value written. */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface MachineState {
  readonly version: 1;
  readonly target?: Target;
  readonly revision?: string;
  readonly appliedAt?: string;
  /** The `--project-dir` of the last apply: where its `@project/…` outputs are. */
  readonly projectDir?: string;
  /** The `--managed` dir of the last apply: where its managed settings are. */
  readonly managedDir?: string;
  readonly outputs: Readonly<Record<string, ManagedOutput>>;
  /** The last write claude-env made to each file, managed or not (see LastWrite). */
  readonly lastWrites?: Readonly<Record<string, LastWrite>>;
}

/**
 * One file as a change of claude-env left it: the restore point taken
 * before that change, and the sha256 (hex) of the whole file it left. A
 * rollback to that restore point puts a file still holding those bytes
 * back whole; a file someone changed since gets only claude-env's part
 * rolled back.
 */
export interface LastWrite {
  readonly point: string;
  readonly sha256: string;
}

export const EMPTY_STATE: MachineState = Object.freeze({ version: 1, outputs: Object.freeze({}) });

/** One file as it is on the machine now (content undefined: it does not exist). */
export interface ActualFile {
  readonly path: HomePath;
  readonly content: string | undefined;
  readonly mode?: number;
}

/** The files claude-env looks at on a machine: every desired output and every managed one. */
export type ActualSnapshot = ReadonlyMap<string, ActualFile>;
