/** The fleet's commands (SPEC.md "The fleet"): the controller, the agent, and the commands that call the controller's API. */
import type { CAC, Command } from 'cac';
import type { On } from './commands-repo.js';

/** `--controller URL --token T` (or $CLAUDE_ENV_CONTROLLER, $CLAUDE_ENV_TOKEN) and `--json`. */
function apiOptions(cmd: Command): Command {
  return cmd
    .option('--controller <url>', 'the controller (default: $CLAUDE_ENV_CONTROLLER)')
    .option('--token <token>', 'an API token (default: $CLAUDE_ENV_TOKEN)')
    .option('--json', 'machine-readable output');
}

export function fleetCommands(cli: CAC, on: On): void {
  cli
    .command('serve', 'the controller: tracks the config repo, assigns valid revisions, answers agents and the API, /metrics, /health, /ready')
    .option('--repo <dir-or-url>', 'the config repo: a local git repo or a git URL (default: the repo the current directory is in)')
    .option('--branch <name>', 'the branch tracked (default main)')
    .option('--db <file-or-url>', 'a SQLite file or postgres://… (default $CLAUDE_ENV_HOME/controller.db)')
    .option('--listen <host:port>', 'where to listen (default 127.0.0.1:8080)')
    .option('--poll <duration>', 'how often the leader fetches the repo (default 60s)')
    .option('--stale-after <duration>', 'a machine not seen for this long is stale (default 10m)')
    .option('--webhook-secret-file <file>', 'the secret of POST /api/v1/hooks/git (default $CLAUDE_ENV_WEBHOOK_SECRET)')
    .option('--backup-every <duration>', 'the leader backs the store up this often, such as 1h (default: never; see backup)')
    .option('--backup-dir <dir>', 'where (default $CLAUDE_ENV_HOME/backups)')
    .option('--backup-keep <tiers>', 'the tiers kept (default hourly=24,daily=7,weekly=4,monthly=12)')
    .option('--json', 'log as JSON lines')
    .action(on('serve', () => import('./serve.js')));
  apiOptions(cli.command('agent [action]', 'on a developer machine: check in, apply the assigned revision, report; `agent enroll` joins the fleet'))
    .option('--enroll-token <token>', 'enroll: the enroll token of the environment')
    .option('--env <env>', 'enroll: the environment (must be the enroll token\'s)')
    .option('--team <team>', 'enroll: team (default: the machine identity)')
    .option('--project <project>', 'enroll: project')
    .option('--user <user>', 'enroll: user (default: the machine identity)')
    .option('--home <dir>', 'target home (default: $HOME)')
    .option('--once', 'one check-in, apply and report, then exit')
    .option('--interval <duration>', 'how often drift is checked and reported (default 60s); changes arrive sooner, by long poll')
    .option('--identity <file>', 'age identity file for !encrypted values (default: $CLAUDE_ENV_AGE_IDENTITY)')
    .action(on('agent', () => import('./agent.js')));
  apiOptions(cli.command('fleet <action>', 'fleet status: machines per environment and state (in sync, applying, failed, drifted, stale), revisions, drift %; fleet sweep: a drift sweep now (admin); fleet sweeps: the last sweeps and what machines found'))
    .option('--env <env>', 'only this environment')
    .option('--max-fixes <n>', 'sweep: critical items each machine fixes at most (default 10)')
    .action(on('fleet', () => import('./fleet.js')));
  apiOptions(cli.command('rollout <action> [env]', 'rollout status|approve|pause|resume|promote|abort|rollback ENV: drive an environment\'s rollout (approvals follow access.yml)'))
    .action(on('rollout', () => import('./rollout.js')));
  cli
    .command('backup <action> [file]', "backup create|list|verify|restore: the controller's store (--db) as a backup file, kept by tiers (hourly, daily, weekly, monthly)")
    .option('--db <file-or-url>', 'the store: a SQLite file or postgres://… (default $CLAUDE_ENV_HOME/controller.db)')
    .option('--dir <dir>', 'where backups are kept (default $CLAUDE_ENV_HOME/backups)')
    .option('--keep <tiers>', 'create, list: the tiers kept (default hourly=24,daily=7,weekly=4,monthly=12)')
    .option('--force', 'restore: over a store that holds data (a backup of it is made first)')
    .option('--json', 'machine-readable output')
    .action(on('backup', () => import('./backup.js')));
  apiOptions(cli.command('freeze', 'read-only mode (admin): no machine gets a new revision, no rollout moves, no sweep starts; agents keep what they hold'))
    .option('--reason <text>', 'why, shown in fleet status, the dashboard and the fleet.frozen event')
    .action(on('freeze', () => import('./freeze.js')));
  apiOptions(cli.command('unfreeze', 'end read-only mode (admin): a revision that waited goes out'))
    .action(on('unfreeze', () => import('./unfreeze.js')));
  apiOptions(cli.command('token <action> [id]', 'token create|list|revoke: API tokens (admin), through the API or straight on the store with --db'))
    .option('--kind <kind>', 'create: user | enroll')
    .option('--user <user>', 'create: the user a user token acts as')
    .option('--env <env>', 'create: the environment of an enroll token')
    .option('--expires <duration>', 'create: lifetime, such as 24h (default: none)')
    .option('--db <file-or-url>', "the controller's store, on its machine (the first admin's token)")
    .action(on('token', () => import('./token.js')));
}
