/**
 * Repo-level files of the seed config repo: claude-env.yml, access.yml, the
 * README and the org schema folder.
 */
import type { ScaffoldFile } from './types.js';

const CLAUDE_ENV_YML = `# claude-env.yml: settings of this config repo, read by every claude-env command.
# Unknown keys are errors (reported with file:line:col), so a typo never
# silently does nothing.
version: 1

# Environments a machine can belong to. Each one has a folder under
# environments/ and a rollout strategy below.
environments: [development, staging, production]

merge:
  # How a list merges when several layers set it (base → environment →
  # environment team entry → team → project → user → user_local).
  # Keys are dotted-path globs into the merged tree (* is one key, ** any
  # depth); the first match wins; a list that matches nothing is replaced by
  # the higher layer.
  #   append                 higher layer's items after the lower layer's
  #   unique                 append, drop duplicates (first position kept)
  #   { merge-by-key: f }    objects with the same f are merged;
  #                          { f: x, $delete: true } removes one
  arrays:
    settings.permissions.allow: unique
    settings.permissions.ask: unique
    settings.permissions.deny: unique       # no layer can drop a deny rule by omission
    settings.companyAnnouncements: unique
    settings.hooks.*: append                # every layer may add hooks for an event
    instructions: append
    workflows.*.steps: { merge-by-key: name }
    # Security policy only ever grows down the layers.
    security.permissions.required_deny: unique
    security.permissions.forbidden_allow: unique
    security.permissions.forbidden_modes: unique
    security.env.credential_patterns: unique

drift:
  # Severity (and category) of a drift item, by dotted path of the managed
  # value; the first match wins. Paths that match nothing get the defaults:
  # security policy → critical, other configuration → high.
  severity:
    - { path: "settings.permissions.deny", severity: critical, category: security-policy }
    - { path: "settings.permissions.defaultMode", severity: critical, category: security-policy }
    - { path: "settings.permissions.disableBypassPermissionsMode", severity: critical, category: security-policy }
    - { path: "security.**", severity: critical, category: security-policy }
    - { path: "settings.permissions.**", severity: high, category: team-permissions }
    - { path: "settings.hooks.**", severity: high, category: configuration }
    - { path: "mcpServers.**", severity: high, category: configuration }
    - { path: "settings.model", severity: medium, category: version }
    - { path: "settings.env.**", severity: medium, category: configuration }
    - { path: "settings.cleanupPeriodDays", severity: medium, category: configuration }
    - { path: "settings.alwaysThinkingEnabled", severity: low, category: user-preference }
    - { path: "settings.spinnerTipsEnabled", severity: low, category: user-preference }

# Secrets. A !secret cmd: value runs a command on every machine of its
# targets at apply, so it is accepted only in the layers named here (team,
# project and user layers are written by people with fewer rights than the
# machine's owner). Encrypted values (!encrypted) are encrypted to the age
# recipients: add your team's age public keys (from age-keygen) and
# uncomment; then "claude-env secret encrypt" prints values to paste into any
# layer file.
secrets:
  commands_from: [base, environments]
#   age:
#     recipients:
#       - <age public key of the platform team>

# How a new revision reaches the machines of each environment (claude-env serve).
rollout:
  development: { strategy: immediate }
  staging: { strategy: staged }            # all machines, after validation and health checks
  production:                              # 10 % → 50 % → 100 % of machines, health-gated
    strategy: canary
    steps: [10, 50, 100]
    pause: 10m
    max_failure_rate: 0.05                 # roll back when more than 5 % of a step fails
    approval: { roles: [team_lead, security_reviewer], count: 2 }

# Cron schedules of the controller's drift sweeps: every two hours during the
# working week, four times a day at weekends.
schedules:
  drift: ["0 8-18/2 * * 1-5", "0 0,6,12,18 * * 0,6"]

# Where the controller reports. The webhook URL is a secret reference,
# resolved on the controller host; it is never stored in this repo.
notifications:
  - { type: slack, url_secret: !secret env:SLACK_WEBHOOK, on: [drift.critical, rollout.failed] }
`;

const ACCESS_YML = `# access.yml: who may change what in this repo (claude-env access check).
# Members and their roles come from teams/<team>/members.yml.
# {their-team} and {assigned-projects} expand to the author's own teams and
# projects. A permission is "<path glob>:read|write", or "*" for everything.
roles:
  admin: { permissions: ["*"], members: ["team:devops-team", "team:platform-team"] }
  team_lead: { permissions: ["teams/{their-team}/**:write", "projects/**:write", "environments/development/**:write", "**:read"], approval_power: [team-changes, project-setup] }
  developer: { permissions: ["teams/{their-team}/workflows.yml:write", "projects/{assigned-projects}/**:write", "**:read"], auto_approvals: [minor] }
  security_reviewer: { permissions: ["**/security.yml:write", "base/security/**:write", "**:read"] }

# Every change gets a class; the first match wins per file and a change
# takes the highest class of its files. The class decides the approvals a
# pull request needs before it may merge.
change_classes:
  security: { paths: ["**/security.yml", "base/security/**"], keys: ["settings.permissions.**", "security.**"], approvals: { roles: [security_reviewer], count: 1 } }
  production: { paths: ["environments/production/**"], approvals: { roles: [admin, team_lead], count: 2 } }
  major: { paths: ["base/**", "environments/**", "teams/*/base-config.yml"], approvals: { roles: [team_lead], count: 1 } }
  minor: { paths: ["**"], approvals: { count: 0 } }

# GitHub CODEOWNERS (claude-env access codeowners --out .github/CODEOWNERS):
# the owners of a path are those whose role grants write on it. With org
# set, the members of a role's "team:<t>" become @<org>/<t>; users are
# @<login>, their user name unless logins says otherwise.
# codeowners:
#   org: example-org
#   logins: { alice: alice-martin }

# SSH public keys whose commit signatures count as their user's
# (claude-env history --verify-signatures; git config gpg.format ssh).
# signing_keys:
#   alice: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… alice@laptop"
`;

const README_MD = `# Claude Code configuration

This repository is the single source of the Claude Code setup of every
developer: settings and permissions, MCP servers, personas (subagents),
workflows (slash commands), CLAUDE.md instructions and security policy.
[claude-env](https://www.npmjs.com/package/claude-env) validates it, renders
it per developer and writes it where Claude Code reads it.

## Layout

| path | what it holds |
| --- | --- |
| \`claude-env.yml\` | environments, list merge strategies, drift severities, rollouts, schedules, notifications |
| \`access.yml\` | roles, permissions per path, change classes and the approvals they need |
| \`base/\` | what everyone gets: \`config.yml\`, \`mcp/<server>.yml\`, \`personas/<name>.yml\`, \`security/*.yml\`, \`files/\` (copied under \`~/.claude/\`) |
| \`environments/<env>/\` | \`config.yml\`, \`mcp-servers.yml\`, \`security.yml\`, \`teams.yml\` (per-team tweaks in that environment) |
| \`teams/<team>/\` | \`base-config.yml\`, \`mcp-preferences.yml\`, \`personas.yml\`, \`workflows.yml\`, \`members.yml\` |
| \`projects/<project>/claude-config.yml\` | project settings and instructions |
| \`users/<user>/overrides.yml\` | a developer's shared personal layer |
| \`schemas/\` | the org's extra JSON Schemas |
| \`.github/workflows/\` | CI: validation, environment sync, drift detection, security scan |

Layers merge from low to high priority: base → environment → the
environment's entry for the team → team → project → user → the machine's
\`~/.claude/local-overrides.yml\`. Objects merge key by key, a higher layer's
scalar wins, lists follow \`merge.arrays\` in \`claude-env.yml\` (replaced
unless configured). \`null\` keeps the parent's value; \`!delete\` removes an
inherited key.

## Changing things

1. Edit the layer that owns the value (\`npx claude-env explain settings.model --env production --team backend-team\`
   shows which layer sets a key today).
2. Check it: \`npx claude-env validate\`, and see the result for one developer
   with \`npx claude-env render --env staging --team frontend-team --user alice\`.
3. Open a pull request. CI validates it, runs the security scan and tells you
   which approvals \`access.yml\` requires (\`npx claude-env access check\`).
4. After merge, the controller rolls the revision out per \`claude-env.yml\`
   (development at once, staging after checks, production as a canary).

Secrets never go in this repository in clear: use \`!secret env:NAME\`
(or \`file:\`, \`cmd:\`), resolved on each machine, or an \`!encrypted\` value.

New developer: \`npx claude-env onboard <user> --team <team> --role developer --projects <project>\`.
`;

const SCHEMAS_README_MD = `# Org schemas

claude-env checks every document against the JSON Schemas it ships. Put
extra rules of your organisation here, one file per document kind, named
\`schemas/<kind>.schema.json\` (or \`.yml\`); they are applied on top of the
shipped ones by \`claude-env validate\`.

Kinds: \`repo-settings\`, \`access\`, \`config\`, \`mcp-server\`, \`mcp-servers\`,
\`persona\`, \`personas\`, \`workflows\`, \`security\`, \`environment-teams\`,
\`members\`.

Example: \`schemas/persona.schema.json\` requiring every persona to set
\`model\`:

\`\`\`json
{ "$schema": "https://json-schema.org/draft/2020-12/schema", "required": ["model"] }
\`\`\`

No file here means the shipped schemas only.
`;

const GITIGNORE = `# Outputs of local runs and CI
results.sarif
*.sarif
drift*.json
impact.json
rendered/
# age identities (private keys) must never be committed
*.agekey
age-identity*.txt
`;

export function repoFiles(): ScaffoldFile[] {
  return [
    { path: 'claude-env.yml', content: CLAUDE_ENV_YML },
    { path: 'access.yml', content: ACCESS_YML },
    { path: 'README.md', content: README_MD },
    { path: 'schemas/README.md', content: SCHEMAS_README_MD },
    { path: '.gitignore', content: GITIGNORE },
  ];
}
