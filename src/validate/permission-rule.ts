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

/** undefined for a valid rule, else a short message saying what is wrong. */
export function checkPermissionRule(rule: string): string | undefined {
  if (rule.trim() === '') return 'empty rule';
  if (rule !== rule.trim()) return 'leading or trailing whitespace';
  if (rule.startsWith('mcp__')) return checkMcpRule(rule);
  const open = rule.indexOf('(');
  const tool = open === -1 ? rule : rule.slice(0, open);
  const toolProblem = checkToolName(tool);
  if (toolProblem !== undefined) return toolProblem;
  if (open === -1) return undefined;
  if (!rule.endsWith(')')) return rule.includes(')', open) ? 'text after the closing ")"' : 'missing closing ")"';
  const specifier = rule.slice(open + 1, -1);
  if (specifier.trim() === '') return `${tool}() is invalid: give a specifier or write just ${tool}`;
  if (!balanced(specifier)) return 'unbalanced parentheses';
  return checkSpecifier(tool, specifier);
}

function checkToolName(tool: string): string | undefined {
  if (tool === '') return 'missing tool name before "("';
  if (tool !== tool.trimEnd()) return 'no space allowed between the tool name and "("';
  if (tool.includes(')')) return 'unbalanced parentheses';
  if (!/^[A-Z]/.test(tool)) return `tool name "${tool}" must start with an uppercase letter`;
  if (!TOOL_NAME.test(tool)) return `tool name "${tool}" may contain only letters, digits and "_"`;
  return undefined;
}

/** Parentheses inside a specifier must pair up; `\(` and `\)` are literal. */
function balanced(specifier: string): boolean {
  let depth = 0;
  for (let i = 0; i < specifier.length; i++) {
    const c = specifier[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
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

function checkMcpRule(rule: string): string | undefined {
  if (rule.includes('(') || rule.includes(')')) {
    return 'MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool';
  }
  const [server = '', tool, ...rest] = rule.slice('mcp__'.length).split('__');
  if (server === '') return 'missing MCP server name after mcp__';
  if (!MCP_NAME.test(server)) return `MCP server name "${server}" may contain only letters, digits, "-" and "_"`;
  if (tool === undefined) return undefined;
  // A tool name may itself contain "__"; only the server part is split off.
  const toolName = [tool, ...rest].join('__');
  if (toolName === '') return 'missing tool name after the server name';
  if (toolName === '*') return undefined;
  if (toolName.includes('*')) return `"*" must stand alone, as in mcp__${server}__*`;
  if (!MCP_NAME.test(toolName)) return `MCP tool name "${toolName}" may contain only letters, digits, "-" and "_"`;
  return undefined;
}
