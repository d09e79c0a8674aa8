/**
 * What the agent keeps in $CLAUDE_ENV_HOME: `agent.json` (the controller's
 * URL, the machine id, its agent token: 0600, written once at enrollment),
 * `agent/state.json` (what it holds: the etag and revision of the last
 * assignment applied, the drift last reported) and `agent/outbox/` (reports
 * not yet delivered, one file each, named by sequence number, so a machine
 * that cannot reach the controller keeps them across restarts). Every file
 * is written whole (temp, fsync, rename).
 */
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import type { Assignment, Report, TokenKind } from '../controller/api.js';
import type { Target } from '../vocabulary.js';
import { isLink, realSystem, type System } from '../system/system.js';

export interface AgentConfig {
  readonly controller: string;
  readonly machine_id: string;
  readonly token: string;
  readonly target: Target;
}

export interface AgentState {
  /** The assignment applied last (ok), by its etag. */
  readonly held_etag: string | null;
  readonly held_revision: string | null;
  /** The last sequence number given to a report. */
  readonly seq: number;
  /** A key of the drift summary last reported (a report is made when it changes). */
  readonly drift_key: string | null;
  /** The last drift sweep this machine answered (0: none). */
  readonly sweep_done?: number;
  /**
   * The assignment whose apply failed last (by its etag): not asked for again
   * until the controller assigns something else, and until an apply works
   * again the home is not taken to hold what `held_*` say.
   */
  readonly tried_etag?: string | null;
  /** blue-green: the staged bundle prepared beside the active one, by its etag. */
  readonly staged_etag?: string | null;
}

const EMPTY: AgentState = { held_etag: null, held_revision: null, seq: 0, drift_key: null };

export class AgentFiles {
  readonly configPath: string;
  readonly statePath: string;
  readonly outboxDir: string;
  readonly lockPath: string;
  readonly assignmentPath: string;

  constructor(readonly stateDir: string, private readonly sys: System = realSystem()) {
    this.configPath = join(stateDir, 'agent.json');
    this.statePath = join(stateDir, 'agent', 'state.json');
    this.outboxDir = join(stateDir, 'agent', 'outbox');
    this.lockPath = join(stateDir, 'agent', 'lock');
    this.assignmentPath = join(stateDir, 'agent', 'assignment.json');
  }

  private async readJson(path: string): Promise<unknown> {
    const found = await this.sys.read(path);
    if (found === undefined) return undefined;
    if (isLink(found)) throw new ClaudeEnvError('state-corrupt', `${path} is a symbolic link: the agent reads only its own files`, { file: path });
    try {
      return JSON.parse(found.bytes.toString('utf8'));
    } catch (err) {
      throw new ClaudeEnvError('state-corrupt', `${path} is not JSON`, { file: path, cause: err });
    }
  }

  private async writeJson(path: string, value: unknown, mode: number): Promise<void> {
    await this.sys.mkdirp(join(path, '..'), 0o700);
    await this.sys.writeFile(path, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode);
  }

  async config(): Promise<AgentConfig> {
    const c = (await this.readJson(this.configPath)) as Partial<AgentConfig> | undefined;
    if (c === undefined) throw new ClaudeEnvError('usage', `this machine is not enrolled (no ${this.configPath}): run claude-env agent enroll --controller URL --enroll-token T`);
    if (typeof c.controller !== 'string' || typeof c.machine_id !== 'string' || typeof c.token !== 'string' || typeof c.target !== 'object') throw new ClaudeEnvError('state-corrupt', `${this.configPath} is not an agent's enrollment`, { file: this.configPath });
    return c as AgentConfig;
  }

  async hasConfig(): Promise<boolean> {
    return (await this.sys.read(this.configPath)) !== undefined;
  }

  writeConfig(c: AgentConfig): Promise<void> {
    return this.writeJson(this.configPath, c, 0o600);
  }

  async state(): Promise<AgentState> {
    const s = (await this.readJson(this.statePath)) as Partial<AgentState> | undefined;
    return { ...EMPTY, ...(s ?? {}) };
  }

  writeState(s: AgentState): Promise<void> {
    return this.writeJson(this.statePath, s, 0o600);
  }

  /** The assignment last applied (secrets still as references): the desired state the periodic drift check compares with. */
  async assignment(): Promise<Assignment | undefined> {
    return (await this.readJson(this.assignmentPath)) as Assignment | undefined;
  }

  writeAssignment(a: Assignment): Promise<void> {
    return this.writeJson(this.assignmentPath, a, 0o600);
  }

  /** Keep a report until the controller has it (it is written before it is sent). */
  async enqueue(r: Report): Promise<void> {
    await this.writeJson(join(this.outboxDir, `${String(r.seq).padStart(12, '0')}.json`), r, 0o600);
  }

  /** The reports not yet delivered, oldest first. */
  async pending(): Promise<Report[]> {
    const names = (await this.sys.list(this.outboxDir).catch(() => [] as string[])).filter((n) => /^\d{12}\.json$/.test(n)).sort();
    const out: Report[] = [];
    for (const n of names) {
      const r = (await this.readJson(join(this.outboxDir, n))) as Report | undefined;
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  async delivered(seq: number): Promise<void> {
    await this.sys.remove(join(this.outboxDir, `${String(seq).padStart(12, '0')}.json`));
  }
}

export type { TokenKind };
