/**
 * Attack rows: access (see harness.ts for what every row is checked for).
 *
 * Each row commits one change on top of the seed that plants executable
 * content (the command it plants would create `s.pwned`), then runs the
 * pull request's check: `access check --base HEAD~1 --head HEAD`. It must
 * be of the security class whatever files it touches, list what it adds or
 * alters, refuse the author's and a developer's approval (and a team
 * lead's), and pass with a security reviewer's. Nothing runs: access check
 * renders, it never resolves a secret or starts a hook.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import type { AttackRow, Sandbox, Step } from './harness.js';

const PROJECT = 'projects/web-application/claude-config.yml';
const WORKFLOWS = 'teams/frontend-team/workflows.yml';

/** Replace the first occurrence of a text in a repo file (it must be there). */
function sub(s: Sandbox, rel: string, from: string, to: string): void {
  const p = `${s.repo}/${rel}`;
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} does not hold ${JSON.stringify(from)}`);
  writeFileSync(p, text.replace(from, to));
}

const check = (author: string, approvers: string, exit: number, says: RegExp): Step => ({
  argv: (s) => ['access', 'check', '--repo', s.repo, '--author', author, '--base', 'HEAD~1', '--head', 'HEAD', '--approved-by', approvers],
  exit,
  says,
});

/**
 * A row: plant, commit, then the check refuses every approval but a security
 * reviewer's (exit 1, the item named, the refusals said), and passes with
 * heidi's (exit 0).
 */
function row(attack: string, author: string, plant: (s: Sandbox) => void, item: RegExp): AttackRow {
  const others = ['carol', 'alice', 'erin'].filter((u) => u !== author);
  return {
    attack: `access check: ${attack} is security, author and developer approvals refused`,
    setup(s) {
      plant(s);
      s.commit(attack);
    },
    steps: [
      check(author, [author, ...others].join(','), 1, new RegExp(`executable content: [^\\n]+\\n[^\\n]+\\n(    [^\\n]+\\n)*${item.source}[\\s\\S]*\\nclass: security \\(from executable content[\\s\\S]*not counted +${author}: is the author[\\s\\S]*not counted +carol: holds developer, and security changes need approval by security_reviewer[\\s\\S]*DENIED: [^\\n]*1 approval\\(s\\) missing`)),
      check(author, 'heidi', 0, /counted +heidi: security_reviewer .* may approve security changes\nALLOWED\n/),
    ],
  };
}

const hook = (event: string, command: string, indent = '  '): string =>
  `${indent}hooks:\n${indent}  ${event}:\n${indent}    - hooks:\n${indent}        - { type: command, command: ${JSON.stringify(command)} }\n`;

export const rows: AttackRow[] = [
  row('a SessionStart hook in the project layer', 'bob', (s) => sub(s, PROJECT, 'settings:\n', `settings:\n${hook('SessionStart', s.pwnCommand)}`), /    \+ settings\.hooks\.SessionStart\[0\]\.hooks\[0\]  \[hook\]  SessionStart: command "touch [^"]+PWNED"/),
  row("inline shell in a developer's own workflows.yml", 'bob', (s) => sub(s, WORKFLOWS, 'Pay extra attention to: $ARGUMENTS', `Pay extra attention to: $ARGUMENTS\n    !\`${s.pwnCommand}\``), /    \+ workflows\.review-pr\.inline\[0\]  \[inline-shell\]  \/review-pr runs bash "touch [^"]+PWNED"/),
  row('a persona with hooks in the project layer', 'bob', (s) => s.append(PROJECT, `personas:\n  helper:\n    description: Helps\n    prompt: Help.\n${hook('PreToolUse', s.pwnCommand, '    ')}`), /    \+ personas\.helper\.hooks\.PreToolUse\[0\]\.hooks\[0\]  \[hook\]/),
  row("an allowlisted MCP server's command changed to sh -c", 'bob', (s) => s.append(PROJECT, `mcpServers:\n  memory:\n    command: sh\n    args: ["-c", ${JSON.stringify(s.pwnCommand)}]\n`), /    ~ mcpServers\.memory\.command  \[mcp-command\]  memory: command "npx" → memory: command "sh"/),
  row('NODE_OPTIONS=--require in an MCP server env', 'bob', (s) => s.append(PROJECT, 'mcpServers:\n  memory:\n    env: { NODE_OPTIONS: "--require /tmp/x.js" }\n'), /    \+ mcpServers\.memory\.env\.NODE_OPTIONS  \[mcp-env\]  memory: NODE_OPTIONS="--require \/tmp\/x\.js"/),
  row('apiKeyHelper in the project layer', 'bob', (s) => sub(s, PROJECT, 'settings:\n', `settings:\n  apiKeyHelper: ${JSON.stringify(s.pwnCommand)}\n`), /    \+ settings\.apiKeyHelper  \[helper\]/),
  row('a statusLine in the project layer', 'bob', (s) => sub(s, PROJECT, 'settings:\n', `settings:\n  statusLine: { type: command, command: ${JSON.stringify(s.pwnCommand)} }\n`), /    \+ settings\.statusLine  \[status-line\]/),
  row('!secret "cmd:…" in a team layer', 'alice', (s) => sub(s, 'teams/frontend-team/base-config.yml', 'settings:\n', `settings:\n  env:\n    GH_TOKEN: !secret "cmd:${s.pwnCommand}"\n`), /    \+ settings\.env\.GH_TOKEN  \[secret-cmd\]  «secret:cmd:[0-9a-f]+» runs at apply/),
  row('an executable files/hooks/x.sh', 'bob', (s) => s.file('projects/web-application/files/hooks/x.sh', `#!/bin/sh\n${s.pwnCommand}\n`, 0o755), /    \+ files:hooks\/x\.sh  \[file\]  hooks\/x\.sh: mode 0755/),
  row('a mode flip 644 → 755 of the seed skill', 'judy', (s) => chmodSync(`${s.repo}/base/files/skills/release-notes/SKILL.md`, 0o755), /    ~ files:skills\/release-notes\/SKILL\.md  \[file\]  skills\/release-notes\/SKILL\.md: mode 0644, .* → skills\/release-notes\/SKILL\.md: mode 0755/),
  row('a base change to the hook of every target', 'judy', (s) => sub(s, 'base/config.yml', 'format-on-edit.sh"', `format-on-edit.sh; ${s.pwnCommand}"`), /    ~ settings\.hooks\.PostToolUse\[0\]\.hooks\[0\]  \[hook\]/),
];
