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
import { createRequire } from 'node:module';
import { cac, type Command } from 'cac';
import { ClaudeEnvError, type ExitCode } from '../errors.js';
import { exitCodeOf } from '../error-codes.js';
import { redactingIO, type CliIO } from './io.js';
import { checkOptionValues, keepNegativeValues } from './options.js';
// The one-target commands that must start fast are part of the main module; the rest load on demand.
import * as explainCommand from './explain.js';

export type { CliIO } from './io.js';
import { VERSION } from '../version.js';
import { lazyYaml, type YamlModule } from '../repo/yaml.js';
import { requireWithCodeCache } from '../blocking/code-cache.js';
import { documentCacheDir } from '../blocking/doc-cache-store.js';

/**
 * How this call loads its libraries: the bundled CLI loads its one-file
 * `yaml`, and the merged schema compiled by build.mjs (checked by apply
 * before it writes), through a code cache kept beside the document cache
 * (system/code-cache.ts). Made per call and handed to the commands in `io`;
 * what the caller already gave is kept.
 */
function loaders(io: CliIO): Pick<CliIO, 'yaml' | 'compiledSchemas'> {
  const bundled = (globalThis as { CLAUDE_ENV_YAML_BUNDLE?: string }).CLAUDE_ENV_YAML_BUNDLE;
  if (bundled === undefined) return {};
  const dir = documentCacheDir(io.env);
  const file = createRequire(import.meta.url).resolve(bundled);
  let parses = 0;
  return {
    yaml: io.yaml ?? lazyYaml(() => requireWithCodeCache(file, dir, () => parses) as YamlModule, () => void parses++),
    compiledSchemas: io.compiledSchemas ?? ((compiled, use) => requireWithCodeCache(compiled, dir, use)),
  };
}

type Action = (io: CliIO, opts: Record<string, unknown>, args: string[]) => Promise<ExitCode>;
type Loader = () => Promise<{ run: Action }>;

function repoOptions(cmd: Command): Command {
  return cmd.option('--repo <dir>', 'config repo (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)').option('--rev <rev>', 'read this git revision of the config repo instead of the working tree');
}

function targetOptions(cmd: Command): Command {
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
function changingOptions(cmd: Command): Command {
  return targetOptions(cmd).option('--wait <seconds>', 'wait this long for another claude-env to finish').option('--json', 'machine-readable report');
}

/** Commands that check MCP servers (`mcp check`, `--online`): time limit, concurrency, age identity for secrets. */
function onlineCheckOptions(cmd: Command): Command {
  return cmd
    .option('--timeout <ms>', "time limit per MCP server in ms (default: the entry's timeout, else 10000)")
    .option('--concurrency <n>', 'check at most N MCP servers at once (default 8)')
    .option('--identity <file>', 'age identity file for !encrypted values in server env/headers (default $CLAUDE_ENV_AGE_IDENTITY)');
}

/** Options that take a value: the last one given wins; one with no value is a usage error. */
const VALUE_OPTIONS = ['repo', 'rev', 'env', 'team', 'project', 'user', 'home', 'projectDir', 'managed', 'format', 'out', 'wait', 'to', 'maxFixes', 'include', 'identity', 'file', 'timeout', 'concurrency', 'server', 'author', 'base', 'head', 'key', 'target', 'limit', 'role', 'projects'];

/** Checked before the command starts (`onboard` commits before it applies): a bad value changes nothing. */
function checkOptions(command: string, opts: Record<string, unknown>, argv: readonly string[]): void {
  for (const name of VALUE_OPTIONS) {
    let v = opts[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) opts[name] = v = v[v.length - 1];
    if (typeof v === 'number') opts[name] = v = String(v);
    if (typeof v !== 'string' || v === '') throw new ClaudeEnvError('usage', `--${name} needs a value`);
  }
  checkOptionValues(command, opts, argv);
}

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
      action = { name, load, args: args.slice(0, -1).filter((a): a is string => typeof a === 'string'), opts };
    };

  cli
    .command('demo', 'the main job on embedded defaults, in a temp dir: init, validate, render, explain, apply, drift, remediate')
    .option('--json', 'machine-readable report of each step')
    .option('--keep', 'keep the temp dir and print its path')
    .action(on('demo', () => import('./demo.js')));
  cli
    .command('init [dir]', 'scaffold a config repo in the seed layout and make its first commit')
    .option('--json', 'print what was created as JSON')
    .action(on('init', () => import('./init.js')));
  onlineCheckOptions(repoOptions(cli.command('validate', 'check the whole repo in one pass: YAML, schemas, permission rules, references, merges')))
    .option('--format <format>', 'text | json | sarif', { default: 'text' })
    .option('--json', 'same as --format json')
    .option('--online', "also connect to every distinct enabled MCP server definition of the repo (findings mcp-down, mcp-expectation)")
    .option('--no-secret-scan', 'skip scanning every file for plain-text secrets')
    .action(on('validate', () => import('./validate.js')));
  targetOptions(cli.command('render', 'the desired state of a target: the merged tree, or the native files (--outputs)'))
    .option('--format <format>', 'yaml | json', { default: 'yaml' })
    .option('--outputs', 'the native Claude Code files instead of the tree')
    .option('--explain', 'show where every value came from')
    .option('--json', 'same as --format json')
    .option('--all', 'render every target of the repo (with --out DIR, or --json for JSON lines)')
    .option('--out <dir>', 'with --all: write DIR/<env>/<team>/<user>[/<project>]/<files>')
    .action(on('render', () => import('./render.js')));
  targetOptions(cli.command('explain <key>', "every layer's value for one dotted key, in order, and the winner"))
    .option('--json', 'machine-readable output')
    .action(on('explain', async () => explainCommand));
  changingOptions(cli.command('apply', "write the target's native files into the home: restore point first, one atomic switch"))
    .option('--dry-run', 'show the plan and write nothing')
    .option('--force', 'replace files in the way that claude-env did not write (saved in the restore point first)')
    .option('--identity <file>', 'age identity file for !encrypted values (default: $CLAUDE_ENV_AGE_IDENTITY)')
    .action(on('apply', () => import('./apply.js')));
  changingOptions(cli.command('rollback', 'put the outputs back as a restore point has them'))
    .option('--list', 'list the restore points')
    .option('--to <id>', 'the restore point (default: the latest)')
    .action(on('rollback', () => import('./rollback.js')));
  onlineCheckOptions(targetOptions(cli.command('drift', 'what differs between the desired state and this machine: items, percentage, risk, plan')))
    .option('--json', 'machine-readable report')
    .option('--online', "also check the target's MCP servers: one critical item per server that is down")
    .action(on('drift', () => import('./drift.js')));
  onlineCheckOptions(targetOptions(cli.command('mcp <check>', "mcp check: connect to each enabled MCP server of the target (stdio, http, sse), initialize, list its tools, time it, check its expect block")))
    .option('--server <name>', 'check only this server')
    .option('--json', 'machine-readable report')
    .action(on('mcp', () => import('./mcp.js')));
  targetOptions(cli.command('diff', 'unified diff of what apply would write against what is on the machine'))
    .option('--force', 'as apply --force: include files in the way that claude-env did not write')
    .option('--json', 'machine-readable report')
    .action(on('diff', () => import('./diff.js')));
  changingOptions(cli.command('remediate', 'fix drift worst first within --max-fixes: restore point, re-check after each fix, roll back all if one fails'))
    .option('--max-fixes <n>', 'fix at most N items (default 10); the rest become manual-intervention entries')
    .option('--include <severity>', 'also fix medium items (normally corrected on schedule)')
    .option('--identity <file>', 'age identity file for !encrypted values (default: $CLAUDE_ENV_AGE_IDENTITY)')
    .action(on('remediate', () => import('./remediate.js')));
  repoOptions(cli.command('secret [action] [value]', 'encrypt a value (stdin or --file) for the repo\'s age recipients and print the !encrypted YAML; decrypt one with --identity'))
    .option('--recipient <age1…>', 'also encrypt to this recipient (repeatable)')
    .option('--identity <file>', 'age identity file for decrypt (default: $CLAUDE_ENV_AGE_IDENTITY)')
    .option('--file <file>', 'read the value (encrypt) or the ciphertext (decrypt) from FILE instead of stdin')
    .option('--json', 'machine-readable output')
    .action(on('secret', () => import('./secret.js')));
  repoOptions(cli.command('access <action>', 'check: may --author make the change --base..--head, and which approvals does it still need; codeowners: CODEOWNERS from access.yml'))
    .option('--author <user>', 'check: the author of the change (a user of teams/*/members.yml)')
    .option('--base <rev>', 'check: the revision the change starts from (its rules apply: access.yml and members.yml of BASE)')
    .option('--head <rev>', 'check: the revision with the change (default HEAD)')
    .option('--approved-by <users>', 'check: users who approved, comma-separated')
    .option('--out <file>', 'codeowners: write the file here instead of printing it')
    .option('--json', 'machine-readable result')
    .action(on('access', () => import('./access.js')));
  repoOptions(cli.command('history', "what changed, when, by whom: the config repo's git log joined with this machine's audit log"))
    .option('--home <dir>', 'home whose audit log to join ($CLAUDE_ENV_HOME/audit.log, default <home>/.claude-env)')
    .option('--file <path>', 'only commits that changed this repo file')
    .option('--key <dotted.key>', 'only commits that changed this key of the merged tree in any layer file')
    .option('--verify-signatures', 'check commit signatures against the SSH keys of access.yml signing_keys (exit 1 if one is not good)')
    .option('--json', 'machine-readable history')
    .action(on('history', () => import('./history.js')));
  cli
    .command('impact', 'which targets a change (--base REV [--head REV]) alters and how: counts per env/team/project/user and per-target diffs')
    .option('--repo <dir>', 'config repo (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)')
    .option('--base <rev>', 'the revision the change starts from (a commit, branch or tag)')
    .option('--head <rev>', 'the revision the change ends at (default: HEAD)')
    .option('--target <env/team/user[/project]>', 'only this target')
    .option('--env <env>', 'only targets of this environment')
    .option('--team <team>', 'only targets of this team')
    .option('--project <project>', 'only targets of this project')
    .option('--user <user>', 'only targets of this user')
    .option('--limit <n>', 'show the diffs of at most N targets (default 20; 0: all)')
    .option('--json', 'machine-readable report')
    .action(on('impact', () => import('./impact.js')));
  cli
    .command('onboard <user>', "add a member to a team on a new branch, create the user's layer, then set up this machine for them")
    .option('--repo <dir>', 'config repo working tree (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)')
    .option('--team <team>', 'the team to join (required)')
    .option('--role <role>', 'the role in that team, one of the roles of access.yml (required)')
    .option('--projects <list>', 'assigned projects, comma-separated')
    .option('--env <env>', 'the environment of this machine (default: the first one of claude-env.yml)')
    .option('--home <dir>', 'the home to set up (default: $HOME)')
    .option('--wait <seconds>', 'wait this long for another claude-env to finish')
    .option('--json', 'machine-readable report')
    .action(on('onboard', () => import('./onboard.js')));
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
    if (!action.opts['online'] && (action.name === 'validate' || action.name === 'drift')) {
      for (const name of ['timeout', 'concurrency', 'identity']) {
        if (action.opts[name] !== undefined) throw new ClaudeEnvError('usage', `--${name} is for the MCP checks of --online; add --online or drop it`);
      }
    }
    return await (await action.load()).run(io, action.opts, action.args);
  } catch (err) {
    return report(io, err, json);
  }
}

const SYSTEM_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way of a folder',
  EISDIR: 'a folder is in the way of a file',
};

/** A file system error that reached the top (e.g. a home that cannot be written): said plainly, with its path. */
function systemError(err: unknown): ClaudeEnvError | undefined {
  const e = err as NodeJS.ErrnoException;
  const reason = typeof e?.code === 'string' ? SYSTEM_REASONS[e.code] : undefined;
  if (!reason || typeof e.path !== 'string') return undefined;
  const verb = e.syscall === 'mkdir' ? 'cannot create the folder' : e.syscall === 'scandir' || e.syscall === 'stat' || e.syscall === 'read' ? 'cannot read' : 'cannot write';
  return new ClaudeEnvError('io-error', `${verb} ${e.path}: ${reason}`, { file: e.path, cause: err });
}

/** Print the error (through the redacting io) and decide the exit code from its code alone (src/error-codes.ts). */
function report(io: CliIO, err: unknown, json: boolean): ExitCode {
  // By name too: an error thrown by a chunk of the split build while the hot bundle runs is the same class, loaded twice.
  const e =
    err instanceof ClaudeEnvError || (err instanceof Error && err.name === 'ClaudeEnvError' && typeof (err as ClaudeEnvError).format === 'function')
      ? (err as ClaudeEnvError)
      : err instanceof Error && err.name === 'CACError'
        ? new ClaudeEnvError('usage', err.message.replaceAll('`', "'"), { hint: 'claude-env --help lists commands and options' })
        : systemError(err) ?? new ClaudeEnvError('internal', err instanceof Error ? err.message : String(err), { cause: err });
  if (json) io.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
  else io.stderr.write(`claude-env: ${e.format()}\n`);
  if (e.code === 'internal' && io.env['CLAUDE_ENV_DEBUG'] && err instanceof Error) io.stderr.write(`${err.stack}\n`);
  return exitCodeOf(e.code);
}
