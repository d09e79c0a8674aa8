/**
 * The agent (SPEC.md "The fleet"): on a developer machine, it checks in with
 * the controller, applies the assignment it gets through the same apply as
 * `claude-env apply` (lock, restore point, journal-backed switch, post-apply
 * check, automatic rollback), and reports. Pull only: it needs no access to
 * the config repo, and secrets are resolved here.
 *
 * Between intervals it waits on a long poll, so a new revision reaches it in
 * seconds. Each report gets the next sequence number and is written to the
 * outbox before it is sent; a controller that cannot be reached keeps them
 * there, and they are sent in order later, with backoff and jitter. One
 * agent at a time per machine (its own lock), and apply's lock keeps an
 * agent's apply and a person's from running at once.
 */
import { hostname } from 'node:os';
import { ClaudeEnvError } from '../errors.js';
import type { Assignment, DriftSummary, EnrollResponse, Report, ReportAck } from '../controller/api.js';
import { takeLock } from '../state/lock.js';
import { claudeVersionOnPath } from '../system/claude-version.js';
import { ApiClient } from './client.js';
import { applyAssignment, driftSummary } from './bundle.js';
import { stageAssignment, sweepAssignment } from './sweep.js';
import { AgentFiles, type AgentState } from './store.js';

export interface AgentPlaces {
  readonly home: string;
  /** $CLAUDE_ENV_HOME. */
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** An age identity for `!encrypted` values. */
  readonly identity?: string;
  readonly onResolved?: (value: string, description: string) => void;
}

export interface EnrollOptions extends AgentPlaces {
  readonly controller: string;
  readonly enrollToken: string;
  readonly env_?: string;
  readonly team?: string;
  readonly project?: string;
  readonly user: string;
  readonly claudeVersion?: string;
  readonly fetch?: typeof fetch;
}

/** Join the environment of the enroll token; the agent token is kept 0600 with the controller's URL. */
export async function enroll(opts: EnrollOptions): Promise<EnrollResponse> {
  const files = new AgentFiles(opts.stateDir);
  const client = new ApiClient(opts.controller, opts.enrollToken, opts.fetch);
  // The machine's Claude Code, as `claude --version` on its PATH says (none when there is none).
  const claudeVersion = opts.claudeVersion ?? (await claudeVersionOnPath(opts.env));
  const res = await client.call<EnrollResponse>('/enroll', {
    method: 'POST',
    body: { ...(opts.env_ ? { env: opts.env_ } : {}), ...(opts.team ? { team: opts.team } : {}), ...(opts.project ? { project: opts.project } : {}), user: opts.user, hostname: hostname(), ...(claudeVersion ? { claude_version: claudeVersion } : {}) },
  });
  const got = res.body!;
  await files.writeConfig({ controller: client.base, machine_id: got.machine_id, token: got.token, target: got.target });
  // A new enrollment starts a new sequence (the controller knows this machine id from zero).
  await files.writeState({ held_etag: null, held_revision: null, seq: 0, drift_key: null });
  return got;
}

export interface AgentOptions extends AgentPlaces {
  /** One check-in, apply and report, then return (`agent --once`). */
  readonly once?: boolean;
  /** How often drift is checked and reported (default 60 s); the long poll waits up to this long. */
  readonly intervalMs?: number;
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  readonly log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Bounds of the backoff when the controller cannot be reached (default 1 s to 5 min). */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  /** How long to wait for apply's lock (default 30 s). */
  readonly applyWaitMs?: number;
  readonly random?: () => number;
}

export interface CycleResult {
  /** The revision applied in this cycle, when one came. */
  readonly applied?: { readonly revision: string; readonly result: Report['result']; readonly error_code: string | null };
  /** Reports delivered in this cycle. */
  readonly delivered: number;
  /** Reports still in the outbox. */
  readonly pending: number;
  /** The drift sweep answered in this cycle. */
  readonly swept?: number;
  readonly revision: string | null;
}

const RETRY_CODES = new Set(['unreachable', 'unavailable', 'internal']);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const driftKey = (d: DriftSummary | null): string => (d === null ? 'none' : `${d.drift_percentage}|${d.risk_level}|${d.items.map((i) => `${i.path}:${i.severity}`).join(',')}`);

export class Agent {
  private readonly files: AgentFiles;
  private readonly log: NonNullable<AgentOptions['log']>;
  private readonly random: () => number;

  constructor(private readonly opts: AgentOptions) {
    this.files = new AgentFiles(opts.stateDir);
    this.log = opts.log ?? (() => {});
    this.random = opts.random ?? Math.random;
  }

  /** `agent --once` or the loop, under the agent's own lock. */
  async run(): Promise<CycleResult> {
    const release = await takeLock(this.files.lockPath, 'agent', 0).catch((err: unknown) => {
      if (err instanceof ClaudeEnvError && err.code === 'lock-held') throw new ClaudeEnvError('lock-held', 'another agent runs on this machine (one agent per $CLAUDE_ENV_HOME)', { cause: err });
      throw err;
    });
    try {
      if (this.opts.once) return await this.cycle(0);
      return await this.loop();
    } finally {
      await release();
    }
  }

  private async loop(): Promise<CycleResult> {
    const interval = this.opts.intervalMs ?? 60_000;
    const { min, max } = this.opts.backoffMs ?? { min: 1000, max: 300_000 };
    let failures = 0;
    let last: CycleResult = { delivered: 0, pending: 0, revision: null };
    let nextDrift = 0;
    while (!this.opts.signal?.aborted) {
      try {
        const now = Date.now();
        // The periodic work (drift) is due: do it and check in without waiting; else wait on the long poll until it is.
        const due = now >= nextDrift;
        if (due) nextDrift = now + interval;
        last = await this.cycle(due ? 0 : nextDrift - now, due);
        failures = 0;
        if (last.applied && last.applied.result !== 'ok') await sleep(Math.min(interval, max), this.opts.signal);
      } catch (err) {
        if (!(err instanceof ClaudeEnvError) || !RETRY_CODES.has(err.code)) throw err;
        failures += 1;
        const ms = Math.min(max, min * 2 ** Math.min(failures - 1, 20)) * (0.5 + this.random() / 2);
        this.log('controller-unreachable', { code: err.code, retry_in_ms: Math.round(ms) });
        await sleep(ms, this.opts.signal);
      }
    }
    return last;
  }

  /** Deliver what waits, check in (long-polling up to `waitMs`), apply a new assignment, report, deliver. */
  async cycle(waitMs: number, driftDue = waitMs === 0): Promise<CycleResult> {
    const cfg = await this.files.config();
    const client = new ApiClient(cfg.controller, cfg.token, this.opts.fetch);
    let state = await this.files.state();
    const places = { home: this.opts.home, stateDir: this.opts.stateDir, env: this.opts.env, cwd: this.opts.cwd };
    // The periodic drift check, made whether or not the controller answers: reported when it changed.
    if (driftDue && state.held_revision !== null) {
      const held = await this.files.assignment();
      const drift = held ? await driftSummary({ assignment: held, ...places }).catch(() => null) : null;
      if (drift !== null && driftKey(drift) !== state.drift_key) {
        state = await this.report(state, { revision: state.held_revision, assigned_revision: state.held_revision, result: 'ok', error_code: null, drift });
      }
    }
    let delivered = await this.deliver(client, cfg.machine_id);
    const waitS = Math.ceil(waitMs / 1000);
    const query = `?sweep=${state.sweep_done ?? 0}${waitS > 0 ? `&wait=${waitS}` : ''}`;
    const res = await client.call<Assignment>(`/machines/${encodeURIComponent(cfg.machine_id)}/assignment${query}`, {
      headers: (state.tried_etag ?? state.held_etag) ? { 'If-None-Match': `"${state.tried_etag ?? state.held_etag}"` } : {},
      timeoutMs: waitMs + 30_000,
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    });
    let applied: CycleResult['applied'];
    let sweptId: number | undefined;
    if (res.status === 200 && res.body) {
      const a = res.body;
      const held = state.held_revision === a.revision ? await this.files.assignment() : undefined;
      // Only the staged part is new (blue-green staging): the active revision stays as it is, applied once.
      const activeSame = !state.tried_etag && held !== undefined && held.revision === a.revision && JSON.stringify(held.files) === JSON.stringify(a.files);
      if (activeSame) {
        state = await this.stage(state, a, places);
      } else {
      const started = Date.now();
      const out = await applyAssignment({ assignment: a, ...places, ...(this.opts.identity ? { identity: this.opts.identity } : {}), waitMs: this.opts.applyWaitMs ?? 30_000, ...(this.opts.onResolved ? { onResolved: this.opts.onResolved } : {}) });
      const drift = await driftSummary({ assignment: a, ...places }).catch(() => null);
      state = await this.report(state, {
        revision: out.revision_now,
        assigned_revision: a.revision,
        result: out.result,
        error_code: out.error_code,
        timings: { ...out.timings, total_ms: Date.now() - started },
        drift,
      });
      if (out.result === 'ok') {
        await this.files.writeAssignment(a);
        state = { ...state, held_etag: a.etag, held_revision: a.revision, staged_etag: null, tried_etag: null };
        await this.files.writeState(state);
        state = await this.stage(state, a, places);
      } else {
        // Waits on the long poll for a different assignment (a rollback, a fix), which is then applied whatever the home held.
        state = { ...state, tried_etag: a.etag };
        await this.files.writeState(state);
      }
      applied = { revision: a.revision, result: out.result, error_code: out.error_code };
      this.log('applied', { revision: a.revision, result: out.result, ...(out.error_code ? { error_code: out.error_code } : {}) });
      }
    }
    // A drift sweep the controller asks for: drift with the MCP servers checked, critical items fixed within its limit, the rest reported.
    const sweepHeader = Number(res.headers.get('x-claude-env-sweep') ?? NaN);
    if (Number.isSafeInteger(sweepHeader) && sweepHeader > (state.sweep_done ?? 0) && state.held_revision !== null) {
      const held = await this.files.assignment();
      if (held) {
        const maxFixes = Math.max(0, Number(res.headers.get('x-claude-env-max-fixes') ?? 10) || 0);
        const out = await sweepAssignment({ assignment: held, ...places, ...(this.opts.identity ? { identity: this.opts.identity } : {}), waitMs: this.opts.applyWaitMs ?? 30_000, maxFixes, online: true, ...(this.opts.onResolved ? { onResolved: this.opts.onResolved } : {}) });
        state = await this.report({ ...state, sweep_done: sweepHeader }, {
          revision: state.held_revision,
          assigned_revision: state.held_revision,
          result: out.error_code === null ? 'ok' : 'failed',
          error_code: out.error_code,
          drift: out.after,
          sweep: { id: sweepHeader, fixed: out.fixed, manual: out.manual, mcp_down: out.mcp_down },
        });
        sweptId = sweepHeader;
        this.log('swept', { sweep: sweepHeader, fixed: out.fixed, manual: out.manual.length, mcp_down: out.mcp_down.length });
      }
    }
    delivered += await this.deliver(client, cfg.machine_id);
    return { ...(applied ? { applied } : {}), ...(sweptId !== undefined ? { swept: sweptId } : {}), delivered, pending: (await this.files.pending()).length, revision: state.held_revision };
  }

  /**
   * blue-green: prepare the staged revision beside the active one (rendered,
   * secrets resolved, nothing written to the home) and say whether it can be
   * switched to; the bundle is kept with the active one, so the switch and
   * its undo are each one apply of a set the machine already holds.
   */
  private async stage(state: AgentState, a: Assignment, places: { home: string; stateDir: string; env: NodeJS.ProcessEnv; cwd: string }): Promise<AgentState> {
    if (!a.stage || state.staged_etag === a.stage.etag) {
      if (state.held_etag !== a.etag) {
        state = { ...state, held_etag: a.etag };
        await this.files.writeAssignment(a);
        await this.files.writeState(state);
      }
      return state;
    }
    const out = await stageAssignment({ stage: a.stage, target: a.target, environment: a.environment, ...places, ...(this.opts.identity ? { identity: this.opts.identity } : {}), ...(this.opts.onResolved ? { onResolved: this.opts.onResolved } : {}) });
    await this.files.writeAssignment(a);
    state = await this.report({ ...state, held_etag: a.etag, staged_etag: a.stage.etag }, {
      revision: state.held_revision,
      assigned_revision: a.revision,
      result: out.ok ? 'ok' : 'failed',
      error_code: out.error_code,
      staged_revision: a.stage.revision,
    });
    this.log('staged', { revision: a.stage.revision, ok: out.ok, ...(out.error_code ? { error_code: out.error_code } : {}) });
    return state;
  }

  private async report(state: AgentState, r: Omit<Report, 'seq' | 'at'>): Promise<AgentState> {
    const seq = state.seq + 1;
    const next: AgentState = { ...state, seq, drift_key: driftKey(r.drift ?? null) };
    const claude = await claudeVersionOnPath(this.opts.env);
    // The sequence number is taken before the report exists: a crash between the two skips a number, never reuses one.
    await this.files.writeState(next);
    await this.files.enqueue({ seq, at: Date.now(), ...r, ...(claude ? { claude_version: claude } : {}) });
    return next;
  }

  /** Send the outbox in order; stops at the first that cannot be delivered now (kept for later). */
  private async deliver(client: ApiClient, id: string): Promise<number> {
    let n = 0;
    for (const r of await this.files.pending()) {
      try {
        await client.call<ReportAck>(`/machines/${encodeURIComponent(id)}/reports`, { method: 'POST', body: r });
      } catch (err) {
        if (err instanceof ClaudeEnvError && err.code === 'bad-request') {
          // The controller will never take it: dropped, said, and the next ones go on.
          this.log('report-refused', { seq: r.seq, message: err.message });
        } else throw err;
      }
      await this.files.delivered(r.seq);
      n += 1;
    }
    return n;
  }
}
