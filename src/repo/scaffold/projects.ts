/**
 * projects/<project>/ and users/<user>/: the project layer for the three
 * example projects, and one shared user layer.
 */
import type { ScaffoldFile } from './types.js';

const WEB_APPLICATION = `# projects/web-application/claude-config.yml: layer "project", for everyone
# assigned to web-application (whatever their team). Same shape as base/config.yml.
settings:
  permissions:
    # null keeps the parent's value: defaultMode stays what the environment
    # and team layers set (acceptEdits in development, default elsewhere).
    # Written out to record that the project chose not to change it.
    defaultMode: null
    allow:
      - Bash(npm run dev)
      - Bash(npm run typecheck)
      - Bash(npx playwright test:*)
  env:
    NEXT_TELEMETRY_DISABLED: "1"
instructions:
  - |
    ## web-application
    A Next.js app in \`apps/web\` with shared UI in \`packages/ui\`. Server
    components by default; add "use client" only where state or effects
    need it. Run \`npm run typecheck\` and the Playwright smoke tests before
    proposing a change to routing or data loading.
`;

const API_SERVICE = `# projects/api-service/claude-config.yml: layer "project" for api-service.
settings:
  permissions:
    allow:
      - Bash(go test:*)
      - Bash(make openapi)
      - Bash(docker compose run --rm migrate:*)
    deny:
      - Read(./config/production/**)   # production config holds connection details
      - Edit(./migrations/applied/**)   # applied migrations are immutable
instructions:
  - |
    ## api-service
    The public REST API. The OpenAPI document in \`api/openapi.yaml\` is the
    contract: change it first, regenerate with \`make openapi\`, then
    implement. Database changes are new migrations in \`migrations/\`;
    never edit one that has been applied.
`;

const DATA_PIPELINE = `# projects/data-pipeline/claude-config.yml: layer "project" for data-pipeline.
settings:
  hooks:
    # !delete removes a key inherited from lower layers (here base's
    # format-on-edit hook): this repo formats SQL and Python with pre-commit
    # on commit, and formatting on every edit rewrote generated dbt models.
    PostToolUse: !delete
  permissions:
    allow:
      - Bash(dbt compile:*)
      - Bash(dbt test:*)
      - Bash(dbt build --select:*)
      - Bash(pytest:*)
      - Bash(pre-commit run:*)
instructions:
  - |
    ## data-pipeline
    dbt models in \`models/\` (staging → intermediate → marts), Airflow DAGs
    in \`dags/\`, Python helpers in \`src/pipeline/\`. Every model has a schema
    test; run \`dbt build --select <model>+\` for what you change. Work on the
    dev target only; never point dbt at the production warehouse.
`;

const USER_ALICE = `# users/alice/overrides.yml: alice's shared personal layer, above her
# projects (only ~/.claude/local-overrides.yml on her machine is higher).
# Same shape as base/config.yml; keep it to preferences, not policy.
settings:
  alwaysThinkingEnabled: true
  spinnerTipsEnabled: false
personas:
  code-reviewer:
    model: opus
workflows:
  new-component:
    # Steps merge by name (claude-env.yml: workflows.*.steps): this changes
    # only the prompt of the team's "test" step. { name: x, $delete: true }
    # would remove a step.
    steps:
      - name: test
        prompt: Run the component's tests with vitest, then npm run lint, and fix any failure.
`;

export function projectFiles(): ScaffoldFile[] {
  return [
    { path: 'projects/web-application/claude-config.yml', content: WEB_APPLICATION },
    { path: 'projects/api-service/claude-config.yml', content: API_SERVICE },
    { path: 'projects/data-pipeline/claude-config.yml', content: DATA_PIPELINE },
    { path: 'users/alice/overrides.yml', content: USER_ALICE },
  ];
}
