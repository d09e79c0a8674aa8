/**
 * `claude-env agent enroll` joins the fleet; `claude-env agent [--once]`
 * checks in, applies the assigned revision and reports (src/agent/), until
 * SIGINT or SIGTERM without --once.
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { Agent, enroll } from '../agent/agent.js';
import { parseDuration } from '../controller/tokens.js';
import { readIdentity, stateDir } from '../state/identity.js';
import { homeDir } from './context.js';
import { eventLog, printJson, type CliIO } from './io.js';

export interface AgentCliOptions {
  controller?: string;
  token?: string;
  enrollToken?: string;
  env?: string;
  team?: string;
  project?: string;
  user?: string;
  home?: string;
  once?: boolean;
  interval?: string;
  identity?: string;
  json?: boolean;
}

export async function run(io: CliIO, opts: AgentCliOptions, args: string[]): Promise<ExitCode> {
  const home = homeDir(io, opts);
  const places = { home, stateDir: stateDir(home, io.env), env: io.env, cwd: io.cwd, ...(opts.identity ? { identity: opts.identity } : {}), ...(io.secrets ? { onResolved: (v: string, d: string) => io.secrets!.remember(v, d) } : {}) };
  if (args[0] === 'enroll') {
    const controller = opts.controller ?? io.env['CLAUDE_ENV_CONTROLLER'];
    if (!controller) throw new ClaudeEnvError('usage', 'agent enroll: pass --controller URL');
    const token = opts.enrollToken ?? opts.token;
    if (!token) throw new ClaudeEnvError('usage', 'agent enroll: pass --enroll-token T');
    const identity = await readIdentity(home, io.env);
    const user = opts.user ?? identity.user;
    if (!user) throw new ClaudeEnvError('usage', 'agent enroll: pass --user (this machine has no identity yet)');
    const team = opts.team ?? identity.team;
    const project = opts.project ?? identity.project;
    const got = await enroll({ ...places, controller, enrollToken: token, user, ...(opts.env ? { env_: opts.env } : {}), ...(team ? { team } : {}), ...(project ? { project } : {}) });
    if (opts.json) printJson(io, { machine_id: got.machine_id, target: got.target });
    else io.stdout.write(`enrolled as ${got.machine_id} (${[got.target.env, got.target.team, got.target.user, got.target.project].filter(Boolean).join('/')}); the agent token is in ${places.stateDir}/agent.json\n`);
    return EXIT_OK;
  }
  if (args[0] !== undefined) throw new ClaudeEnvError('usage', `agent ${args[0]}: the only action is enroll (without one, the agent runs)`);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  if (!opts.once) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const log = eventLog(io, opts.json);
  try {
    const agent = new Agent({ ...places, once: opts.once === true, intervalMs: opts.interval ? parseDuration(opts.interval, '--interval') : 60_000, signal: stop.signal, log });
    const r = await agent.run();
    if (opts.json) printJson(io, r);
    else io.stdout.write(`${r.applied ? `applied ${r.applied.revision.slice(0, 7)}: ${r.applied.result}${r.applied.error_code ? ` (${r.applied.error_code})` : ''}` : `holding ${r.revision ? r.revision.slice(0, 7) : 'nothing yet'}`}; reports delivered ${r.delivered}, waiting ${r.pending}\n`);
    return r.applied && r.applied.result !== 'ok' ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
