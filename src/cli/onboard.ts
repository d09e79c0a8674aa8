/**
 * `claude-env onboard USER --team T --role R [--projects p1,p2]`: add a
 * member on a new branch `onboard/USER`, create the user's layer, then set
 * up this machine for them (src/onboard/run.ts, with `apply`'s own path for
 * the last step). Push the new branch and open a pull request for review
 * (`claude-env access check` and `impact` judge it like any change).
 */
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, type ExitCode } from '../errors.js';
import { BY_HAND_MINUTES, onboard } from '../onboard/run.js';
import { applyReport, applyTarget, applyText } from './apply.js';
import { describeTarget, homeDir, repoDir } from './context.js';
import { printJson, type CliIO } from './io.js';

interface OnboardOptions {
  repo?: string;
  team?: string;
  role?: string;
  projects?: string;
  env?: string;
  home?: string;
  wait?: string;
  json?: boolean;
}

function usage(message: string, hint?: string): ClaudeEnvError {
  return new ClaudeEnvError('usage', message, { ...(hint ? { hint } : {}) });
}

export async function run(io: CliIO, opts: OnboardOptions, args: string[]): Promise<ExitCode> {
  const user = args[0];
  if (user === undefined) throw usage('onboard needs a user name', 'claude-env onboard USER --team T --role R [--projects p1,p2]');
  if (!opts.team) throw usage('onboard needs --team T (the team to join)');
  if (!opts.role) throw usage('onboard needs --role R (the role in that team)');
  const projects = opts.projects === undefined ? [] : opts.projects.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (new Set(projects).size !== projects.length) throw usage(`--projects names a project twice: ${opts.projects}`);
  const { team, role } = opts;
  const dir = repoDir(io, opts);
  const home = homeDir(io, opts);
  const done = await onboard({ user, team, role, projects, env: opts.env, dir, home }, io.env, (t, commit) =>
    applyTarget(io, { repo: dir, rev: commit, env: t.env, team, ...(t.project ? { project: t.project } : {}), user, home, ...(opts.wait ? { wait: opts.wait } : {}), command: `onboard ${user}` }),
  );
  const { target, result } = done.applied;
  const joined = `${team} as ${role}${projects.length ? ` (projects: ${projects.join(', ')})` : ''}`;
  if (opts.json) {
    const apply = applyReport(describeTarget(target), result);
    printJson(io, { user, team, role, projects, target: describeTarget(target), branch: done.branch, commit: done.commit, base: done.base, files: done.files, kept: done.kept, apply, seconds: done.seconds, by_hand_minutes: BY_HAND_MINUTES });
  } else {
    io.stdout.write(
      [
        `onboarded ${user} into ${joined}`,
        `  branch ${done.branch} at ${done.commit.slice(0, 12)} (one commit over ${done.base.slice(0, 12)}): ${done.files.join(', ')}${done.kept.length ? ` (${done.kept.join(', ')} kept as it was)` : ''}`,
        `  your current branch, index and working tree are unchanged; push ${done.branch} and open a pull request`,
        `  machine identity: ${describeTarget(target)}`,
      ].join('\n') + '\n',
    );
    io.stdout.write(applyText(describeTarget(target), result).replace(/^(?=.)/gm, '  '));
    io.stdout.write(`done in ${done.seconds.toFixed(1)} s (by hand: about ${BY_HAND_MINUTES} minutes)\n`);
  }
  return result.plan.conflicts.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
