/**
 * `demo`: the main job on embedded defaults, in a temp dir, step by step:
 * scaffold a config repo, validate it, render a developer's target, explain
 * where a value came from and how environments differ, apply into a sandbox
 * home, edit by hand, see that drift, remediate it, and see it clean — with
 * the user's own setting kept. Then the fleet: a controller on 127.0.0.1
 * over SQLite, three developers' machines (sandbox homes) enrolled as
 * agents, a commit to the config repo that every agent applies, and
 * `fleet status` showing them all in sync at it. Every step checks its outcome against what it
 * set out to do, and the demo stops at the first step whose outcome is
 * wrong, saying why. The machine half runs the commands a developer types
 * (the caller's `command`), with --json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeEnvError } from '../errors.js';
import { explain, type Explanation } from '../merge/explain.js';
import { formatExplanation } from '../merge/explain-text.js';
import { Repo } from '../repo/repo.js';
import { describeTarget } from '../repo/target-name.js';
import { renderTarget } from '../render/index.js';
import { worktreeSource } from '../blocking/sources.js';
import { validateRepo } from '../validate/index.js';
import type { Target } from '../vocabulary.js';
import { initRepo } from '../workspace/init.js';
import { createTokenIn } from '../controller/controller.js';
import { startController, type RunningController } from '../controller/serve.js';
import { runGit } from '../system/git.js';

export const STEPS = ['init', 'validate', 'render', 'explain', 'environments', 'apply', 'manual edit', 'drift', 'remediate', 'drift again', 'fleet: controller', 'fleet: enroll', 'fleet: commit', 'fleet: status'] as const;
export type StepName = (typeof STEPS)[number];

export interface DemoStep {
  readonly step: StepName;
  /** Whether the outcome is what the step set out to do. */
  readonly ok: boolean;
  /** What happened; for a wrong outcome, why it is wrong. */
  readonly summary: string;
  readonly detail?: unknown;
  /** Lines that show the outcome (files, the explanation, drift items). */
  readonly text?: string;
}

/** A claude-env command as a developer types it: its exit code and what it printed. */
export type RunCommand = (args: string[], env: NodeJS.ProcessEnv, cwd: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The demo's folders, as a step finds them. */
export interface DemoPlaces {
  readonly root: string;
  readonly repo: string;
  readonly home: string;
}

export interface DemoOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly command: RunCommand;
  /** Keep the temp dir (else it is removed at the end). */
  readonly keep?: boolean;
  /** Each step as it ends. */
  readonly onStep?: (s: DemoStep) => void;
  /** Called before each step: a test changes what the step will find there. */
  readonly beforeStep?: (step: StepName, places: DemoPlaces) => void | Promise<void>;
}

export interface DemoReport {
  /** The temp dir, when kept. */
  readonly dir?: string;
  readonly steps: DemoStep[];
  /** Every step ran and its outcome was right. */
  readonly ok: boolean;
}

const KEY = 'settings.permissions.defaultMode';
/** The developer's environment, and the one the demo compares it with. */
const ENV = 'development';
const OTHER_ENV = 'production';
const SETTINGS = '.claude/settings.json';
/** The files the demo's later steps read: every target of the seed gets them. */
const EXPECTED_OUTPUTS = [SETTINGS, '.claude/CLAUDE.md'];

type Json = Record<string, any>;
const step = (name: StepName, ok: boolean, summary: string, more: { detail?: unknown; text?: string } = {}): DemoStep => ({ step: name, ok, summary, ...more });
const show = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const root = mkdtempSync(join(tmpdir(), 'claude-env-demo-'));
  const places: DemoPlaces = { root, repo: join(root, 'config-repo'), home: join(root, 'home') };
  const steps: DemoStep[] = [];
  const run = new DemoRun(places, opts);
  try {
    for (const name of STEPS) {
      await opts.beforeStep?.(name, places);
      let s: DemoStep;
      try {
        s = await run.step(name);
      } catch (err) {
        s = step(name, false, `could not run: ${err instanceof ClaudeEnvError ? err.format() : err instanceof Error ? err.message : String(err)}`);
      }
      steps.push(s);
      opts.onStep?.(s);
      if (!s.ok) break;
    }
    return { ...(opts.keep ? { dir: root } : {}), steps, ok: steps.length === STEPS.length && steps.every((s) => s.ok) };
  } finally {
    await run.close();
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
}

/** The developers whose machines join the fleet in the demo (seed members of frontend-team). */
const FLEET_USERS = ['alice', 'bob', 'carol'] as const;

/** The steps, each with what the earlier ones left. */
class DemoRun {
  private repo!: Repo;
  private target!: Target;
  private dev!: Explanation;
  private rendered: string[] = [];
  /** What `manual edit` changed in settings.json. */
  private planted!: { removed: string | undefined; theme: string };
  private readonly env: NodeJS.ProcessEnv;
  private serving: RunningController | undefined;
  private admin = '';
  private head = '';

  constructor(
    private readonly at: DemoPlaces,
    private readonly opts: DemoOptions,
  ) {
    // The scaffold's docs server takes its token from the machine (`!secret env:DOCS_MCP_TOKEN`): the sandbox gets a made-up one,
    // which apply writes into the sandbox's .claude.json only and which no report shows.
    this.env = { DOCS_MCP_TOKEN: 'Bearer demo-token-not-a-real-one', ...opts.env, HOME: at.home, CLAUDE_ENV_HOME: join(at.home, '.claude-env') };
    delete this.env['CLAUDE_CONFIG_DIR'];
  }

  step(name: StepName): Promise<DemoStep> | DemoStep {
    const steps: Record<StepName, () => Promise<DemoStep> | DemoStep> = {
      init: () => this.init(),
      validate: () => this.validate(),
      render: () => this.render(),
      explain: () => this.explain(),
      environments: () => this.environments(),
      apply: () => this.apply(),
      'manual edit': () => this.edit(),
      drift: () => this.drift(),
      remediate: () => this.remediate(),
      'drift again': () => this.driftAgain(),
      'fleet: controller': () => this.controller(),
      'fleet: enroll': () => this.enroll(),
      'fleet: commit': () => this.fleetCommit(),
      'fleet: status': () => this.fleetStatus(),
    };
    return steps[name]();
  }

  private async init(): Promise<DemoStep> {
    const r = await initRepo(this.at.repo, this.opts.env);
    return step('init', r.files.length > 0, `scaffolded ${r.files.length} files in ${this.at.repo}, commit ${r.commit.slice(0, 12)}`);
  }

  private async validate(): Promise<DemoStep> {
    this.repo = new Repo(worktreeSource(this.at.repo));
    const v = await validateRepo(this.repo);
    const first = v.findings.find((f) => f.severity === 'error');
    const why = first ? `; first: ${first.file}:${first.line}:${first.column}  ${first.rule}  ${first.message}` : '';
    return step('validate', v.summary.errors === 0, `${v.summary.errors} error(s), ${v.summary.warnings} warning(s) over ${this.repo.allDocuments().length} documents${why}`, { detail: v.findings });
  }

  private render(): DemoStep {
    const team = this.repo.teams()[0]!;
    const member = this.repo.members(team).find((m) => m.projects.length > 0) ?? this.repo.members(team)[0]!;
    this.target = this.repo.resolveTarget({ env: ENV, team: member.team, user: member.user, ...(member.projects[0] ? { project: member.projects[0] } : {}) });
    const r = renderTarget(this.repo, this.target);
    this.rendered = r.outputs.map((o) => o.path);
    const errors = r.findings.filter((f) => f.severity === 'error');
    const missing = EXPECTED_OUTPUTS.filter((p) => !this.rendered.includes(p));
    const empty = r.outputs.filter((o) => o.content.length === 0).map((o) => o.path);
    const problems = [errors.length ? `${errors.length} error(s), first: ${errors[0]!.message}` : '', missing.length ? `no ${missing.join(', ')}` : '', empty.length ? `empty ${empty.join(', ')}` : ''].filter(Boolean);
    const text = r.outputs.map((o) => `${o.path}  (${o.content.length} bytes${o.mode === 0o755 ? ', executable' : ''})`).join('\n');
    return step('render', problems.length === 0, `${r.outputs.length} native files for ${describeTarget(this.target)}${problems.length ? `; ${problems.join('; ')}` : ''}`, { detail: this.rendered, text });
  }

  private explain(): DemoStep {
    const e = (this.dev = explain(this.repo, this.target, KEY));
    const from = e.winner ? `from ${e.winner.file}:${e.winner.line}:${e.winner.column}` : 'set by no layer';
    return step('explain', e.winner !== null, `${KEY} = ${show(e.value)} ${from}`, { detail: e, text: formatExplanation(e).trimEnd() });
  }

  private environments(): DemoStep {
    const e = explain(this.repo, { ...this.target, env: OTHER_ENV }, KEY);
    const differs = e.winner !== null && show(e.value) !== show(this.dev.value);
    const how = differs ? '' : `; expected a value other than ${show(this.dev.value)}`;
    return step('environments', differs, `in ${OTHER_ENV} the same developer gets ${show(e.value)} (${e.winner?.file ?? 'no layer'})${how}`);
  }

  /** A command with the sandbox target's flags and --json. */
  private async command(args: string[]): Promise<{ code: number; report: Json; error: string }> {
    const t = this.target;
    const flags = ['--repo', this.at.repo, '--env', t.env, '--team', t.team!, '--user', t.user!, ...(t.project ? ['--project', t.project] : []), '--home', this.at.home];
    const r = await this.opts.command([...args, ...flags, '--json'], this.env, this.at.root);
    let report: Json = {};
    try {
      report = JSON.parse(r.stdout) as Json;
    } catch {
      // no report: the command failed before it made one (the error says why)
    }
    return { code: r.code, report, error: r.stderr.trim().split('\n')[0] ?? '' };
  }

  private async apply(): Promise<DemoStep> {
    mkdirSync(this.at.home, { recursive: true });
    const { code, report, error } = await this.command(['apply']);
    if (code !== 0) return step('apply', false, `apply exited ${code}: ${error || show(report['conflicts'])}`, { detail: report });
    const written = (report['written'] ?? []) as Array<{ path: string; bytes: number; mode: string }>;
    const onDisk = (w: { path: string; bytes: number; mode: string }): boolean => {
      const st = statSync(join(this.at.home, w.path), { throwIfNoEntry: false });
      return st !== undefined && st.size === w.bytes && `0${(st.mode & 0o777).toString(8)}` === w.mode;
    };
    const notWritten = this.rendered.filter((p) => !written.some((w) => w.path === p));
    const wrong = written.filter((w) => !onDisk(w)).map((w) => w.path);
    const problems = [notWritten.length ? `not written: ${notWritten.join(', ')}` : '', wrong.length ? `not on disk as reported: ${wrong.join(', ')}` : ''].filter(Boolean);
    return step('apply', problems.length === 0, `${written.length} files written into the sandbox home ${this.at.home}, restore point ${report['restore_point']}${problems.length ? `; ${problems.join('; ')}` : ''}`, { detail: report });
  }

  private edit(): DemoStep {
    const file = join(this.at.home, SETTINGS);
    const edited = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const denied = (edited['permissions']?.['deny'] ?? []) as string[];
    edited['permissions'] = { ...edited['permissions'], deny: denied.slice(1) };
    edited['theme'] = 'light';
    writeFileSync(file, JSON.stringify(edited, null, 2));
    this.planted = { removed: denied[0], theme: 'light' };
    const now = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const done = now['theme'] === 'light' && (now['permissions']?.['deny'] ?? []).length === Math.max(0, denied.length - 1);
    const removed = denied[0] === undefined ? '' : `removed the deny rule ${show(denied[0])} and `;
    return step('manual edit', done, `${removed}added "theme": "light" in ~/${SETTINGS}${done ? '' : '; the file does not hold the edit'}`);
  }

  private async drift(): Promise<DemoStep> {
    const { code, report, error } = await this.command(['drift']);
    const items = (report['items'] ?? []) as Json[];
    const { removed, theme } = this.planted;
    const deny = items.find((i) => i['file'] === SETTINGS && i['path'] === 'settings.permissions.deny');
    const denyFound = removed === undefined || (deny !== undefined && (deny['expected'] as string[]).includes(removed) && !(deny['actual'] as string[]).includes(removed));
    const themeFound = items.some((i) => i['file'] === SETTINGS && i['path'] === 'settings.theme' && i['actual'] === theme);
    const text = items.map((i) => `${String(i['severity']).padEnd(8)} ${String(i['category']).padEnd(16)} ${i['path']}`).join('\n');
    const summary = `${items.length} item(s), ${report['drift_percentage']}% drifted, risk ${report['risk_level']}`;
    if (code !== 1) return step('drift', false, `drift exited ${code}, not 1 (drift found)${error ? `: ${error}` : ''}; ${summary}`, { detail: report, text });
    const missed = [denyFound ? '' : `the removed deny rule ${show(removed)}`, themeFound ? '' : `the added "theme"`].filter(Boolean);
    return step('drift', missed.length === 0, missed.length ? `${summary}; the planted drift is not reported: ${missed.join(', ')}` : summary, { detail: report, text });
  }

  private async remediate(): Promise<DemoStep> {
    const { code, report, error } = await this.command(['remediate', '--max-fixes', '5']);
    const fixed = (report['fixed'] ?? []) as Json[];
    const after = report['drift_after']?.['drift_percentage'];
    const summary = `fixed ${fixed.length} item(s); drift ${report['drift_before']?.['drift_percentage']}% → ${after}%`;
    const problems = [code !== 0 ? `remediate exited ${code}${error ? `: ${error}` : ''}` : '', fixed.some((f) => f['path'] === 'settings.permissions.deny') ? '' : 'the deny rules were not restored', after === 0 ? '' : 'drift is not 0% after'].filter(Boolean);
    return step('remediate', problems.length === 0, problems.length ? `${summary}; ${problems.join('; ')}` : summary, { detail: report });
  }

  private async driftAgain(): Promise<DemoStep> {
    const { code, report, error } = await this.command(['drift']);
    const settings = JSON.parse(readFileSync(join(this.at.home, SETTINGS), 'utf8')) as Json;
    const kept = settings['theme'] === this.planted.theme;
    const clean = code === 0 && report['drift_percentage'] === 0;
    const why = clean ? '' : `; expected 0% and exit 0, got exit ${code}${error ? `: ${error}` : ''}`;
    return step('drift again', clean && kept, `${report['drift_percentage']}% drifted, risk ${report['risk_level']}; the user's own "theme" ${kept ? 'is kept' : 'was lost'}${why}`, { detail: report });
  }

  async close(): Promise<void> {
    await this.serving?.close();
  }

  /** A machine of the fleet: its own sandbox home and claude-env folder. */
  private machineEnv(user: string): NodeJS.ProcessEnv {
    const home = join(this.at.root, 'fleet', user);
    return { ...this.env, HOME: home, CLAUDE_ENV_HOME: join(home, '.claude-env') };
  }

  private async controller(): Promise<DemoStep> {
    this.serving = await startController({ repo: this.at.repo, branch: 'main', db: join(this.at.root, 'controller.db'), listen: '127.0.0.1:0', workDir: join(this.at.root, 'controller'), processMetrics: false, leaderRetryMs: 100 });
    const ctl = this.serving.controller;
    const deadline = Date.now() + 30_000;
    while (!(await ctl.ready()).ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const envs = await ctl.store.environments();
    const dev = envs.find((e) => e.name === ENV)?.revision;
    // The first admin's token, made on the store (as `token create --db` does on the controller's machine).
    this.admin = (await createTokenIn(ctl.store, 'demo', { kind: 'user', user: 'judy' }, Date.now(), null)).token;
    return step('fleet: controller', dev !== undefined, `controller on ${this.serving.url} (SQLite), tracking the config repo: ${envs.length} environments at ${dev?.slice(0, 12) ?? 'no valid revision'}`);
  }

  private async enroll(): Promise<DemoStep> {
    const ctl = this.serving!.controller;
    const enrollToken = (await createTokenIn(ctl.store, 'demo', { kind: 'enroll', env: ENV }, Date.now(), null)).token;
    const lines: string[] = [];
    for (const user of FLEET_USERS) {
      const env = this.machineEnv(user);
      mkdirSync(env['HOME']!, { recursive: true });
      const joined = await this.opts.command(['agent', 'enroll', '--controller', this.serving!.url, '--enroll-token', enrollToken, '--user', user, '--team', 'frontend-team', '--home', env['HOME']!, '--json'], env, this.at.root);
      if (joined.code !== 0) return step('fleet: enroll', false, `agent enroll for ${user} exited ${joined.code}: ${joined.stderr.trim().split('\n')[0]}`);
      const once = await this.opts.command(['agent', '--once', '--home', env['HOME']!, '--json'], env, this.at.root);
      const r = JSON.parse(once.stdout || '{}') as Json;
      if (once.code !== 0 || r['applied']?.['result'] !== 'ok') return step('fleet: enroll', false, `agent --once for ${user} exited ${once.code}: ${once.stderr.trim().split('\n')[0] || show(r)}`);
      lines.push(`${user}: ${JSON.parse(joined.stdout)['machine_id']} applied ${String(r['revision']).slice(0, 12)}`);
    }
    return step('fleet: enroll', true, `${FLEET_USERS.length} machines enrolled in ${ENV} and applied their assignment`, { text: lines.join('\n') });
  }

  private async fleetCommit(): Promise<DemoStep> {
    const file = join(this.at.repo, 'environments', ENV, 'config.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(    DEPLOY_ENVIRONMENT: development\n)/m, '$1    DEMO_FLEET_CHANGE: "rolled out by the controller"\n'));
    await runGit(this.at.repo, ['add', '--all']);
    await runGit(this.at.repo, ['commit', '--quiet', '--no-verify', '-m', 'demo: a change for every development machine'], this.env);
    this.head = (await runGit(this.at.repo, ['rev-parse', 'HEAD'])).trim();
    await this.serving!.controller.pollOnce();
    const lines: string[] = [];
    let ok = true;
    for (const user of FLEET_USERS) {
      const env = this.machineEnv(user);
      const once = await this.opts.command(['agent', '--once', '--home', env['HOME']!, '--json'], env, this.at.root);
      const r = JSON.parse(once.stdout || '{}') as Json;
      const settings = JSON.parse(readFileSync(join(env['HOME']!, SETTINGS), 'utf8')) as Json;
      const has = settings['env']?.['DEMO_FLEET_CHANGE'] === 'rolled out by the controller';
      ok &&= once.code === 0 && r['applied']?.['revision'] === this.head && has;
      lines.push(`${user}: ${r['applied'] ? `applied ${String(r['applied']['revision']).slice(0, 12)} (${r['applied']['result']})` : 'nothing new'}; settings.env.DEMO_FLEET_CHANGE ${has ? 'is there' : 'is missing'}`);
    }
    return step('fleet: commit', ok, `commit ${this.head.slice(0, 12)} validated by the controller and applied by every agent`, { text: lines.join('\n') });
  }

  private async fleetStatus(): Promise<DemoStep> {
    const args = ['fleet', 'status', '--env', ENV, '--controller', this.serving!.url, '--token', this.admin];
    const json = await this.opts.command([...args, '--json'], this.env, this.at.root);
    const text = await this.opts.command(args, this.env, this.at.root);
    const s = JSON.parse(json.stdout || '{}') as Json;
    const dev = (s['environments'] ?? []).find((e: Json) => e['name'] === ENV) as Json | undefined;
    const ok = json.code === 0 && dev?.['revision'] === this.head && dev?.['states']?.['in_sync'] === FLEET_USERS.length && dev?.['machines'] === FLEET_USERS.length;
    return step('fleet: status', ok, `${ENV}: ${dev?.['states']?.['in_sync'] ?? 0} of ${dev?.['machines'] ?? 0} machines in sync at ${String(dev?.['revision']).slice(0, 12)}`, { detail: s, text: text.stdout.trimEnd() });
  }
}
