/**
 * .github/workflows/: the CI of the seed repo (GitHub Actions).
 * In these template strings `\${{ … }}` is GitHub's expression syntax, escaped
 * from TypeScript interpolation.
 */
import type { ScaffoldFile } from './types.js';

/** The step that keeps claude-env's cache between runs, in every workflow that runs `impact`. */
const CACHE_STEP = `      - name: Keep claude-env's cache between runs
        # Parsed documents, tree listings and rendered outputs, each filed under what it is made
        # from (git object ids, texts): an entry never goes stale, so any earlier run's cache is a
        # safe start, and impact of a team's next change parses only what the change touched.
        uses: actions/cache@v4
        with:
          path: ~/.cache/claude-env
          key: claude-env-\${{ github.sha }}
          restore-keys: claude-env-
`;

const CONFIG_VALIDATION = `# Validate every pull request: YAML syntax, schemas, references, security
# policy and secret scanning. Findings show up as code-scanning annotations
# on the pull request (SARIF); any error fails the check. The run's summary
# says which developers the change affects and how (claude-env impact).
name: config-validation

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  security-events: write             # upload SARIF to code scanning

jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0             # impact compares the pull request with its base
      - uses: actions/setup-node@v4
        with:
          node-version: 24
${CACHE_STEP}      - name: Validate the config repo
        run: npx claude-env validate --format sarif > results.sarif
      - name: Upload findings
        if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: results.sarif
          category: claude-env
      - name: Impact of the change
        if: github.event_name == 'pull_request'
        env:
          BASE: \${{ github.event.pull_request.base.sha }}
        run: |
          # HEAD is the pull request merged into its base: the change as it would land.
          npx claude-env impact --base "$BASE" --head HEAD --limit 5 > impact.txt
          { echo '~~~'; cat impact.txt; echo '~~~'; } >> "$GITHUB_STEP_SUMMARY"
`;

/**
 * One environment-sync job: render every target of the environment (staging
 * validates first), then ask the controller to roll the revision out with
 * the environment's strategy (claude-env.yml rollout).
 */
function rolloutJob(env: string, needs: string, label: string, strategy: string, validate = false): string {
  const check = validate
    ? `      - name: Validate, and render every ${env} target
        run: |
          npx claude-env validate
          npx claude-env render --all --env ${env} --out rendered`
    : `      - name: Render every ${env} target
        run: npx claude-env render --all --env ${env} --out rendered`;
  return `  ${env}:
    needs: ${needs}
    runs-on: ubuntu-latest
    environment: ${env}
    env:
      CONTROLLER_URL: \${{ secrets.CLAUDE_ENV_CONTROLLER_URL }}
      CONTROLLER_TOKEN: \${{ secrets.CLAUDE_ENV_CONTROLLER_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24
${check}
      - name: Roll out (${label})
        if: env.CONTROLLER_URL != ''
        run: |
          # For production the controller first waits for the approvals claude-env.yml asks for.
          jq -n --arg revision "$GITHUB_SHA" \\
            '{revision: $revision, environment: "${env}"} + ${strategy}' > payload.json
          curl --fail --silent --show-error --request POST --oauth2-bearer "$CONTROLLER_TOKEN" \\
            --header "Content-Type: application/json" --data-binary @payload.json "$CONTROLLER_URL/api/rollouts"
`;
}

const ENVIRONMENT_SYNC = `# After a merge to main: compute which developers the change affects, then
# move each environment to the new revision with the rollout strategy of
# claude-env.yml, one after the other:
#   development  immediate   every machine at once
#   staging      staged      all machines, after every staging target renders
#   production   canary      10 % → 50 % → 100 % of machines, 10 min apart,
#                            rolled back when more than 5 % of a step fails;
#                            needs 2 approvals (team_lead, security_reviewer)
# Each job runs in the GitHub environment of the same name: give
# "production" required reviewers there to gate it in GitHub as well.
# The controller (claude-env serve) carries the rollout out: set the
# repository secrets CLAUDE_ENV_CONTROLLER_URL and CLAUDE_ENV_CONTROLLER_TOKEN;
# without them the jobs only check and report.
name: environment-sync

on:
  push:
    branches: [main]

permissions:
  contents: read

concurrency:
  group: environment-sync
  cancel-in-progress: false          # every revision reaches the controller, in order

jobs:
  impact:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0             # impact reads both revisions from git
      - uses: actions/setup-node@v4
        with:
          node-version: 24
${CACHE_STEP}      - name: Impact of the change
        env:
          BEFORE: \${{ github.event.before }}
        run: |
          base="$BEFORE"
          # First push of a branch: compare with the first commit.
          if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
            base="$(git rev-list --max-parents=0 HEAD | tail -n 1)"
          fi
          npx claude-env impact --base "$base" --head "$GITHUB_SHA" --json > impact.json
          jq -r '"targets changed: \\(.counts.total)"' impact.json >> "$GITHUB_STEP_SUMMARY"
      - uses: actions/upload-artifact@v4
        with:
          name: impact
          path: impact.json

${rolloutJob('development', 'impact', 'immediate', '{strategy: "immediate"}')}
${rolloutJob('staging', 'development', 'staged', '{strategy: "staged"}', true)}
${rolloutJob('production', 'staging', 'canary 10 % → 50 % → 100 %', '{strategy: "canary", steps: [10, 50, 100], pause: "10m", max_failure_rate: 0.05}')}`;

const DRIFT_DETECTION = `# Scheduled drift check, on the same schedule as the controller's sweeps
# (claude-env.yml: schedules.drift; GitHub cron is in UTC). It runs on a
# reference machine: a self-hosted runner onboarded with "claude-env onboard",
# whose label is in the repository variable CLAUDE_ENV_DRIFT_RUNNER; without
# that variable the job is skipped. The controller sweeps the whole fleet.
name: drift-detection

on:
  schedule:
    - cron: "0 8-18/2 * * 1-5"
    - cron: "0 0,6,12,18 * * 0,6"
  workflow_dispatch:

permissions:
  contents: read

jobs:
  drift:
    if: vars.CLAUDE_ENV_DRIFT_RUNNER != ''
    runs-on: \${{ vars.CLAUDE_ENV_DRIFT_RUNNER }}
    steps:
      - uses: actions/checkout@v4
      - name: Detect drift
        # Exits 1 when drift is found, which fails the run and notifies its watchers.
        run: npx claude-env drift --online --json > drift.json
      - name: Keep the report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: drift-report
          path: drift.json
`;

const SECURITY_SCAN = `# Security gate for pull requests: secret scanning and security policy (part
# of validate), then access control: may the author make this change, and
# which approvals does access.yml still require? Re-runs when a review is
# submitted or dismissed. GitHub logins must match the user names of
# teams/*/members.yml.
name: security-scan

on:
  pull_request:
  pull_request_review:
    types: [submitted, dismissed]

permissions:
  contents: read
  pull-requests: read

jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0             # access check compares the base and head revisions
      - uses: actions/setup-node@v4
        with:
          node-version: 24
      - name: Secrets and security policy
        run: npx claude-env validate
      - name: Access check
        shell: bash                  # -o pipefail: the exit code of access check survives tee
        env:
          GH_TOKEN: \${{ github.token }}
          REPO: \${{ github.repository }}
          PR: \${{ github.event.pull_request.number }}
          AUTHOR: \${{ github.event.pull_request.user.login }}
          BASE: \${{ github.event.pull_request.base.sha }}
          HEAD: \${{ github.event.pull_request.head.sha }}
        run: |
          # Compare with the merge base: what this pull request brings, whatever main did since.
          base="$(git merge-base "$BASE" "$HEAD")"
          approvers="$(gh api "repos/$REPO/pulls/$PR/reviews" --paginate \\
            --jq '.[] | select(.state == "APPROVED") | .user.login | ascii_downcase' | sort -u | paste -sd, -)"
          author="$(printf '%s' "$AUTHOR" | tr '[:upper:]' '[:lower:]')"
          set -- --author "$author" --base "$base" --head "$HEAD" --json
          if [ -n "$approvers" ]; then set -- "$@" --approved-by "$approvers"; fi
          npx claude-env access check "$@" | tee access.json
`;

export function ciFiles(): ScaffoldFile[] {
  return [
    { path: '.github/workflows/config-validation.yml', content: CONFIG_VALIDATION },
    { path: '.github/workflows/environment-sync.yml', content: ENVIRONMENT_SYNC },
    { path: '.github/workflows/drift-detection.yml', content: DRIFT_DETECTION },
    { path: '.github/workflows/security-scan.yml', content: SECURITY_SCAN },
  ];
}
