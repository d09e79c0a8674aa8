/**
 * `--help` and `--version` as text, written by `cli/main.ts` through the same
 * output as every command (cac would print them with console.log). The layout
 * is cac's; a command with sub-commands (`mcp check`, `access check`,
 * `access codeowners`, `secret encrypt`, `secret decrypt`) also has a help of
 * each one, with that sub-command's options only.
 */
import type { CAC, Command } from 'cac';
import { SUBCOMMANDS } from './subcommands.js';

interface Section {
  title?: string;
  body: string;
}

const rows = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(...pairs.map(([a]) => a.length));
  return pairs.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`.trimEnd()).join('\n');
};

const text = (sections: readonly Section[]): string => `${sections.map((s) => (s.title ? `${s.title}:\n${s.body}` : s.body)).join('\n\n')}\n`;

type Option = Command['options'][number];

function optionRows(options: readonly Option[]): string {
  return rows(options.map((o) => [o.rawName, `${o.description}${o.config.default === undefined ? '' : ` (default: ${String(o.config.default)})`}`] as const));
}

/** The version line (as cac prints it). */
export function versionText(name: string, version: string): string {
  return `${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`;
}

/** The help of the whole CLI, of one command, or of one of its sub-commands. */
export function helpText(cli: CAC, version: string, command: Command | undefined, sub: string | undefined): string {
  const head: Section = { body: `${cli.name}/${version}` };
  const global = cli.globalCommand.options;
  if (!command) {
    return text([
      head,
      { title: 'Usage', body: `  $ ${cli.name} <command> [options]` },
      { title: 'Commands', body: rows(cli.commands.map((c) => [c.rawName, c.description] as const)) },
      { title: 'For more info, run any command with the `--help` flag', body: cli.commands.map((c) => `  $ ${cli.name} ${c.name} --help`).join('\n') },
      { title: 'Options', body: optionRows(global) },
    ]);
  }
  const help = global.filter((o) => o.name === 'help');
  const subs = SUBCOMMANDS[command.name];
  if (!subs) {
    return text([head, { title: 'Usage', body: `  $ ${cli.name} ${command.rawName} [options]` }, { body: command.description }, { title: 'Options', body: optionRows([...command.options, ...help]) }]);
  }
  const own = new Set(Object.values(subs).flatMap((s) => s.options));
  const common = command.options.filter((o) => !own.has(o.name));
  const one = sub !== undefined ? subs[sub] : undefined;
  if (one) {
    const options = [...command.options.filter((o) => one.options.includes(o.name)), ...common, ...help];
    return text([head, { title: 'Usage', body: `  $ ${cli.name} ${command.name} ${sub} [options]` }, { body: one.description }, { title: 'Options', body: optionRows(options) }]);
  }
  return text([
    head,
    { title: 'Usage', body: `  $ ${cli.name} ${command.rawName} [options]` },
    { body: command.description },
    { title: 'Commands', body: rows(Object.entries(subs).map(([name, s]) => [`${command.name} ${name}`, s.description] as const)) },
    { title: 'For more info, run any command with the `--help` flag', body: Object.keys(subs).map((name) => `  $ ${cli.name} ${command.name} ${name} --help`).join('\n') },
    { title: 'Options', body: optionRows([...common, ...help]) },
  ]);
}
