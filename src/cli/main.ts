/**
 * argv → command → exit code. The only place that prints errors and decides
 * exit codes (0 ok, 1 findings, 2 usage or operational error). Commands load
 * lazily, so a one-target command pays only for what it uses.
 *
 * CLI library: cac — no dependencies, one small ES module that loads in a few
 * milliseconds (commander pulls in node:child_process and costs ~15 ms at
 * every start), strict about unknown options (a typo is a usage error, exit 2,
 * never silently ignored), with generated help.
 */
import { cac } from 'cac';
import { ClaudeEnvError, type ExitCode } from '../errors.js';
import { VERSION } from '../version.js';
import { changeCommands } from './commands-changes.js';
import { fleetCommands } from './commands-fleet.js';
import { machineCommands } from './commands-machine.js';
import { repoCommands, type Loader } from './commands-repo.js';
import { redactingIO } from './redacting-io.js';
import type { CliIO } from './io.js';
import { loaders } from './loaders.js';
import { checkOptions } from './option-groups.js';
import { keepNegativeValues } from './options.js';
import { report } from './report.js';

export type { CliIO } from './io.js';

export async function main(argv: string[], given: CliIO): Promise<ExitCode> {
  // Every line a command, the help or the error printer writes passes redaction (cli/io.ts).
  const io = redactingIO(given);
  Object.assign(io, loaders(given));
  try {
    return await dispatch(keepNegativeValues(argv), io);
  } finally {
    io.flush();
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<ExitCode> {
  let action: { name: string; load: Loader; args: string[]; opts: Record<string, unknown> } | undefined;
  const cli = cac('claude-env');
  const on =
    (name: string, load: Loader) =>
    (...args: unknown[]): void => {
      const opts = args[args.length - 1] as Record<string, unknown>;
      // A variadic argument ([...homes]) arrives as one array: its items are arguments like the others.
      action = { name, load, args: args.slice(0, -1).flat().filter((a): a is string => typeof a === 'string'), opts };
    };

  repoCommands(cli, on);
  machineCommands(cli, on);
  changeCommands(cli, on);
  fleetCommands(cli, on);
  // Shown through io below, not by cac (which prints with console.log).
  cli.option('-h, --help', 'Display this message');
  cli.option('-v, --version', 'Display version number');

  const json = argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json');
  try {
    const parsed = cli.parse(['node', 'claude-env', ...argv], { run: false });
    if (parsed.options['help'] || parsed.options['version']) {
      // Loaded only for these: the help texts stay off the path of every other command.
      const { helpText, versionText } = await import('./help.js');
      io.stdout.write(parsed.options['help'] ? helpText(cli, VERSION, cli.matchedCommand, parsed.args[0]) : versionText(cli.name, VERSION));
      return 0;
    }
    if (!cli.matchedCommand) {
      const given = parsed.args[0];
      throw new ClaudeEnvError('usage', given === undefined ? 'no command given' : `unknown command "${given}"`, {
        hint: `commands: ${cli.commands.map((c) => c.name).filter(Boolean).join(', ')}; claude-env --help shows more`,
      });
    }
    await cli.runMatchedCommand();
    if (!action) return 0;
    checkOptions(action.name, action.opts, argv);
    return await (await action.load()).run(io, action.opts, action.args);
  } catch (err) {
    return report(io, err, json);
  }
}
