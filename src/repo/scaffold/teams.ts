/**
 * teams/<team>/: four example teams, each with the five team files.
 */
import type { ScaffoldFile } from './types.js';

interface TeamFiles {
  baseConfig: string;
  mcpPreferences: string;
  personas: string;
  workflows: string;
  members: string;
}

const FRONTEND: TeamFiles = {
  baseConfig: `# teams/frontend-team/base-config.yml: layer "team" for frontend-team, in
# every environment. Same shape as base/config.yml.
settings:
  permissions:
    allow:
      - Bash(npx vitest run:*)
      - Bash(npx playwright test:*)
      - Bash(npm run storybook)
      - WebFetch(domain:developer.mozilla.org)
instructions:
  - |
    ## Frontend team
    We write React with TypeScript in strict mode. A component lives in
    \`src/components/<Name>/\` with its test (\`<Name>.test.tsx\`) and its story
    (\`<Name>.stories.tsx\`). Every interactive element must be reachable and
    usable with the keyboard and meet WCAG 2.2 AA contrast.
`,
  mcpPreferences: `# teams/frontend-team/mcp-preferences.yml: the team's changes to MCP servers
# defined in base/mcp/ (only those may be named here).
memory:
  enabled: false                     # the team keeps decisions in the repo (docs/decisions/) instead
`,
  personas: `# teams/frontend-team/personas.yml: persona changes for this team, by name.
# A known name changes that persona; a new name defines a team persona
# (description and prompt required).
code-reviewer:
  maxTurns: 25                       # UI diffs are large; give the reviewer more room
accessibility-reviewer:
  description: Reviews UI changes for accessibility (semantics, keyboard use, focus, contrast, ARIA). Use for any change to components or pages.
  tools: [Read, Grep, Glob]
  model: sonnet
  prompt: |
    You review user-interface code for accessibility against WCAG 2.2 AA.
    Check semantic elements before ARIA, keyboard operation and visible
    focus, labels and accessible names, colour contrast, motion and
    announcements for dynamic content. For each issue give the file and
    line, the success criterion it fails and the smallest fix.
`,
  workflows: `# teams/frontend-team/workflows.yml: the team's slash commands, written to
# ~/.claude/commands/<name>.md. $ARGUMENTS is what the user types after the command.
review-pr:
  description: Review the current branch against main
  argument-hint: "[focus area]"
  allowed-tools: [Read, Grep, Glob, "Bash(git diff:*)", "Bash(git log:*)"]
  persona: code-reviewer             # run by this persona (base/personas/code-reviewer.yml)
  prompt: |
    Review the changes of this branch against main (\`git diff main...HEAD\`).
    Pay extra attention to: $ARGUMENTS
new-component:
  description: Create a React component with its test and story
  argument-hint: "<ComponentName> [purpose]"
  allowed-tools: [Read, Glob, Grep, Write, Edit, "Bash(npx vitest run:*)"]
  prompt: |
    Create the React component described by: $ARGUMENTS
  # Steps run in order; other layers can change one by its name.
  steps:
    - name: plan
      prompt: Find two similar components and list the props, states and variants the new one needs.
    - name: implement
      prompt: Write the component, its test and its story following the team conventions.
    - name: test
      prompt: Run the component's tests with vitest and fix any failure.
    - name: review
      persona: accessibility-reviewer
      prompt: Review the new component for accessibility.
`,
  members: `# teams/frontend-team/members.yml: who is in the team, with their role
# (see access.yml) and assigned projects. Not merged into any layer.
- { user: alice, role: team_lead, projects: [web-application], name: Alice Martin, email: alice@example.com }
- { user: bob, role: developer, projects: [web-application] }
- { user: carol, role: developer, projects: [web-application, api-service] }
- { user: dan, role: developer, projects: [web-application] }
`,
};

const BACKEND: TeamFiles = {
  baseConfig: `# teams/backend-team/base-config.yml: layer "team" for backend-team.
settings:
  permissions:
    allow:
      - Bash(go test:*)
      - Bash(go vet:*)
      - Bash(go build:*)
      - Bash(make test)
      - Bash(make lint)
  env:
    GOFLAGS: "-mod=readonly"
instructions:
  - |
    ## Backend team
    Services are written in Go. Handlers stay thin: validation and mapping
    in the handler, logic in the service package, SQL in the store package.
    Every endpoint change comes with an OpenAPI update and a test.
`,
  mcpPreferences: `# teams/backend-team/mcp-preferences.yml: MCP changes for backend-team.
memory:
  env:
    # Keep the team's memory graph apart. \${HOME} is expanded by Claude Code
    # when it starts the server.
    MEMORY_FILE_PATH: "\${HOME}/.local/share/claude-memory/backend-team.json"
`,
  personas: `# teams/backend-team/personas.yml: persona changes for backend-team.
security-auditor:
  effort: high                       # the team handles payment data; audits take their time
api-designer:
  description: Designs HTTP APIs (resources, status codes, pagination, errors, versioning) and the OpenAPI changes. Use before adding or changing an endpoint.
  tools: [Read, Grep, Glob]
  model: opus
  prompt: |
    You design HTTP APIs consistent with the ones already in the service.
    Read the OpenAPI document and two existing handlers first. Propose the
    resource paths, methods, request and response bodies, status codes,
    error format and pagination, and the OpenAPI diff. Flag any breaking
    change and propose a compatible alternative.
`,
  workflows: `# teams/backend-team/workflows.yml: slash commands of backend-team.
add-endpoint:
  description: Design, implement and test a new HTTP endpoint
  argument-hint: "<METHOD> <path> [purpose]"
  allowed-tools: [Read, Grep, Glob, Edit, Write, "Bash(go test:*)", "Bash(make test)"]
  prompt: |
    Add the endpoint: $ARGUMENTS
  steps:
    - name: design
      persona: api-designer
      prompt: Design the endpoint and the OpenAPI change; wait for approval of the design.
    - name: implement
      prompt: Implement the handler, service and store code and update the OpenAPI document.
    - name: test
      prompt: Write table tests for the handler and the service, run go test ./... and fix failures.
security-review:
  description: Security review of the current branch
  argument-hint: "[package or path]"
  allowed-tools: [Read, Grep, Glob, "Bash(git diff:*)", "Bash(go vet:*)"]
  persona: security-auditor
  model: opus
  prompt: |
    Audit the changes of this branch against main for security flaws,
    focusing on $ARGUMENTS if given. Report findings by severity.
`,
  members: `# teams/backend-team/members.yml: members of backend-team.
- { user: erin, role: team_lead, projects: [api-service, data-pipeline] }
- { user: frank, role: developer, projects: [api-service] }
- { user: grace, role: developer, projects: [data-pipeline] }
- { user: heidi, role: security_reviewer, projects: [api-service] }
`,
};

const DEVOPS: TeamFiles = {
  baseConfig: `# teams/devops-team/base-config.yml: layer "team" for devops-team.
settings:
  permissions:
    allow:
      - Bash(terraform fmt:*)
      - Bash(terraform validate)
      - Bash(terraform plan:*)
      - Bash(kubectl get:*)
      - Bash(kubectl describe:*)
      - Bash(kubectl logs:*)
    ask:
      - Bash(kubectl rollout restart:*)
instructions:
  - |
    ## DevOps team
    Infrastructure is Terraform in \`infra/\` and Kubernetes manifests in
    \`deploy/\`. Always show a \`terraform plan\` before proposing an apply, and
    never change resources by hand that Terraform manages.
`,
  mcpPreferences: `# teams/devops-team/mcp-preferences.yml: MCP changes for devops-team.
docs:
  timeout: 60000                     # runbook search over the VPN can be slow
`,
  personas: `# teams/devops-team/personas.yml: persona changes for devops-team.
incident-responder:
  description: Helps triage a live incident (symptoms, recent changes, logs, metrics) and drafts the timeline. Use during an incident or a post-incident review.
  tools: [Read, Grep, Glob, Bash]
  model: opus
  prompt: |
    You help an on-call engineer during an incident. Establish the impact
    and start time, list the changes deployed just before it, read the
    relevant logs and dashboards the engineer points you to, and propose
    the safest mitigation first (rollback, feature flag, scale). Keep a
    timestamped timeline. Never run commands that change production.
`,
  workflows: `# teams/devops-team/workflows.yml: slash commands of devops-team.
incident-triage:
  description: Triage an incident from its symptoms
  argument-hint: "<service> <symptom>"
  allowed-tools: [Read, Grep, Glob, "Bash(kubectl get:*)", "Bash(kubectl describe:*)", "Bash(kubectl logs:*)"]
  persona: incident-responder
  prompt: |
    Incident: $ARGUMENTS
    Find the likely cause and the safest mitigation, and start the timeline.
plan-infra-change:
  description: Plan a Terraform change and explain its impact
  argument-hint: "<what to change>"
  allowed-tools: [Read, Grep, Glob, Edit, "Bash(terraform fmt:*)", "Bash(terraform validate)", "Bash(terraform plan:*)"]
  prompt: |
    Prepare this infrastructure change: $ARGUMENTS
  steps:
    - name: change
      prompt: Edit the Terraform code for the change and run terraform fmt and terraform validate.
    - name: plan
      prompt: Run terraform plan and summarise every resource created, changed or destroyed.
    - name: review
      persona: security-auditor
      prompt: Review the plan for security impact (IAM, network exposure, encryption, public access).
`,
  members: `# teams/devops-team/members.yml: members of devops-team (admins through
# access.yml: "team:devops-team").
- { user: ivan, role: team_lead, projects: [api-service, data-pipeline] }
- { user: judy, role: admin }
- { user: ken, role: developer, projects: [web-application] }
`,
};

const PLATFORM: TeamFiles = {
  baseConfig: `# teams/platform-team/base-config.yml: layer "team" for platform-team, who
# maintain this config repo and the shared tooling.
settings:
  permissions:
    allow:
      - Bash(npx claude-env validate:*)
      - Bash(npx claude-env render:*)
      - Bash(npx claude-env explain:*)
      - Bash(npx claude-env impact:*)
instructions:
  - |
    ## Platform team
    Changes to the shared configuration are tested with
    \`npx claude-env validate\` and \`npx claude-env impact\` before review; the
    pull request says which teams and environments the change touches.
`,
  mcpPreferences: `# teams/platform-team/mcp-preferences.yml: MCP changes for platform-team.
memory:
  env:
    MEMORY_FILE_PATH: "\${HOME}/.local/share/claude-memory/platform-team.json"
docs:
  expect:
    max_latency_ms: 1500             # the team owns the docs service and holds it to its SLO
`,
  personas: `# teams/platform-team/personas.yml: persona changes for platform-team.
architect:
  effort: high
dependency-upgrader:
  description: Upgrades a dependency across the codebase, reading its changelog and fixing breaking changes. Use for library and tool upgrades.
  tools: [Read, Grep, Glob, Edit, Bash]
  model: sonnet
  prompt: |
    You upgrade one dependency at a time. Read the changelog between the
    current and the target version, list the breaking changes that apply to
    this codebase, update the manifest and lock file, fix every call site,
    and run the build and tests until they pass.
`,
  workflows: `# teams/platform-team/workflows.yml: slash commands of platform-team.
write-adr:
  description: Write an architecture decision record
  argument-hint: "<decision to record>"
  allowed-tools: [Read, Grep, Glob, Write]
  persona: architect
  prompt: |
    Write an ADR in docs/adr/ (next free number, Nygard format: context,
    decision, consequences) for: $ARGUMENTS
upgrade-dependency:
  description: Upgrade a dependency and fix what breaks
  argument-hint: "<package> [version]"
  allowed-tools: [Read, Grep, Glob, Edit, "Bash(npm run test:*)", "Bash(npm run build)"]
  prompt: |
    Upgrade $ARGUMENTS.
  steps:
    - name: research
      persona: dependency-upgrader
      prompt: Read the changelog and list the breaking changes that affect this codebase.
    - name: upgrade
      persona: dependency-upgrader
      prompt: Update the dependency and fix every affected call site.
    - name: verify
      prompt: Run the build and the tests and summarise the result.
`,
  members: `# teams/platform-team/members.yml: members of platform-team (admins through
# access.yml: "team:platform-team").
- { user: liam, role: team_lead }
- { user: maria, role: admin, projects: [data-pipeline] }
- { user: nina, role: security_reviewer }
- { user: oscar, role: developer, projects: [data-pipeline, api-service] }
`,
};

const TEAMS: Record<string, TeamFiles> = {
  'frontend-team': FRONTEND,
  'backend-team': BACKEND,
  'devops-team': DEVOPS,
  'platform-team': PLATFORM,
};

export function teamFiles(): ScaffoldFile[] {
  return Object.entries(TEAMS).flatMap(([team, f]) => [
    { path: `teams/${team}/base-config.yml`, content: f.baseConfig },
    { path: `teams/${team}/mcp-preferences.yml`, content: f.mcpPreferences },
    { path: `teams/${team}/personas.yml`, content: f.personas },
    { path: `teams/${team}/workflows.yml`, content: f.workflows },
    { path: `teams/${team}/members.yml`, content: f.members },
  ]);
}
