/** The commands around changes to the config repo (secrets, access, history, impact, onboarding): their options and how each loads. */
import type { CAC } from 'cac';
import type { On } from './commands-repo.js';
import { repoOptions } from './option-groups.js';

export function changeCommands(cli: CAC, on: On): void {
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
  cli
    .command('import [...homes]', "a machine's Claude Code setup (a home, a project) as a layer of the config repo, on a new branch, proved by rendering it back; --common HOME… makes the team layer of what several homes share and a user layer for each")
    .option('--repo <dir>', 'config repo working tree (default: the repo the current directory is in, else $CLAUDE_ENV_REPO)')
    .option('--from-home <dir>', "a home: ~/.claude/settings.json, ~/.claude.json's mcpServers, CLAUDE.md, agents, commands, skills, hooks")
    .option('--from-project <dir>', "a project: .claude/settings.json, .mcp.json, CLAUDE.md, its .claude/ files")
    .option('--into <layer>', 'user:<user>, team:<team>, project:<project> or base (required)')
    .option('--env <env>', 'the environment of the target it is proved for (default: the first one of claude-env.yml)')
    .option('--team <team>', 'the team of that target (default: the user\'s, from members.yml)')
    .option('--project <project>', 'the project of that target')
    .option('--common', 'the homes given as arguments: what they share becomes the team layer (--into team:<team>), the rest a user layer each')
    .option('--users <list>', '--common: the user of each home, comma-separated, in order (default: each home folder\'s name)')
    .option('--encrypt', 'secrets as !encrypted values for the age recipients of claude-env.yml, instead of !secret env: references')
    .option('--dry-run', 'show the documents and the proof; make no branch')
    .option('--json', 'machine-readable report')
    .action(on('import', () => import('./import.js')));
}
