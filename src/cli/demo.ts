/**
 * `claude-env demo`: the main job on embedded defaults, in a temp dir, step
 * by step: scaffold a config repo, validate it, render a developer's target,
 * show the native files and explain where a value came from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
    const init = initRepo(dir, io.env);
    say({ step: 'init', ok: true, summary: `scaffolded ${init.files.length} files in ${dir}, commit ${init.commit.slice(0, 12)}` });

    const repo = new Repo(worktreeSource(dir));
    const v = validateRepo(repo);
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

    if (opts.json) printJson(io, { dir: opts.keep ? root : undefined, steps });
    else if (opts.keep) io.stdout.write(`kept ${root}\n`);
    return steps.every((s) => s.ok) ? EXIT_OK : EXIT_FINDINGS;
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
}
