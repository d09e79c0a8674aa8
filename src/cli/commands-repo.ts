/** The commands that read the config repo (and `demo`): their options and how each loads. */
import type { CAC } from 'cac';
import type { ExitCode } from '../errors.js';
import type { CliIO } from './io.js';

type Action = (io: CliIO, opts: Record<string, unknown>, args: string[]) => Promise<ExitCode>;
/** How a command's module is loaded (lazily, so a command pays only for what it uses). */
export type Loader = () => Promise<{ run: Action }>;
/** Records the command cac matched, with its loader. */
export type On = (name: string, load: Loader) => (...args: unknown[]) => void;
import { onlineCheckOptions, repoOptions, targetOptions } from './option-groups.js';
// The one-target commands that must start fast are part of the main module; the rest load on demand.
import * as explainCommand from './explain.js';

export function repoCommands(cli: CAC, on: On): void {
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
}
