/**
 * `claude-env demo`: the main job on embedded defaults, in a temp dir, step
 * by step: scaffold a config repo, validate it, render a developer's target,
 * explain where a value came from, apply into a sandbox home, edit by hand,
 * see the drift, remediate it, and see it clean — with the user's own
 * setting kept.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { explain } from '../merge/explain.js';
import { Repo } from '../repo/repo.js';
import { renderTarget } from '../render/index.js';
import { worktreeSource } from '../system/repo-source.js';
import { validateRepo } from '../validate/index.js';
import { formatExplanation } from './explain.js';
import { initRepo } from './init.js';
import { printJson, type CliIO } from './io.js';
import { main } from './main.js';

interface Step {
  step: string;
  ok: boolean;
  summary: string;
  detail?: unknown;
}

export async function run(io: CliIO, opts: { json?: boolean; keep?: boolean }): Promise<ExitCode> {
  const root = mkdtempSync(join(tmpdir(), 'claude-env-demo-'));
  const steps: Step[] = [];
  const say = (s: Step, text?: string): void => {
    steps.push(s);
    if (opts.json) return;
    io.stdout.write(`${s.ok ? '✔' : '✘'} ${s.step}: ${s.summary}\n`);
    if (text) io.stdout.write(`${text.replace(/^/gm, '    ')}\n`);
  };
  try {
    const dir = join(root, 'config-repo');
    const init = await initRepo(dir, io.env);
    say({ step: 'init', ok: true, summary: `scaffolded ${init.files.length} files in ${dir}, commit ${init.commit.slice(0, 12)}` });

    const repo = new Repo(worktreeSource(dir));
    const v = await validateRepo(repo);
    say({ step: 'validate', ok: v.summary.errors === 0, summary: `${v.summary.errors} error(s), ${v.summary.warnings} warning(s) over ${repo.allDocuments().length} documents`, detail: v.findings });

    const member = repo.members(repo.teams()[0]!).find((m) => m.projects.length > 0) ?? repo.members(repo.teams()[0]!)[0]!;
    const target = repo.resolveTarget({ env: 'development', team: member.team, user: member.user, ...(member.projects[0] ? { project: member.projects[0] } : {}) });
    const rendered = renderTarget(repo, target);
    const who = `${target.env}/${target.team}/${target.user}${target.project ? `/${target.project}` : ''}`;
    say(
      { step: 'render', ok: true, summary: `${rendered.outputs.length} native files for ${who}`, detail: rendered.outputs.map((o) => o.path) },
      rendered.outputs.map((o) => `${o.path}  (${o.content.length} bytes${o.mode === 0o755 ? ', executable' : ''})`).join('\n'),
    );

    const e = explain(repo, target, 'settings.permissions.defaultMode');
    say({ step: 'explain', ok: e.winner !== null, summary: `settings.permissions.defaultMode = ${JSON.stringify(e.value)} from ${e.winner?.file}:${e.winner?.line}:${e.winner?.column}`, detail: e }, formatExplanation(e).trimEnd());

    const prod = explain(repo, { ...target, env: 'production' }, 'settings.permissions.defaultMode');
    say({ step: 'environments', ok: true, summary: `in production the same developer gets ${JSON.stringify(prod.value)} (${prod.winner?.file})` });

    // The machine half, through the same commands a developer types, into a sandbox home.
    const home = join(root, 'home');
    mkdirSync(home);
    const flags = ['--repo', dir, '--env', target.env, '--team', target.team!, '--user', target.user!, ...(target.project ? ['--project', target.project] : []), '--home', home];
    // The scaffold's docs server takes its token from the machine (`!secret env:DOCS_MCP_TOKEN`): the sandbox gets a made-up one,
    // which apply writes into the sandbox's .claude.json only and which no report shows.
    const env: NodeJS.ProcessEnv = { DOCS_MCP_TOKEN: 'Bearer demo-token-not-a-real-one', ...io.env, HOME: home, CLAUDE_ENV_HOME: join(home, '.claude-env') };
    delete env['CLAUDE_CONFIG_DIR'];
    const sub = async (args: string[]): Promise<{ code: number; report: Record<string, any> }> => {
      let out = '';
      let err = '';
      const code = await main([...args, ...flags, '--json'], { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, cwd: root });
      if (code === 2) throw new Error(`claude-env ${args.join(' ')} failed: ${err.trim()}`);
      return { code, report: JSON.parse(out) as Record<string, any> };
    };

    const applied = await sub(['apply']);
    say({ step: 'apply', ok: applied.code === 0, summary: `${applied.report['written'].length} files written into the sandbox home ${home}, restore point ${applied.report['restore_point']}`, detail: applied.report });

    const settingsFile = join(home, '.claude', 'settings.json');
    const edited = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, any>;
    const denied = (edited['permissions']?.['deny'] ?? []) as string[];
    edited['permissions'] = { ...edited['permissions'], deny: denied.slice(1) };
    edited['theme'] = 'light';
    writeFileSync(settingsFile, JSON.stringify(edited, null, 2));
    say({ step: 'manual edit', ok: true, summary: `removed the deny rule ${JSON.stringify(denied[0])} and added "theme": "light" in ~/.claude/settings.json` });

    const drifted = await sub(['drift']);
    const items = drifted.report['items'] as Array<Record<string, unknown>>;
    say(
      { step: 'drift', ok: drifted.code === 1, summary: `${items.length} item(s), ${drifted.report['drift_percentage']}% drifted, risk ${drifted.report['risk_level']}`, detail: drifted.report },
      items.map((i) => `${String(i['severity']).padEnd(8)} ${String(i['category']).padEnd(16)} ${i['path']}`).join('\n'),
    );

    const fixed = await sub(['remediate', '--max-fixes', '5']);
    say({ step: 'remediate', ok: true, summary: `fixed ${fixed.report['fixed'].length} item(s); drift ${fixed.report['drift_before'].drift_percentage}% → ${fixed.report['drift_after'].drift_percentage}%`, detail: fixed.report });

    const clean = await sub(['drift']);
    const kept = JSON.parse(readFileSync(settingsFile, 'utf8'))['theme'] === 'light';
    say({ step: 'drift again', ok: clean.code === 0 && kept, summary: `${clean.report['drift_percentage']}% drifted, risk ${clean.report['risk_level']}; the user's own "theme" ${kept ? 'is kept' : 'was lost'}`, detail: clean.report });

    if (opts.json) printJson(io, { dir: opts.keep ? root : undefined, steps });
    else if (opts.keep) io.stdout.write(`kept ${root}\n`);
    return steps.every((s) => s.ok) ? EXIT_OK : EXIT_FINDINGS;
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
}
