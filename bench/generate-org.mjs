#!/usr/bin/env node
// Generates a config repo in the SPEC.md layout for benchmarks: by default an
// org of 200 teams, 2,000 projects and 20,000 users (~5,000 YAML files, ~1.9 MB).
//
//   node bench/generate-org.mjs DIR [--teams 200] [--projects 2000] [--users 20000] [--seed 1] [--force]
//
// The output is a pure function of the arguments (a seeded PRNG, no clock, no
// randomness from the machine): the same arguments give byte-identical files,
// and the content hash printed at the end proves it. When DIR already holds an
// org made by this same generator with the same arguments (recorded in
// `DIR.meta.json` and re-checked against the files' hash), it is reused.
//
// Every user has exactly one project, so one environment has exactly `users`
// targets. No YAML tags (`!secret`, `!delete`) are used, so that the peers
// (ajv-cli's js-yaml, yamllint) read every file as well.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const DEFAULTS = Object.freeze({ teams: 200, projects: 2000, users: 20000, seed: 1 });
export const ENVIRONMENTS = Object.freeze(['development', 'staging', 'production']);

// ---------------------------------------------------------------- PRNG

/** mulberry32: a tiny 32-bit PRNG, good enough for test data and fully deterministic. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = mulberry32(seed);
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    /** n distinct elements of arr, in arr's order. */
    some: (arr, n) => {
      const idx = arr.map((_, i) => i);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      return idx.slice(0, Math.min(n, arr.length)).sort((x, y) => x - y).map((i) => arr[i]);
    },
  };
  return r;
}

// ---------------------------------------------------------------- names

const pad = (n, w) => String(n).padStart(w, '0');
export const teamName = (i) => `team-${pad(i + 1, 3)}`;
export const projectName = (i) => `p${pad(i + 1, 4)}`;
export const userName = (i) => `u${pad(i + 1, 5)}`;

/** Which team owns project k / user j (contiguous blocks, as even as the numbers allow). */
const ownerOf = (k, count, teams) => Math.floor((k * teams) / count);

/** The team and the one project of user j (0-based), as members.yml assigns them. */
export function assignmentOf(j, options = {}) {
  const { teams, projects, users } = { ...DEFAULTS, ...options };
  const team = ownerOf(j, users, teams);
  const firstUser = Math.ceil((team * users) / teams);
  const firstProject = Math.ceil((team * projects) / teams);
  const teamProjectCount = Math.ceil(((team + 1) * projects) / teams) - firstProject;
  return { user: userName(j), team: teamName(team), project: projectName(firstProject + ((j - firstUser) % teamProjectCount)) };
}

// ---------------------------------------------------------------- vocabulary of realistic content

const STACKS = {
  node: {
    allow: ['Bash(npm run test:*)', 'Bash(npm run lint:*)', 'Bash(npm run build)', 'Bash(npx tsc:*)', 'Read(./package.json)'],
    fmt: 'npx prettier --write "$CLAUDE_PROJECT_DIR"',
    env: { NODE_ENV: 'development', NPM_CONFIG_FUND: 'false' },
    docs: 'nodejs.org',
    lang: 'TypeScript',
  },
  python: {
    allow: ['Bash(pytest:*)', 'Bash(python -m pytest:*)', 'Bash(ruff check:*)', 'Bash(mypy:*)', 'Read(./pyproject.toml)'],
    fmt: 'ruff format "$CLAUDE_PROJECT_DIR"',
    env: { PYTHONDONTWRITEBYTECODE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    docs: 'docs.python.org',
    lang: 'Python',
  },
  go: {
    allow: ['Bash(go test:*)', 'Bash(go build:*)', 'Bash(go vet:*)', 'Bash(golangci-lint run:*)', 'Read(./go.mod)'],
    fmt: 'gofmt -w "$CLAUDE_PROJECT_DIR"',
    env: { GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' },
    docs: 'pkg.go.dev',
    lang: 'Go',
  },
  java: {
    allow: ['Bash(./gradlew test:*)', 'Bash(./gradlew build)', 'Bash(mvn -q verify:*)', 'Read(./build.gradle)'],
    fmt: './gradlew spotlessApply',
    env: { GRADLE_OPTS: '-Dorg.gradle.daemon=false', JAVA_TOOL_OPTIONS: '-Xmx2g' },
    docs: 'docs.oracle.com',
    lang: 'Java',
  },
  rust: {
    allow: ['Bash(cargo test:*)', 'Bash(cargo build:*)', 'Bash(cargo clippy:*)', 'Bash(cargo fmt:*)', 'Read(./Cargo.toml)'],
    fmt: 'cargo fmt --all',
    env: { RUST_BACKTRACE: '1', CARGO_TERM_COLOR: 'always' },
    docs: 'doc.rust-lang.org',
    lang: 'Rust',
  },
};
const STACK_NAMES = Object.keys(STACKS);

const DOMAINS = ['payments', 'search', 'identity', 'checkout', 'catalog', 'billing', 'analytics', 'messaging', 'platform', 'mobile', 'ledger', 'growth', 'infra', 'data', 'ml', 'support'];
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];
const MODELS = ['sonnet', 'opus', 'haiku'];
const ROLES_WEIGHTED = ['developer', 'developer', 'developer', 'developer', 'developer', 'developer', 'developer', 'team_lead', 'security_reviewer', 'admin'];

const MCP_SERVERS = {
  github: {
    description: 'GitHub issues, pull requests and code search',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-github'],
    env: { GITHUB_HOST: 'https://github.com' },
    timeout: 30000,
    expect: { tools: ['search_repositories', 'get_issue'], min_tools: 5, max_latency_ms: 5000 },
  },
  filesystem: {
    description: 'Read-only access to shared docs',
    type: 'stdio',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/shared-docs'],
    expect: { tools: ['read_file', 'list_directory'], min_tools: 3, max_latency_ms: 3000 },
  },
  memory: {
    description: 'Knowledge-graph memory',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-memory'],
    expect: { min_tools: 3, max_latency_ms: 3000 },
  },
  'sequential-thinking': {
    description: 'Structured step-by-step reasoning',
    command: 'npx',
    args: ['-y', '@modelcontextprotocol/server-sequential-thinking'],
    expect: { min_tools: 1, max_latency_ms: 3000 },
  },
  playwright: {
    description: 'Browser automation for end-to-end checks',
    command: 'npx',
    args: ['-y', '@playwright/mcp@latest', '--headless'],
    timeout: 60000,
    enabled: false,
    expect: { min_tools: 10, max_latency_ms: 10000 },
  },
  sentry: {
    description: 'Error reports from Sentry',
    type: 'http',
    url: 'https://mcp.sentry.dev/mcp',
    timeout: 20000,
    expect: { min_tools: 2, max_latency_ms: 4000 },
  },
  context7: {
    description: 'Up-to-date library documentation',
    type: 'http',
    url: 'https://mcp.context7.com/mcp',
    expect: { tools: ['resolve-library-id', 'get-library-docs'], max_latency_ms: 4000 },
  },
};
const MCP_NAMES = Object.keys(MCP_SERVERS);

const PERSONAS = {
  'code-reviewer': {
    description: 'Reviews diffs for correctness, security and readability. Use after any non-trivial change.',
    tools: ['Read', 'Grep', 'Glob', 'Bash(git diff:*)'],
    model: 'sonnet',
    prompt:
      'You are a senior engineer reviewing a change.\n\nRead the diff and the code around it. Report, most important first:\n1. bugs and unhandled edge cases;\n2. security problems (injection, secrets, unsafe defaults);\n3. missing or weak tests;\n4. naming and structure that will confuse the next reader.\n\nQuote file:line for each point and suggest the fix. Do not rewrite code that is fine.\n',
  },
  architect: {
    description: 'Designs modules and interfaces before implementation starts.',
    tools: ['Read', 'Grep', 'Glob'],
    model: 'opus',
    prompt:
      'You are a software architect. Given a goal, propose the smallest design that meets it:\nthe modules, their responsibilities, the data that flows between them and the\ninterfaces they expose. Name the trade-offs and what you would measure to choose.\n',
  },
  'security-auditor': {
    description: 'Audits code and configuration for vulnerabilities and leaked credentials.',
    tools: ['Read', 'Grep', 'Glob'],
    model: 'opus',
    prompt:
      'You are an application security engineer. Look for injection, broken access control,\nunsafe deserialisation, secrets in code or config, and dependencies with known issues.\nRate each finding (critical, high, medium, low) and give a concrete remediation.\n',
  },
  'test-writer': {
    description: 'Writes focused unit and integration tests for new or changed code.',
    tools: ['Read', 'Grep', 'Glob', 'Edit', 'Write'],
    model: 'sonnet',
    prompt:
      'You write tests. Cover the behaviour a user relies on, the edge cases, and the error\npaths. Prefer table-driven tests, real fixtures over mocks, and one assertion idea per test.\n',
  },
  debugger: {
    description: 'Finds the root cause of failing tests and production errors.',
    tools: ['Read', 'Grep', 'Glob', 'Bash(git log:*)'],
    model: 'sonnet',
    prompt:
      'You are a debugging specialist. Reproduce the failure, form a hypothesis, confirm it\nwith the smallest experiment, then propose the minimal fix and a regression test.\n',
  },
};
const PERSONA_NAMES = Object.keys(PERSONAS);

const WORKFLOWS = {
  review: {
    description: 'Review the current branch against main',
    'allowed-tools': 'Read, Grep, Glob, Bash(git diff:*), Bash(git log:*)',
    'argument-hint': '[focus area]',
    persona: 'code-reviewer',
    prompt: 'Review the changes on this branch against main. Focus: $ARGUMENTS\n',
    steps: [
      { name: 'collect', prompt: 'List the changed files with git diff --stat main...HEAD.' },
      { name: 'analyze', prompt: 'Read each changed file and note risks.', persona: 'code-reviewer' },
      { name: 'report', prompt: 'Summarise findings, most severe first.' },
    ],
  },
  'fix-issue': {
    description: 'Fix a tracked issue end to end',
    'allowed-tools': 'Read, Grep, Glob, Edit, Write, Bash(git status)',
    'argument-hint': '<issue number>',
    prompt: 'Fix issue #$ARGUMENTS: reproduce it, fix it, add a regression test.\n',
    steps: [
      { name: 'reproduce', prompt: 'Write a failing test that shows the bug.', persona: 'debugger' },
      { name: 'implement', prompt: 'Make the smallest change that passes the test.' },
      { name: 'verify', prompt: 'Run the whole test suite.' },
    ],
  },
  'write-tests': {
    description: 'Add tests for a module',
    'allowed-tools': 'Read, Grep, Glob, Edit, Write',
    'argument-hint': '<path>',
    persona: 'test-writer',
    prompt: 'Write tests for $ARGUMENTS covering behaviour, edge cases and errors.\n',
    steps: [
      { name: 'survey', prompt: 'Read the module and its current tests.' },
      { name: 'write', prompt: 'Add the missing tests.', persona: 'test-writer' },
    ],
  },
  'release-notes': {
    description: 'Draft release notes since the last tag',
    'allowed-tools': 'Read, Bash(git log:*), Bash(git describe:*)',
    'argument-hint': '[since tag]',
    model: 'haiku',
    prompt: 'Draft release notes for the commits since $ARGUMENTS, grouped by feature, fix and chore.\n',
  },
  'security-scan': {
    description: 'Scan the change for security problems',
    'allowed-tools': 'Read, Grep, Glob',
    persona: 'security-auditor',
    prompt: 'Audit the current changes for vulnerabilities and leaked credentials.\n',
    steps: [
      { name: 'secrets', prompt: 'Search for credentials and tokens in the diff.' },
      { name: 'dependencies', prompt: 'Check new dependencies against known advisories.' },
      { name: 'report', prompt: 'Rate and list the findings.' },
    ],
  },
};
const WORKFLOW_NAMES = Object.keys(WORKFLOWS);

const BASE_DENY = ['Read(./.env)', 'Read(./.env.*)', 'Read(./secrets/**)', 'Bash(rm -rf:*)', 'Bash(sudo:*)', 'Bash(curl:*)', 'Bash(git push --force:*)', 'WebFetch(domain:pastebin.com)'];
const REQUIRED_DENY = ['Read(./.env)', 'Read(./secrets/**)', 'Bash(rm -rf:*)'];

// ---------------------------------------------------------------- documents

const y = (value) => stringify(value, { lineWidth: 0 });

function repoDocuments(opts) {
  const { teams, projects, users, seed } = opts;
  const rnd = makeRandom(seed);
  /** @type {Array<[string, string]>} */
  const files = [];
  const put = (path, text) => files.push([path, text]);

  // claude-env.yml
  put(
    'claude-env.yml',
    y({
      version: 1,
      environments: [...ENVIRONMENTS],
      merge: {
        arrays: {
          'settings.permissions.allow': 'unique',
          'settings.permissions.deny': 'unique',
          'settings.permissions.ask': 'unique',
          instructions: 'append',
          'workflows.*.steps': { 'merge-by-key': 'name' },
        },
      },
      drift: {
        severity: [
          { path: 'settings.permissions.deny', severity: 'critical', category: 'security-policy' },
          { path: 'security.**', severity: 'critical', category: 'security-policy' },
          { path: 'settings.permissions.**', severity: 'high', category: 'team-permissions' },
          { path: 'settings.model', severity: 'medium', category: 'configuration' },
          { path: 'settings.env.*', severity: 'low', category: 'user-preference' },
        ],
      },
      rollout: {
        development: { strategy: 'immediate' },
        staging: { strategy: 'staged' },
        production: { strategy: 'canary', steps: [10, 50, 100], pause: '10m', max_failure_rate: 0.05, approval: { roles: ['team_lead', 'security_reviewer'], count: 2 } },
      },
      schedules: { drift: ['0 8-18/2 * * 1-5', '0 0,6,12,18 * * 0,6'] },
      notifications: [{ type: 'webhook', url: 'https://alerts.example.com/claude-env', on: ['drift.critical', 'rollout.failed'] }],
    }),
  );

  // access.yml
  put(
    'access.yml',
    y({
      roles: {
        admin: { description: 'Platform administrators', permissions: ['*'], members: [`team:${teamName(0)}`, `team:${teamName(1)}`] },
        team_lead: {
          description: 'Leads of a team',
          permissions: ['teams/{their-team}/**:write', 'projects/**:write', 'environments/development/**:write', '**:read'],
          approval_power: ['team-changes', 'project-setup'],
        },
        developer: {
          description: 'Developers',
          permissions: ['teams/{their-team}/workflows.yml:write', 'projects/{assigned-projects}/**:write', '**:read'],
          auto_approvals: ['minor'],
        },
        security_reviewer: { description: 'Security reviewers', permissions: ['**/security.yml:write', 'base/security/**:write', '**:read'] },
      },
      change_classes: {
        security: { paths: ['**/security.yml', 'base/security/**'], keys: ['settings.permissions.**', 'security.**'], approvals: { roles: ['security_reviewer'], count: 1 } },
        production: { paths: ['environments/production/**'], approvals: { roles: ['admin', 'team_lead'], count: 2 } },
        major: { paths: ['base/**', 'environments/**', 'teams/*/base-config.yml'], approvals: { roles: ['team_lead'], count: 1 } },
        minor: { paths: ['**'], approvals: { count: 0 } },
      },
    }),
  );

  // base/
  put(
    'base/config.yml',
    y({
      settings: {
        $schema: 'https://json.schemastore.org/claude-code-settings.json',
        model: 'sonnet',
        cleanupPeriodDays: 30,
        permissions: {
          allow: ['Read', 'Grep', 'Glob', 'Bash(git status)', 'Bash(git diff:*)', 'Bash(git log:*)', 'WebSearch'],
          ask: ['Bash(git push:*)', 'Edit(./.github/**)'],
          deny: [...BASE_DENY],
          defaultMode: 'default',
        },
        env: { CLAUDE_CODE_ENABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', ORG_NAME: 'example-corp' },
        hooks: {
          SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo "Managed by claude-env. Run claude-env drift to check your setup."', timeout: 5 }] }],
        },
        attribution: { commit: 'Co-Authored-By: Claude <noreply@anthropic.com>', pr: '' },
        statusLine: { type: 'command', command: '~/.claude/statusline.sh', padding: 0 },
      },
      workflows: WORKFLOWS,
      instructions: [
        '## Company conventions\nFollow the style guide in `docs/STYLE.md`. Keep changes small and reviewed; every change goes through a pull request.',
        '## Security\nNever commit credentials. Secrets live in the vault and reach processes through the environment only.',
      ],
    }),
  );
  for (const name of MCP_NAMES) put(`base/mcp/${name}.yml`, y(MCP_SERVERS[name]));
  for (const name of PERSONA_NAMES) put(`base/personas/${name}.yml`, y(PERSONAS[name]));
  put(
    'base/security/permissions.yml',
    y({ permissions: { required_deny: [...REQUIRED_DENY], forbidden_allow: ['Bash(sudo:*)', 'Bash(rm -rf:*)', 'Bash(curl:*)'], forbidden_modes: ['bypassPermissions'] } }),
  );
  put('base/security/mcp.yml', y({ mcp: { allowlist: MCP_NAMES.map((name) => ({ name })), require_https: true } }));
  put('base/security/env.yml', y({ env: { credential_patterns: ['*_TOKEN', '*_SECRET', '*_PASSWORD', '*_API_KEY', 'AWS_SECRET_*'], credentials_must_be_secret: true } }));
  put('base/security/enforce.yml', y({ enforce: { settings: { permissions: { disableBypassPermissionsMode: 'disable' } } } }));

  // environments/
  const teamNames = Array.from({ length: teams }, (_, i) => teamName(i));
  const envModes = { development: 'acceptEdits', staging: 'default', production: 'plan' };
  for (const env of ENVIRONMENTS) {
    put(
      `environments/${env}/config.yml`,
      y({
        settings: {
          permissions: { defaultMode: envModes[env], ...(env === 'production' ? { deny: ['Bash(kubectl delete:*)', 'Bash(terraform apply:*)'] } : {}) },
          env: { DEPLOY_ENV: env, LOG_LEVEL: env === 'production' ? 'warn' : 'debug' },
          ...(env === 'production' ? { model: 'opus' } : {}),
        },
        instructions: [`## Environment: ${env}\n${env === 'production' ? 'Changes here reach customers: plan first, and never run migrations by hand.' : 'Experiment freely; data here is synthetic.'}`],
      }),
    );
    put(
      `environments/${env}/mcp-servers.yml`,
      y(
        env === 'production'
          ? { memory: { enabled: false }, sentry: { timeout: 10000 } }
          : env === 'staging'
            ? { sentry: { timeout: 15000 } }
            : { playwright: { enabled: true }, memory: { timeout: 15000 } },
      ),
    );
    put(
      `environments/${env}/security.yml`,
      y(
        env === 'production'
          ? { permissions: { required_deny: [...REQUIRED_DENY, 'Bash(kubectl delete:*)'], forbidden_modes: ['bypassPermissions', 'acceptEdits'] } }
          : { permissions: { forbidden_modes: ['bypassPermissions'] } },
      ),
    );
    const envTeams = {};
    for (const t of rnd.some(teamNames, Math.max(1, Math.round(teams / 10)))) {
      envTeams[t] = { settings: { env: { DEPLOY_REGION: rnd.pick(REGIONS), FEATURE_FLAGS_PROFILE: `${t}-${env}` } } };
    }
    put(`environments/${env}/teams.yml`, y(envTeams));
  }

  // teams/, projects/, users/
  const teamProjects = teamNames.map(() => []);
  for (let k = 0; k < projects; k++) teamProjects[ownerOf(k, projects, teams)].push(k);
  const teamUsers = teamNames.map(() => []);
  for (let j = 0; j < users; j++) teamUsers[ownerOf(j, users, teams)].push(j);
  const projectStack = new Array(projects);

  for (let i = 0; i < teams; i++) {
    const t = teamName(i);
    const stack = rnd.pick(STACK_NAMES);
    const s = STACKS[stack];
    const domain = rnd.pick(DOMAINS);
    for (const k of teamProjects[i]) projectStack[k] = stack;

    const teamWorkflows = rnd.some(WORKFLOW_NAMES, rnd.int(1, 2));
    put(
      `teams/${t}/base-config.yml`,
      y({
        settings: {
          permissions: { allow: [...s.allow, `WebFetch(domain:${s.docs})`, ...(rnd.chance(0.5) ? ['mcp__github'] : [])] },
          env: { ...s.env, TEAM_NAME: t, TEAM_DOMAIN: domain },
          hooks: {
            PostToolUse: [{ matcher: 'Edit|Write', hooks: [{ type: 'command', command: s.fmt, timeout: 60 }] }],
            ...(rnd.chance(0.3) ? { Stop: [{ hooks: [{ type: 'command', command: 'git status --short', timeout: 10 }] }] } : {}),
          },
          ...(rnd.chance(0.25) ? { model: rnd.pick(MODELS) } : {}),
        },
        instructions: [
          `## Team ${t} (${domain})\nWe build the ${domain} services in ${s.lang}. Ask in #${t} before changing shared interfaces.`,
          `### Testing\nEvery change needs tests; run them locally before pushing. See https://${s.docs} for the language reference.`,
        ],
      }),
    );
    const prefs = {};
    for (const name of rnd.some(MCP_NAMES, rnd.int(2, 4))) {
      const p = rnd.next();
      prefs[name] = p < 0.5 ? { enabled: true } : p < 0.8 ? { enabled: false } : { timeout: 1000 * rnd.int(10, 60) };
    }
    put(`teams/${t}/mcp-preferences.yml`, y(prefs));
    const personas = {};
    personas[rnd.pick(PERSONA_NAMES)] = { model: rnd.pick(MODELS) };
    personas[`${t}-expert`] = {
      description: `Knows the ${domain} domain and the services of ${t}.`,
      tools: ['Read', 'Grep', 'Glob'],
      prompt: `You are the domain expert of ${t}. Explain how the ${domain} services fit together and where a change belongs.\n`,
    };
    put(`teams/${t}/personas.yml`, y(personas));
    // Workflows are defined in base/config.yml; a team adds one of its own and
    // adjusts a few of the shared ones (steps merge by name).
    const wf = {};
    for (const name of teamWorkflows) {
      const base = WORKFLOWS[name];
      const o = {};
      if (rnd.chance(0.3)) o.model = rnd.pick(MODELS);
      if (base.steps) o.steps = [{ name: rnd.pick(base.steps).name, prompt: `Follow the ${s.lang} checklist of ${t}.` }];
      else o['argument-hint'] = '[scope]';
      wf[name] = o;
    }
    wf[`${t}-oncall`] = {
      description: `Triage an alert for the ${domain} services`,
      'allowed-tools': 'Read, Grep, Glob, Bash(git log:*)',
      'argument-hint': '<alert id>',
      prompt: `Triage alert $ARGUMENTS of ${t}: find the failing service, the recent changes, and a mitigation.\n`,
      steps: [
        { name: 'locate', prompt: 'Find the service and the dashboards for the alert.' },
        { name: 'mitigate', prompt: 'Propose the safest mitigation.', persona: 'debugger' },
      ],
    };
    put(`teams/${t}/workflows.yml`, y(wf));
    const memberLines = teamUsers[i].map((j, idx) => {
      const role = idx === 0 ? 'team_lead' : rnd.pick(ROLES_WEIGHTED);
      const project = projectName(teamProjects[i][idx % teamProjects[i].length]);
      return `- { user: ${userName(j)}, role: ${role}, projects: [${project}] }\n`;
    });
    put(`teams/${t}/members.yml`, memberLines.join(''));

    for (const k of teamProjects[i]) {
      const p = projectName(k);
      const doc = {
        settings: {
          permissions: { allow: [`Edit(./services/${p}/**)`] },
          env: { PROJECT_NAME: p },
          ...(rnd.chance(0.1) ? { model: rnd.pick(MODELS) } : {}),
        },
        instructions: [`Service ${p} (${domain}) lives in \`services/${p}\`.`],
      };
      if (rnd.chance(0.2)) doc.settings.permissions.deny = [`Edit(./services/${p}/migrations/**)`];
      if (rnd.chance(0.15)) doc.mcpServers = { [rnd.pick(MCP_NAMES)]: { enabled: rnd.chance(0.5) } };
      if (rnd.chance(0.1)) {
        const w = rnd.pick(WORKFLOW_NAMES.filter((n) => WORKFLOWS[n].steps));
        doc.workflows = { [w]: { steps: [{ name: WORKFLOWS[w].steps.at(-1).name, prompt: `Also update services/${p}/CHANGELOG.md.` }] } };
      }
      put(`projects/${p}/claude-config.yml`, y(doc));
    }
  }

  for (let j = 0; j < users; j++) {
    if (!rnd.chance(0.1)) continue;
    const u = userName(j);
    const doc = {};
    const r = rnd.next();
    if (r < 0.4) doc.settings = { model: rnd.pick(MODELS) };
    else if (r < 0.7) doc.settings = { env: { EDITOR: rnd.pick(['vim', 'nvim', 'code --wait', 'emacs']) }, permissions: { allow: ['Bash(make:*)'] } };
    else doc.settings = { model: rnd.pick(MODELS), alwaysThinkingEnabled: rnd.chance(0.5) };
    if (rnd.chance(0.3)) doc.instructions = [`Personal note for ${u}: prefer small commits with descriptive messages.`];
    if (rnd.chance(0.1)) doc.personas = { [rnd.pick(PERSONA_NAMES)]: { model: rnd.pick(MODELS) } };
    put(`users/${u}/overrides.yml`, y(doc));
  }

  files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return files;
}

// ---------------------------------------------------------------- hashing, writing, caching

function hashFiles(files) {
  const h = createHash('sha256');
  for (const [path, text] of files) h.update(path).update('\0').update(text).update('\0');
  return h.digest('hex');
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

function generatorHash() {
  return createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);
}

/**
 * Make (or reuse) the org in `dir`. Returns {dir, files, bytes, hash, reused, ms, opts}.
 */
export function generateOrg(dir, options = {}) {
  const t0 = performance.now();
  const opts = { ...DEFAULTS, ...options };
  for (const k of ['teams', 'projects', 'users', 'seed']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} must be a positive integer, got ${opts[k]}`);
  }
  if (opts.projects < opts.teams || opts.users < opts.projects) throw new Error('need teams <= projects <= users (every team has a project, every project a user)');
  dir = resolve(dir);
  const metaPath = `${dir}.meta.json`;
  const key = { teams: opts.teams, projects: opts.projects, users: opts.users, seed: opts.seed, generator: generatorHash() };

  if (!opts.force && existsSync(metaPath) && existsSync(dir)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      if (JSON.stringify(meta.key) === JSON.stringify(key)) {
        const onDisk = listFiles(dir).map((p) => [p, readFileSync(join(dir, p), 'utf8')]);
        const hash = hashFiles(onDisk);
        if (hash === meta.hash) {
          const bytes = onDisk.reduce((n, [, t]) => n + Buffer.byteLength(t), 0);
          return { dir, files: onDisk.length, bytes, hash, reused: true, ms: performance.now() - t0, opts };
        }
      }
    } catch {
      // unreadable meta: regenerate
    }
  }

  const files = repoDocuments(opts);
  const hash = hashFiles(files);
  rmSync(dir, { recursive: true, force: true });
  const made = new Set();
  let bytes = 0;
  for (const [path, text] of files) {
    const full = join(dir, path);
    const parent = dirname(full);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(full, text);
    bytes += Buffer.byteLength(text);
  }
  writeFileSync(metaPath, JSON.stringify({ key, hash, files: files.length, bytes }, null, 2) + '\n');
  return { dir, files: files.length, bytes, hash, reused: false, ms: performance.now() - t0, opts };
}

// ---------------------------------------------------------------- CLI

function parseArgs(argv) {
  const opts = {};
  let dir;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(teams|projects|users|seed)(?:=(.*))?$/.exec(a);
    if (m) {
      const v = m[2] ?? argv[++i];
      opts[m[1]] = Number(v);
    } else if (a === '--force') opts.force = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/generate-org.mjs DIR [--teams 200] [--projects 2000] [--users 20000] [--seed 1] [--force]\n');
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (dir === undefined) dir = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (dir === undefined) throw new Error('missing DIR (usage: node bench/generate-org.mjs DIR [--teams N --projects N --users N])');
  return { dir, opts };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { dir, opts } = parseArgs(process.argv.slice(2));
    const r = generateOrg(dir, opts);
    process.stdout.write(
      `${r.reused ? 'reused' : 'generated'} ${r.dir}: ${r.opts.teams} teams, ${r.opts.projects} projects, ${r.opts.users} users; ` +
        `${r.files} files, ${(r.bytes / 1e6).toFixed(2)} MB in ${(r.ms / 1000).toFixed(2)} s\nsha256 ${r.hash}\n`,
    );
  } catch (err) {
    process.stderr.write(`generate-org: ${err.message}\n`);
    process.exit(2);
  }
}
