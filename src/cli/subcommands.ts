/** The sub-commands of the commands that have them (`mcp check`, `access check|codeowners`, `secret encrypt|decrypt`), each with its own options, for help. */
export interface SubCommand {
  readonly description: string;
  /** Its own options (names as cac keeps them: camelCase); the command's other options that no sub-command lists are common to all. */
  readonly options: readonly string[];
}

/** The sub-commands of the commands that have them, in the order help lists them. */
export const SUBCOMMANDS: Readonly<Record<string, Readonly<Record<string, SubCommand>>>> = {
  mcp: {
    check: {
      description: 'connect to each enabled MCP server of the target (stdio, http, sse), initialize, list its tools, time it, check its expect block; exit 1 when one is down or an expectation is unmet',
      options: ['server', 'timeout', 'concurrency', 'identity', 'json'],
    },
  },
  access: {
    check: {
      description: 'may --author make the change --base..--head (rules of BASE), and which approvals does it still need; exit 1 when denied or approvals are missing',
      options: ['author', 'base', 'head', 'approvedBy', 'json'],
    },
    codeowners: {
      description: 'CODEOWNERS from access.yml and the members of the repo, printed or written to --out FILE',
      options: ['out', 'json'],
    },
  },
  secret: {
    encrypt: {
      description: "encrypt a value (stdin or --file) for the repo's age recipients (claude-env.yml secrets.age.recipients, and --recipient) and print the !encrypted YAML",
      options: ['recipient', 'file', 'json'],
    },
    decrypt: {
      description: 'decrypt an !encrypted value or bare age armor (stdin or --file) with --identity FILE or $CLAUDE_ENV_AGE_IDENTITY and print it',
      options: ['identity', 'file', 'json'],
    },
  },
};
