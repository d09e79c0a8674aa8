/** The commands that read or change a machine: their options and how each loads. */
import type { CAC } from 'cac';
import type { On } from './commands-repo.js';
import { changingOptions, onlineCheckOptions, targetOptions } from './option-groups.js';

export function machineCommands(cli: CAC, on: On): void {
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
}
