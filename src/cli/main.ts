/**
 * argv → command → exit code. The only place that prints errors and decides
 * exit codes (0 ok, 1 findings, 2 usage or operational error). Commands load
 * lazily, so a one-target command pays only for what it uses.
 *
 * CLI library: commander — zero dependencies, fast to load, strict about
 * unknown options (a typo is a usage error, exit 2), generated help.
 */
import { Command, CommanderError, Option } from 'commander';
import { ClaudeEnvError, EXIT_USAGE, type ExitCode } from '../errors.js';
import type { CliIO } from './io.js';

export type { CliIO } from './io.js';

type Action = (io: CliIO, opts: Record<string, unknown>, args: string[]) => Promise<ExitCode>;

function repoOptions(cmd: Command): Command {
  return cmd.option('--repo <dir>', 'config repo (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)').option('--rev <rev>', 'read this git revision of the config repo instead of the working tree');
}

function targetOptions(cmd: Command): Command {
  return repoOptions(cmd)
    .option('--env <env>', 'environment (default: the machine identity)')
    .option('--team <team>', 'team')
    .option('--project <project>', 'project')
    .option('--user <user>', 'user')
    .option('--home <dir>', 'target home (default: $HOME)');
}

export async function main(argv: string[], io: CliIO): Promise<ExitCode> {
  let exit: ExitCode = 0;
  const run =
    (load: () => Promise<{ run: Action }>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.opts();
      const positional = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
      exit = await (await load()).run(io, opts, positional);
    };

  const program = new Command('claude-env')
    .description('GitOps for Claude Code environments')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('demo')
    .description('the main job on embedded defaults, in a temp dir: init, validate, render, explain')
    .option('--json', 'machine-readable report of each step')
    .option('--keep', 'keep the temp dir and print its path')
    .action(run(() => import('./demo.js')));

  program
    .command('init')
    .argument('[dir]', 'where to create the config repo', '.')
    .description('scaffold a config repo in the seed layout and make its first commit')
    .option('--json', 'print what was created as JSON')
    .action(run(() => import('./init.js')));

  repoOptions(program.command('validate'))
    .description('check the whole repo in one pass: YAML, schemas, permission rules, references, merges')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--json', 'same as --format json')
    .action(run(() => import('./validate.js')));

  targetOptions(program.command('render'))
    .description('the desired state of a target: the merged tree, or the native files (--outputs)')
    .addOption(new Option('--format <format>', 'format of the merged tree').choices(['yaml', 'json']).default('yaml'))
    .option('--outputs', 'the native Claude Code files instead of the tree')
    .option('--explain', 'show where every value came from')
    .option('--json', 'same as --format json')
    .option('--all', "render every target of the repo (with --out DIR)")
    .option('--out <dir>', 'with --all: write DIR/<env>/<team>/<user>[/<project>]/<files>')
    .action(run(() => import('./render.js')));

  targetOptions(program.command('explain'))
    .argument('<key>', 'dotted key of the merged tree, e.g. settings.permissions.allow')
    .description("every layer's value for one key, in order, and the winner")
    .option('--json', 'machine-readable output')
    .action(run(() => import('./explain.js')));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    return report(io, err, argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json'));
  }
}

function report(io: CliIO, err: unknown, json: boolean): ExitCode {
  const e = err instanceof ClaudeEnvError ? err : new ClaudeEnvError('internal', err instanceof Error ? err.message : String(err), { exitCode: EXIT_USAGE, cause: err });
  if (json) io.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
  else io.stderr.write(`claude-env: ${e.format()}\n`);
  if (!(err instanceof ClaudeEnvError) && io.env['CLAUDE_ENV_DEBUG'] && err instanceof Error) io.stderr.write(`${err.stack}\n`);
  return e.exitCode;
}
