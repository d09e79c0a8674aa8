/** The options several commands share, and the check every value-taking option gets before a command starts. */
import type { Command } from 'cac';
import { ClaudeEnvError } from '../errors.js';
import { checkOptionValues } from './options.js';

export function repoOptions(cmd: Command): Command {
  return cmd.option('--repo <dir>', 'config repo (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)').option('--rev <rev>', 'read this git revision of the config repo instead of the working tree');
}

export function targetOptions(cmd: Command): Command {
  return repoOptions(cmd)
    .option('--env <env>', 'environment (default: the machine identity)')
    .option('--team <team>', 'team')
    .option('--project <project>', 'project')
    .option('--user <user>', 'user')
    .option('--home <dir>', 'target home (default: $HOME)')
    .option('--project-dir <dir>', "a checkout of the target's project: its .mcp.json gets the project's MCP servers (default: the last apply's)")
    .option('--managed <dir>', "Claude Code's managed settings dir (/etc/claude-code on Linux): the enforced security policy goes to its managed-settings.json (default: the last apply's)");
}

/** Commands that change the machine: they may wait for another claude-env, and report as JSON. */
export function changingOptions(cmd: Command): Command {
  return targetOptions(cmd).option('--wait <seconds>', 'wait this long for another claude-env to finish').option('--json', 'machine-readable report');
}

/** Commands that check MCP servers (`mcp check`, `--online`): time limit, concurrency, age identity for secrets. */
export function onlineCheckOptions(cmd: Command): Command {
  return cmd
    .option('--timeout <ms>', "time limit per MCP server in ms (default: the entry's timeout, else 10000)")
    .option('--concurrency <n>', 'check at most N MCP servers at once (default 8)')
    .option('--identity <file>', 'age identity file for !encrypted values in server env/headers (default $CLAUDE_ENV_AGE_IDENTITY)');
}

/** Options that take a value: the last one given wins; one with no value is a usage error. */
const VALUE_OPTIONS = ['repo', 'rev', 'env', 'team', 'project', 'user', 'home', 'projectDir', 'managed', 'format', 'out', 'wait', 'to', 'maxFixes', 'include', 'identity', 'file', 'timeout', 'concurrency', 'server', 'author', 'base', 'head', 'key', 'target', 'limit', 'role', 'projects', 'branch', 'db', 'listen', 'poll', 'staleAfter', 'webhookSecretFile', 'controller', 'token', 'enrollToken', 'interval', 'kind', 'expires', 'fromHome', 'fromProject', 'into', 'users'];

/** Checked before the command starts (`onboard` commits before it applies): a bad value changes nothing. */
export function checkOptions(command: string, opts: Record<string, unknown>, argv: readonly string[]): void {
  for (const name of VALUE_OPTIONS) {
    let v = opts[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) opts[name] = v = v[v.length - 1];
    if (typeof v === 'number') opts[name] = v = String(v);
    if (typeof v !== 'string' || v === '') throw new ClaudeEnvError('usage', `--${name} needs a value`);
  }
  checkOptionValues(command, opts, argv);
  if (!opts['online'] && (command === 'validate' || command === 'drift')) {
    for (const name of ['timeout', 'concurrency', 'identity']) {
      if (opts[name] !== undefined) throw new ClaudeEnvError('usage', `--${name} is for the MCP checks of --online; add --online or drop it`);
    }
  }
}
