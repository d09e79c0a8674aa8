/**
 * environments/<env>/: what differs per environment. Every environment has
 * the same four files, even when one has little to say.
 */
import type { ScaffoldFile } from './types.js';

interface EnvFiles {
  config: string;
  mcpServers: string;
  security: string;
  teams: string;
}

const DEVELOPMENT: EnvFiles = {
  config: `# environments/development/config.yml: layer "environment" for machines in
# development. Same shape as base/config.yml; it holds only what differs.
settings:
  permissions:
    defaultMode: acceptEdits         # file edits without a prompt; other tools still ask
    allow:                           # added to base's rules (merge strategy: unique)
      - Bash(docker compose up:*)
      - Bash(docker compose logs:*)
      - Bash(docker compose ps)
      - Bash(npm install)
  env:
    DEPLOY_ENVIRONMENT: development
instructions:
  - |
    ## Development environment
    Local services run with \`docker compose\`. Test data is synthetic and
    may be reset at any time, so feel free to seed and wipe local databases.
`,
  mcpServers: `# environments/development/mcp-servers.yml: changes to the servers of
# base/mcp/ for this environment, by server name (partial entries merge).
everything:
  enabled: true                      # the reference server, for experimenting with MCP
`,
  security: `# environments/development/security.yml: added to base/security/ for
# development (policy lists only grow, see claude-env.yml merge.arrays).
permissions:
  forbidden_allow:
    - Bash(docker run --privileged:*)
`,
  teams: `# environments/development/teams.yml: per-team tweaks that apply only in
# development. Each top-level key is a team; below it, a tree shaped like
# base/config.yml, applied just below that team's own layer.
devops-team:
  settings:
    permissions:
      allow:
        - Bash(terraform apply:*)    # the development sandbox accounts only
`,
};

const STAGING: EnvFiles = {
  config: `# environments/staging/config.yml: layer "environment" for machines in staging.
settings:
  permissions:
    deny:
      - Bash(kubectl delete:*)       # required by environments/staging/security.yml
  env:
    DEPLOY_ENVIRONMENT: staging
instructions:
  - |
    ## Staging environment
    Staging is shared by every team and mirrors production. Do not change
    shared data or infrastructure by hand; go through the deployment
    pipeline so the change is reviewed and repeatable.
`,
  mcpServers: `# environments/staging/mcp-servers.yml: server changes for staging.
docs:
  timeout: 20000                     # milliseconds; staging machines sit close to the docs service
`,
  security: `# environments/staging/security.yml: added to base/security/ for staging.
permissions:
  required_deny:
    - Bash(kubectl delete:*)
`,
  teams: `# environments/staging/teams.yml: per-team tweaks in staging. They sit
# just below the team's own layer: they add to what the team sets, and the
# team's own files win where both set the same key.
backend-team:
  settings:
    permissions:
      allow:
        - Bash(make contract-test)   # contract tests against the shared staging stubs
  instructions:
    - |
      ## backend-team in staging
      Run \`make contract-test\` before proposing an API change: it checks the
      change against the staging stubs that other teams' services use.
`,
};

const PRODUCTION: EnvFiles = {
  config: `# environments/production/config.yml: layer "environment" for machines with
# production access (on-call, operations). Stricter than the other environments.
settings:
  model: claude-sonnet-4-5-20250929  # pinned: the model changes only through a reviewed change here
  cleanupPeriodDays: 14
  permissions:
    defaultMode: default
    disableBypassPermissionsMode: disable
    deny:                            # added to base's deny rules
      - Bash(kubectl delete:*)
      - Bash(kubectl apply:*)
      - Bash(helm upgrade:*)
      - Bash(terraform apply:*)
      - Bash(terraform destroy:*)
      - Read(~/.kube/**)
  env:
    DEPLOY_ENVIRONMENT: production
instructions:
  - |
    ## Production environment
    This machine can reach production. Only read and diagnose; every change
    to production goes through a reviewed pull request and the deployment
    pipeline. When in doubt, stop and ask.
`,
  mcpServers: `# environments/production/mcp-servers.yml: server changes for production.
everything:
  enabled: false                     # already off in base; stated so a base change cannot turn it on here
`,
  security: `# environments/production/security.yml: added to base/security/ for production.
permissions:
  required_deny:
    - Bash(kubectl delete:*)
    - Bash(terraform apply:*)
    - Bash(terraform destroy:*)
    - Read(~/.kube/**)
  forbidden_allow:
    - Bash(kubectl apply:*)
    - Bash(helm upgrade:*)
  forbidden_modes: [acceptEdits, auto, dontAsk]
# Enforced through managed settings on production machines: these deny rules
# cannot be removed by any user or project settings file.
enforce:
  settings:
    permissions:
      deny:
        - Bash(kubectl delete:*)
        - Bash(terraform destroy:*)
`,
  teams: `# environments/production/teams.yml: per-team tweaks in production.
backend-team:
  settings:
    permissions:
      deny:                          # no direct database sessions from production machines
        - Bash(psql:*)
        - Bash(pg_dump:*)
`,
};

const ENVIRONMENTS: Record<string, EnvFiles> = { development: DEVELOPMENT, staging: STAGING, production: PRODUCTION };

export function environmentFiles(): ScaffoldFile[] {
  return Object.entries(ENVIRONMENTS).flatMap(([env, f]) => [
    { path: `environments/${env}/config.yml`, content: f.config },
    { path: `environments/${env}/mcp-servers.yml`, content: f.mcpServers },
    { path: `environments/${env}/security.yml`, content: f.security },
    { path: `environments/${env}/teams.yml`, content: f.teams },
  ]);
}
