/**
 * Claude Code permission-rule syntax (CLAUDE-CODE.md §2.4): `Tool`,
 * `Tool(specifier)`, or an MCP rule `mcp__server[__tool|__*]`. Claude Code
 * drops an invalid rule with only a warning, so a mistyped deny rule silently
 * protects nothing; checkPermissionRule says what is wrong with one.
 */

const TOOL_NAME = /^[A-Z][A-Za-z0-9_]*$/;
const MCP_NAME = /^[A-Za-z0-9_-]+$/;
/** Tools whose specifier is a gitignore-style path glob (Edit covers every file-editing tool). */
const FILE_TOOLS = new Set(['Read', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const BASH_PREFIX = ':*';

/**
 * What is wrong with a rule: an `error` where Claude Code drops it (2.1.332's
 * rule validator), a `warning` where it keeps a rule that no tool can match
 * (`Web Search(*)`: tool names have no spaces).
 */
export interface RuleProblem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

const error = (message: string): RuleProblem => ({ severity: 'error', message });
const warning = (message: string): RuleProblem => ({ severity: 'warning', message });
const asProblem = (message: string | undefined): RuleProblem | undefined => (message === undefined ? undefined : error(message));

/**
 * undefined for a valid rule, else what is wrong with it. `list` is the list
 * it stands in: an allow list (also a front-matter tool list) takes no
 * wildcard server name, a deny or ask list does.
 */
export function checkPermissionRule(rule: string, list: 'allow' | 'ask' | 'deny' = 'allow'): RuleProblem | undefined {
  if (rule.trim() === '') return error('empty rule');
  if (rule !== rule.trim()) return error('leading or trailing whitespace');
  if (rule.startsWith('mcp__')) return checkMcpRule(rule, list);
  const open = rule.indexOf('(');
  const tool = open === -1 ? rule : rule.slice(0, open);
  if (tool.trim() === '') return error('missing tool name before "("');
  if (open !== -1) {
    if (!rule.endsWith(')')) return error(rule.includes(')', open) ? 'text after the closing ")"' : 'missing closing ")"');
    const specifier = rule.slice(open + 1, -1);
    if (specifier === '') return error(`${tool}() is invalid: give a specifier or write just ${tool}`);
  } else if (tool.includes(')')) return error('a ")" without its "("');
  // Claude Code: a name without "_" must start with an uppercase letter.
  if (!tool.includes('_') && !/^[A-Z]/.test(tool)) return error(`tool name "${tool}" must start with an uppercase letter`);
  if (tool !== tool.trimEnd()) return warning(`a space between the tool name and "(": the tool name is then "${tool}", which no tool has`);
  if (!TOOL_NAME.test(tool)) return warning(`tool name "${tool}" has characters no tool name has${/[\s-]/.test(tool) && TOOL_NAME.test(tool.replace(/[\s-]/g, '')) ? `; did you mean "${tool.replace(/[\s-]/g, '')}"?` : ''}`);
  if (open === -1) return undefined;
  const specifier = rule.slice(open + 1, -1);
  if (specifier.trim() === '') return error(`${tool}() is invalid: give a specifier or write just ${tool}`);
  return asProblem(checkSpecifier(tool, specifier));
}

function checkSpecifier(tool: string, specifier: string): string | undefined {
  if (tool === 'Bash') return checkBashSpecifier(specifier);
  if (FILE_TOOLS.has(tool) && specifier.includes(BASH_PREFIX)) {
    return `":*" is Bash prefix syntax; ${tool} takes a gitignore-style glob such as ${tool}(./src/**)`;
  }
  if (tool === 'WebFetch') return checkWebFetchSpecifier(specifier);
  return undefined;
}

function checkBashSpecifier(specifier: string): string | undefined {
  const at = specifier.indexOf(BASH_PREFIX);
  if (at === -1) return undefined;
  if (at !== specifier.length - BASH_PREFIX.length) return '":*" is allowed only at the end, as in Bash(npm run test:*)';
  if (specifier.slice(0, at).trim() === '') return '":*" needs a command prefix before it, as in Bash(npm run test:*)';
  return undefined;
}

function checkWebFetchSpecifier(specifier: string): string | undefined {
  if (!specifier.startsWith('domain:')) return 'WebFetch rules take domain:<host>, as in WebFetch(domain:example.com)';
  const host = specifier.slice('domain:'.length);
  if (host === '') return 'missing host after domain:';
  if (/[/\s]/.test(host)) return `domain "${host}" must be a host name, not a URL or path`;
  return undefined;
}

function checkMcpRule(rule: string, list: 'allow' | 'ask' | 'deny'): RuleProblem | undefined {
  if (rule.includes('(') || rule.includes(')')) {
    return error('MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool');
  }
  const [server = '', tool, ...rest] = rule.slice('mcp__'.length).split('__');
  if (server === '') return error('missing MCP server name after mcp__');
  // Claude Code takes a glob in the server name of deny and ask rules, and only in the tool position of allow rules.
  if (server.includes('*') && list === 'allow') return error(`a wildcard server name ("${server}") is not taken in allow rules; name the server, as in mcp__github__*`);
  const plain = (name: string): boolean => name.replace(/\*/g, '') === '' || MCP_NAME.test(name.replace(/\*/g, ''));
  if (!plain(server)) return warning(`MCP server name "${server}" has characters no server name has (letters, digits, "-" and "_")`);
  if (tool === undefined) return undefined;
  // A tool name may itself contain "__"; only the server part is split off.
  const toolName = [tool, ...rest].join('__');
  if (toolName === '') return error('missing tool name after the server name');
  if (!plain(toolName)) return warning(`MCP tool name "${toolName}" has characters no tool name has (letters, digits, "-" and "_")`);
  return undefined;
}
