/**
 * The base layer of the seed repo: what every developer gets, in every
 * environment, before any environment, team, project or user changes it.
 */
import type { ScaffoldFile } from './types.js';

const CONFIG_YML = `# base/config.yml: the foundation every developer gets (layer "base").
# Top-level keys of every layer file like this one: settings, mcpServers,
# personas, workflows, instructions, security. Higher layers (environment →
# team → project → user) override it key by key; lists merge as set in
# claude-env.yml (merge.arrays).

# settings → ~/.claude/settings.json, in Claude Code's own format.
settings:
  model: sonnet                      # an alias (sonnet, opus, haiku) or a full model id
  cleanupPeriodDays: 30              # days of local chat transcripts Claude Code keeps
  companyAnnouncements:
    - "Claude Code here is managed by claude-env: propose changes in the config repo, not in ~/.claude."
  permissions:
    # Rules are Tool or Tool(specifier), checked deny → ask → allow.
    # Bash(cmd:*) matches commands starting with "cmd"; Read/Edit take
    # gitignore-style paths (./ is the working directory, ~/ the home).
    defaultMode: default             # default | acceptEdits | plan (bypassPermissions is forbidden by base/security)
    allow:
      - Bash(npm run test:*)
      - Bash(npm run lint:*)
      - Bash(npm run build)
      - Bash(git status)
      - Bash(git diff:*)
      - Bash(git log:*)
      - Bash(git show:*)
      - WebFetch(domain:docs.github.com)
      - mcp__memory                  # every tool of the memory MCP server (no parentheses for MCP rules)
      - mcp__docs
    ask:
      - Bash(git push:*)
      - Bash(gh pr create:*)
    deny:
      - Read(./.env)
      - Read(./.env.*)
      - Read(./secrets/**)
      - Edit(./secrets/**)
      - Read(~/.ssh/**)
      - Read(~/.aws/**)
      - Bash(sudo:*)
      - Bash(curl:*)
      - Bash(wget:*)
      - Bash(git push --force:*)
  env:                               # environment of the session and the tools it runs; strings only
    BASH_DEFAULT_TIMEOUT_MS: "120000"
    MCP_TIMEOUT: "20000"
    DISABLE_TELEMETRY: "1"
  hooks:
    # After every file edit, format the file. The script ships in
    # base/files/hooks/ and is written to ~/.claude/hooks/ (executable).
    PostToolUse:
      - matcher: "Edit|MultiEdit|Write"
        hooks:
          - type: command
            command: '"\${CLAUDE_CONFIG_DIR:-$HOME/.claude}/hooks/format-on-edit.sh"'
            timeout: 30              # seconds

# instructions → the managed block of ~/.claude/CLAUDE.md. Each item is one
# Markdown paragraph; every layer's items are appended after these.
instructions:
  - |
    ## How we work
    Keep changes small and focused: one concern per commit, with a message
    that says why. Run the project's tests and linter before proposing a
    change, and say so when you could not.
  - |
    ## Safety
    Never print, copy or commit credentials, tokens or the contents of
    \`.env\` files. If a task needs a secret, ask the developer to provide it
    through the environment instead.
  - |
    ## Reviews
    Use the code-reviewer agent before opening a pull request, and the
    security-auditor agent for changes to authentication, authorisation,
    cryptography or input parsing.
`;

const MCP_MEMORY_YML = `# base/mcp/memory.yml: one MCP server; the file name is the server name.
# stdio servers run a local command ("type: stdio" may be omitted).
description: Knowledge-graph memory shared across sessions on this machine.
type: stdio
command: npx
args: ["-y", "@modelcontextprotocol/server-memory"]
# expect: what "claude-env mcp check" (and drift --online) verifies.
expect:
  tools: [create_entities, read_graph, search_nodes]
  min_tools: 5
  max_latency_ms: 15000
`;

const MCP_EVERYTHING_YML = `# base/mcp/everything.yml: the MCP reference test server (echo, sampling,
# resources). Defined here, off by default: environments/development turns it
# on. A disabled server is not written to ~/.claude.json.
description: MCP reference server exercising every protocol feature, for trying out MCP clients.
type: stdio
command: npx
args: ["-y", "@modelcontextprotocol/server-everything"]
enabled: false
expect:
  tools: [echo]
  min_tools: 3
  max_latency_ms: 15000
`;

const MCP_DOCS_YML = `# base/mcp/docs.yml: internal documentation search over streamable HTTP.
# The token is a secret reference, resolved on each machine at apply time
# from the environment variable DOCS_MCP_TOKEN (which holds the whole header
# value, scheme included); it is never stored in this repo.
description: Search and read the engineering handbook, ADRs and runbooks.
type: http
url: https://mcp.example.com/mcp
headers:
  Authorization: !secret env:DOCS_MCP_TOKEN
timeout: 30000                       # milliseconds
expect:
  min_tools: 1
  max_latency_ms: 3000
`;

const PERSONA_CODE_REVIEWER_YML = `# base/personas/code-reviewer.yml → ~/.claude/agents/code-reviewer.md
# A persona is a Claude Code subagent; the file name is its name.
# description (required) tells Claude when to delegate to it.
description: Reviews a change for correctness, readability and test coverage. Use after writing or modifying code and before opening a pull request.
tools: [Read, Grep, Glob, Bash]      # omit to inherit every tool
model: sonnet
color: blue
prompt: |
  You are a senior engineer reviewing a change made by a colleague.

  1. Run \`git diff\` (or \`git diff main...HEAD\` on a branch) to see the change.
  2. Read the surrounding code before judging a line.
  3. Report, by priority: bugs and regressions; missing or weak tests;
     unclear names, duplication and dead code; style nits last.

  For each point give the file and line, what is wrong and a concrete fix.
  Say plainly when the change looks good. Do not edit files.
`;

const PERSONA_ARCHITECT_YML = `# base/personas/architect.yml → ~/.claude/agents/architect.md
description: Designs features and refactorings across modules, weighs trade-offs and writes the plan. Use before large or cross-cutting changes.
tools: [Read, Grep, Glob, WebFetch]
model: opus
permissionMode: plan                 # plans only; it never edits
prompt: |
  You are a software architect. Before proposing anything, map the relevant
  part of the codebase: entry points, module boundaries, data flow and the
  tests that pin current behaviour.

  Then write a plan with: the goal and constraints; two or three options
  with their trade-offs (complexity, risk, migration, operability); the
  recommended option; the steps in an order where every step leaves the
  build green; and the risks with how to detect them early.

  Prefer boring, reversible designs. Name what you do not know.
`;

const PERSONA_SECURITY_AUDITOR_YML = `# base/personas/security-auditor.yml → ~/.claude/agents/security-auditor.md
description: Audits code and configuration for security flaws (injection, authn/authz, secrets, unsafe deserialisation, dependency risk). Use for security-sensitive changes.
tools: [Read, Grep, Glob, Bash]
disallowedTools: [Edit, Write]       # an auditor reports; it does not change code
model: opus
prompt: |
  You are an application security engineer auditing a change or a module.

  Look for: injection (SQL, shell, template, path traversal); broken
  authentication or authorisation checks; secrets in code, logs or config;
  unsafe deserialisation and SSRF; missing input validation at trust
  boundaries; weak cryptography; risky new dependencies.

  For each finding give its severity (critical, high, medium, low), the file
  and line, an exploit scenario in one or two sentences and the fix. Never
  print secret values you come across; refer to their location only.
`;

const SECURITY_PERMISSIONS_YML = `# base/security/permissions.yml: permission policy checked by
# "claude-env validate" against the merged settings of every target.
permissions:
  # These deny rules must be present in every developer's settings.
  required_deny:
    - Read(./.env)
    - Read(./secrets/**)
    - Read(~/.ssh/**)
    - Bash(sudo:*)
  # No layer may allow these.
  forbidden_allow:
    - Bash
    - Bash(*)
    - Bash(sudo:*)
    - Bash(curl:*)
    - Bash(git push --force:*)
  # No layer may set these permission modes.
  forbidden_modes: [bypassPermissions]
`;

const SECURITY_MCP_YML = `# base/security/mcp.yml: which MCP servers may be configured. A server not
# on the allowlist (also one a developer added with "claude mcp add") is a
# policy violation.
mcp:
  allowlist:
    - { name: memory }
    - { name: everything }
    - { name: docs }
  require_https: true                # http/sse servers must use https:// URLs
`;

const SECURITY_ENV_YML = `# base/security/env.yml: environment variables that look like credentials
# (by name) must be secret references (!secret or !encrypted), never plain
# values, in settings.env and in MCP server env and headers.
env:
  credential_patterns: ["*_TOKEN", "*_SECRET", "*_PASSWORD", "*_API_KEY", "*_PRIVATE_KEY"]
  credentials_must_be_secret: true
`;

const SECURITY_ENFORCE_YML = `# base/security/enforce.yml: settings enforced through Claude Code's managed
# settings (written with "claude-env apply --managed DIR", e.g. by the
# device management of the laptops); users cannot override them.
enforce:
  settings:
    permissions:
      disableBypassPermissionsMode: disable
`;

// POSIX sh, so it runs wherever Claude Code does; formatting is best effort.
const FORMAT_ON_EDIT_SH = `#!/bin/sh
# format-on-edit.sh: Claude Code PostToolUse hook (see base/config.yml).
# Claude Code passes the tool call as JSON on stdin; this formats the edited
# file with the project's own formatter when one is installed. It always
# exits 0: a missing formatter must never block an edit.
set -u

command -v jq >/dev/null 2>&1 || exit 0
file="$(jq -r '.tool_input.file_path // empty')"
[ -n "$file" ] && [ -f "$file" ] || exit 0

project="\${CLAUDE_PROJECT_DIR:-$PWD}"
cd "$project" 2>/dev/null || exit 0

case "$file" in
  *.js|*.jsx|*.ts|*.tsx|*.mjs|*.cjs|*.json|*.css|*.scss|*.html|*.md|*.yml|*.yaml)
    if [ -x node_modules/.bin/prettier ]; then
      node_modules/.bin/prettier --write --log-level warn "$file" >&2 || true
    fi
    ;;
  *.go)
    if command -v gofmt >/dev/null 2>&1; then gofmt -w "$file" >&2 || true; fi
    ;;
  *.py)
    if command -v ruff >/dev/null 2>&1; then ruff format --quiet "$file" >&2 || true; fi
    ;;
  *.tf)
    if command -v terraform >/dev/null 2>&1; then terraform fmt "$file" >/dev/null 2>&1 || true; fi
    ;;
  *.sh)
    if command -v shfmt >/dev/null 2>&1; then shfmt -w "$file" >&2 || true; fi
    ;;
esac
exit 0
`;

const RELEASE_NOTES_SKILL_MD = `---
name: release-notes
description: Drafts release notes from the git history between two refs. Use when asked for release notes, a changelog entry or "what changed since" a version.
argument-hint: "[from-ref] [to-ref]"
allowed-tools: Bash(git log:*), Bash(git tag:*), Bash(git describe:*), Read
---
# Release notes

Arguments: $ARGUMENTS (a starting ref, default the latest tag from
\`git describe --tags --abbrev=0\`; an ending ref, default \`HEAD\`).

1. List the commits with \`git log --no-merges --pretty=format:'%h %s' FROM..TO\`.
2. Group them under **Features**, **Fixes**, **Performance**, **Breaking
   changes** and **Internal**, using conventional-commit prefixes when present
   and the diff when not.
3. Write one line per user-visible change, in the imperative, with the
   short hash in parentheses. Merge commits that belong together.
4. Put breaking changes first, each with the migration step a user needs.
5. Leave internal-only changes (CI, refactors, tests) out unless asked.
`;

export function baseFiles(): ScaffoldFile[] {
  return [
    { path: 'base/config.yml', content: CONFIG_YML },
    { path: 'base/mcp/memory.yml', content: MCP_MEMORY_YML },
    { path: 'base/mcp/everything.yml', content: MCP_EVERYTHING_YML },
    { path: 'base/mcp/docs.yml', content: MCP_DOCS_YML },
    { path: 'base/personas/code-reviewer.yml', content: PERSONA_CODE_REVIEWER_YML },
    { path: 'base/personas/architect.yml', content: PERSONA_ARCHITECT_YML },
    { path: 'base/personas/security-auditor.yml', content: PERSONA_SECURITY_AUDITOR_YML },
    { path: 'base/security/permissions.yml', content: SECURITY_PERMISSIONS_YML },
    { path: 'base/security/mcp.yml', content: SECURITY_MCP_YML },
    { path: 'base/security/env.yml', content: SECURITY_ENV_YML },
    { path: 'base/security/enforce.yml', content: SECURITY_ENFORCE_YML },
    { path: 'base/files/hooks/format-on-edit.sh', content: FORMAT_ON_EDIT_SH, mode: 0o755 },
    { path: 'base/files/skills/release-notes/SKILL.md', content: RELEASE_NOTES_SKILL_MD },
  ];
}
