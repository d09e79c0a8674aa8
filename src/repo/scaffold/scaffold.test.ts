import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type ScalarTag } from 'yaml';
import { DEFAULT_FILE_MODE, scaffoldFiles, type ScaffoldFile } from './index.js';

/** src/repo/scaffold/files/ of the source tree (this test runs from dist/src/repo/scaffold/). */
const FILES_DIR = fileURLToPath(new URL('../../../../src/repo/scaffold/files/', import.meta.url));

/** A value carried by one of our tags (`!delete`, `!secret`, `!encrypted`). */
class Tagged {
  constructor(
    readonly tag: string,
    readonly text: string,
  ) {}
}
const CUSTOM_TAGS: ScalarTag[] = ['!delete', '!secret', '!encrypted'].map((tag) => ({ tag, resolve: (s: string) => new Tagged(tag, s) }));

type Json = null | boolean | number | string | Tagged | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ENVS = ['development', 'staging', 'production'];
const TEAMS = ['frontend-team', 'backend-team', 'devops-team', 'platform-team'];
const PROJECTS = ['web-application', 'api-service', 'data-pipeline'];
const ROLES = ['admin', 'team_lead', 'developer', 'security_reviewer'];

const files = scaffoldFiles();
const byPath = new Map(files.map((f) => [f.path, f]));
const isYaml = (p: string): boolean => /\.ya?ml$/.test(p);

function parse(f: ScaffoldFile) {
  return parseDocument(f.content, { customTags: CUSTOM_TAGS, uniqueKeys: true, prettyErrors: false });
}
const docs = new Map<string, Json>(files.filter((f) => isYaml(f.path)).map((f) => [f.path, parse(f).toJS() as Json]));

function doc(path: string): Obj {
  const d = docs.get(path);
  assert.ok(isObj(d), `${path} is a mapping`);
  return d;
}
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tagged);
}
const obj = (v: Json | undefined): Obj => (isObj(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const strings = (v: Json | undefined): string[] => list(v).filter((x): x is string => typeof x === 'string');
const stem = (p: string): string => p.slice(p.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
const under = (dir: string): string[] => files.map((f) => f.path).filter((p) => p.startsWith(dir));

// ---- document kinds, per docs/config-repo.md -------------------------------------------------------
const CONFIG_PATHS = [
  'base/config.yml',
  ...ENVS.map((e) => `environments/${e}/config.yml`),
  ...TEAMS.map((t) => `teams/${t}/base-config.yml`),
  ...under('projects/'),
  ...under('users/'),
];
const ROOT_KEYS = new Set(['settings', 'mcpServers', 'personas', 'workflows', 'instructions', 'security']);
const SETTINGS_KEYS = new Set([
  'model',
  'permissions',
  'env',
  'hooks',
  'cleanupPeriodDays',
  'companyAnnouncements',
  'alwaysThinkingEnabled',
  'spinnerTipsEnabled',
  'outputStyle',
  'statusLine',
  'includeCoAuthoredBy',
  'attribution',
]);
const PERMISSION_KEYS = new Set(['allow', 'ask', 'deny', 'defaultMode', 'disableBypassPermissionsMode', 'disableAutoMode', 'additionalDirectories']);
const MODES = new Set(['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'bypassPermissions']);
const HOOK_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Notification', 'UserPromptSubmit', 'SessionStart', 'SessionEnd', 'Stop', 'SubagentStop', 'PreCompact']);
const MCP_SERVER_KEYS = new Set(['type', 'command', 'args', 'env', 'url', 'headers', 'timeout', 'enabled', 'expect', 'description']);
const PERSONA_KEYS = new Set(['description', 'prompt', 'tools', 'model', 'disallowedTools', 'permissionMode', 'maxTurns', 'skills', 'effort', 'color']);
const WORKFLOW_KEYS = new Set(['description', 'allowed-tools', 'argument-hint', 'model', 'prompt', 'persona', 'steps']);
const SECURITY_KEYS = new Set(['permissions', 'mcp', 'env', 'enforce']);

/** A Claude Code permission rule (CLAUDE-CODE.md §2.4). */
function ruleProblem(rule: string): string | undefined {
  if (/^mcp__/.test(rule)) return /^mcp__[A-Za-z0-9_-]+(__([A-Za-z0-9_-]+|\*))?$/.test(rule) ? undefined : 'bad MCP rule';
  const m = /^([A-Z][A-Za-z0-9]*)(?:\((.*)\))?$/.exec(rule);
  if (!m) return 'not Tool or Tool(specifier)';
  const [, tool, spec] = m;
  if (spec === undefined) return undefined;
  if (spec === '') return 'empty specifier';
  let depth = 0;
  for (const c of spec) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) return 'unbalanced parentheses';
  }
  if (depth !== 0) return 'unbalanced parentheses';
  if (tool === 'Bash' && spec.includes(':*') && !spec.endsWith(':*')) return ':* only at the end';
  if ((tool === 'Read' || tool === 'Edit' || tool === 'Write') && spec.includes(':*')) return ':* is Bash-only';
  if (tool === 'WebFetch' && !/^domain:[a-z0-9.-]+$/.test(spec)) return 'WebFetch takes domain:host';
  return undefined;
}

function settingsProblems(where: string, s: Obj): string[] {
  const out: string[] = [];
  for (const k of Object.keys(s)) if (!SETTINGS_KEYS.has(k)) out.push(`${where}: unknown settings key ${k}`);
  const perms = obj(s['permissions']);
  for (const k of Object.keys(perms)) if (!PERMISSION_KEYS.has(k)) out.push(`${where}: unknown permissions key ${k}`);
  for (const k of ['allow', 'ask', 'deny'])
    for (const r of list(perms[k])) {
      const p = typeof r === 'string' ? ruleProblem(r) : 'not a string';
      if (p) out.push(`${where}: permissions.${k} ${JSON.stringify(r)}: ${p}`);
    }
  const mode = perms['defaultMode'];
  if (mode !== undefined && mode !== null && !(typeof mode === 'string' && MODES.has(mode))) out.push(`${where}: bad defaultMode`);
  if ('disableBypassPermissionsMode' in perms && perms['disableBypassPermissionsMode'] !== 'disable') out.push(`${where}: disableBypassPermissionsMode must be "disable"`);
  for (const [k, v] of Object.entries(obj(s['env']))) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) out.push(`${where}: env name ${k}`);
    if (typeof v !== 'string' && !(v instanceof Tagged)) out.push(`${where}: env ${k} is not a string`);
  }
  for (const [event, groups] of Object.entries(obj(s['hooks']))) {
    if (!HOOK_EVENTS.has(event)) out.push(`${where}: hook event ${event}`);
    if (groups instanceof Tagged) continue; // !delete
    for (const g of list(groups)) {
      for (const h of list(obj(g)['hooks'])) {
        const hook = obj(h);
        if (hook['type'] !== 'command' || typeof hook['command'] !== 'string') out.push(`${where}: hook without command`);
        if (hook['timeout'] !== undefined && !(Number.isInteger(hook['timeout']) && (hook['timeout'] as number) > 0)) out.push(`${where}: hook timeout`);
      }
    }
  }
  if (s['cleanupPeriodDays'] !== undefined && !(Number.isInteger(s['cleanupPeriodDays']) && (s['cleanupPeriodDays'] as number) >= 1)) out.push(`${where}: cleanupPeriodDays`);
  return out;
}

function configProblems(where: string, c: Obj): string[] {
  const out: string[] = [];
  for (const k of Object.keys(c)) if (!ROOT_KEYS.has(k)) out.push(`${where}: top-level key ${k}`);
  if (c['settings'] !== undefined) out.push(...settingsProblems(`${where} settings`, obj(c['settings'])));
  for (const p of list(c['instructions'])) if (typeof p !== 'string' || p.trim() === '') out.push(`${where}: instruction is not Markdown text`);
  for (const [name, s] of Object.entries(obj(c['mcpServers']))) out.push(...keysIn(`${where} mcpServers.${name}`, obj(s), MCP_SERVER_KEYS));
  for (const [name, p] of Object.entries(obj(c['personas']))) out.push(...keysIn(`${where} personas.${name}`, obj(p), PERSONA_KEYS));
  return out;
}
function keysIn(where: string, o: Obj, allowed: Set<string>): string[] {
  return Object.keys(o)
    .filter((k) => !allowed.has(k))
    .map((k) => `${where}: unknown key ${k}`);
}

// ---- the repo's names -------------------------------------------------------------------------------
const baseServers = under('base/mcp/').map(stem);
const basePersonas = under('base/personas/').map(stem);
const teamPersonas = (team: string): string[] => Object.keys(doc(`teams/${team}/personas.yml`));
const members = (team: string): Obj[] => list(docs.get(`teams/${team}/members.yml`)).map(obj);
const allUsers = TEAMS.flatMap((t) => members(t).map((m) => String(m['user'])));
const repoSettings = () => doc('claude-env.yml');
const access = () => doc('access.yml');

describe('scaffoldFiles', () => {
  it('are the plain files of src/repo/scaffold/files, byte for byte, with their modes (as git records them)', () => {
    const onDisk: Array<{ path: string; bytes: Buffer; mode: number }> = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stat = lstatSync(path);
        if (stat.isDirectory()) walk(path);
        else onDisk.push({ path: relative(FILES_DIR, path).split('\\').join('/'), bytes: readFileSync(path), mode: stat.mode & 0o111 ? 0o755 : 0o644 });
      }
    };
    walk(FILES_DIR);
    onDisk.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    assert.ok(onDisk.length > 50);
    const embedded = scaffoldFiles();
    assert.deepEqual(
      embedded.map((f) => f.path),
      onDisk.map((f) => f.path),
    );
    for (const [i, f] of embedded.entries()) {
      assert.ok(Buffer.from(f.content, 'utf8').equals(onDisk[i]!.bytes), `${f.path}: the same bytes`);
      assert.equal(f.mode ?? DEFAULT_FILE_MODE, onDisk[i]!.mode, `${f.path}: the same mode`);
    }
  });

  it('writes the SPEC.md seed layout', () => {
    const want = [
      'claude-env.yml',
      'access.yml',
      'README.md',
      'base/config.yml',
      'schemas/README.md',
      'base/files/hooks/format-on-edit.sh',
      'base/files/skills/release-notes/SKILL.md',
      ...['memory', 'everything', 'docs'].map((s) => `base/mcp/${s}.yml`),
      ...['code-reviewer', 'architect', 'security-auditor'].map((p) => `base/personas/${p}.yml`),
      ...ENVS.flatMap((e) => ['config.yml', 'mcp-servers.yml', 'teams.yml', 'security.yml'].map((f) => `environments/${e}/${f}`)),
      ...TEAMS.flatMap((t) => ['base-config.yml', 'mcp-preferences.yml', 'personas.yml', 'workflows.yml', 'members.yml'].map((f) => `teams/${t}/${f}`)),
      ...PROJECTS.map((p) => `projects/${p}/claude-config.yml`),
      ...['config-validation', 'environment-sync', 'drift-detection', 'security-scan'].map((w) => `.github/workflows/${w}.yml`),
    ];
    for (const p of want) assert.ok(byPath.has(p), `missing ${p}`);
    assert.ok(under('base/security/').length >= 2, 'base/security has policy files');
    assert.equal(under('users/').length, 1);
    assert.deepEqual(strings(repoSettings()['environments']), ENVS);
  });

  it('is deterministic, sorted by path, with unique repo-relative POSIX paths', () => {
    assert.deepEqual(scaffoldFiles(), scaffoldFiles());
    const paths = files.map((f) => f.path);
    assert.deepEqual(paths, [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.equal(new Set(paths).size, paths.length);
    for (const p of paths) assert.match(p, /^(?!\/)(?!.*\/\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/, p);
    // callers may mutate what they get without changing the next call
    scaffoldFiles()[0]!.content = 'x';
    assert.notEqual(scaffoldFiles()[0]!.content, 'x');
  });

  it('ends every file with a newline and makes scripts executable', () => {
    for (const f of files) {
      assert.ok(f.content.endsWith('\n') && !f.content.endsWith('\n\n'), `${f.path} ends with one newline`);
      assert.ok(!f.content.includes('\t') || !isYaml(f.path), `${f.path} has no tabs`);
      if (f.path.endsWith('.sh')) {
        assert.equal(f.mode, 0o755, `${f.path} is executable`);
        assert.match(f.content, /^#!\//, `${f.path} has a shebang`);
      } else {
        assert.ok(f.mode === undefined || f.mode === 0o644, `${f.path} is not executable`);
      }
    }
  });

  it('parses every YAML file without errors or warnings, each starting with a comment', () => {
    const yamls = files.filter((f) => isYaml(f.path));
    assert.ok(yamls.length >= 40);
    for (const f of yamls) {
      const d = parse(f);
      assert.deepEqual(d.errors.map(String), [], `${f.path} errors`);
      assert.deepEqual(d.warnings.map(String), [], `${f.path} warnings`);
      assert.match(f.content, /^# /, `${f.path} starts with a comment`);
      assert.notEqual(docs.get(f.path), null, `${f.path} is not empty`);
    }
  });

  it('uses only the document shapes of docs/config-repo.md and valid Claude Code settings', () => {
    const problems: string[] = [];
    const rs = repoSettings();
    problems.push(...keysIn('claude-env.yml', rs, new Set(['version', 'environments', 'merge', 'drift', 'secrets', 'rollout', 'schedules', 'notifications'])));
    assert.equal(rs['version'], 1);
    for (const [glob, s] of Object.entries(obj(obj(rs['merge'])['arrays']))) {
      const ok = s === 'replace' || s === 'append' || s === 'unique' || (isObj(s) && typeof s['merge-by-key'] === 'string' && Object.keys(s).length === 1);
      if (!ok) problems.push(`claude-env.yml merge.arrays.${glob}`);
    }
    for (const r of list(obj(rs['drift'])['severity']).map(obj))
      if (typeof r['path'] !== 'string' || !['critical', 'high', 'medium', 'low'].includes(String(r['severity']))) problems.push(`drift rule ${JSON.stringify(r)}`);
    problems.push(...keysIn('access.yml', access(), new Set(['roles', 'change_classes'])));

    for (const p of CONFIG_PATHS) problems.push(...configProblems(p, doc(p)));
    for (const e of ENVS) for (const [team, c] of Object.entries(doc(`environments/${e}/teams.yml`))) problems.push(...configProblems(`environments/${e}/teams.yml ${team}`, obj(c)));
    for (const s of under('base/mcp/')) problems.push(...keysIn(s, doc(s), MCP_SERVER_KEYS));
    for (const p of [...ENVS.map((e) => `environments/${e}/mcp-servers.yml`), ...TEAMS.map((t) => `teams/${t}/mcp-preferences.yml`)])
      for (const [name, s] of Object.entries(doc(p))) problems.push(...keysIn(`${p} ${name}`, obj(s), MCP_SERVER_KEYS));
    for (const p of under('base/personas/')) {
      problems.push(...keysIn(p, doc(p), PERSONA_KEYS));
      if (typeof doc(p)['description'] !== 'string' || typeof doc(p)['prompt'] !== 'string') problems.push(`${p}: description and prompt are required`);
    }
    for (const t of TEAMS) {
      for (const [name, p] of Object.entries(doc(`teams/${t}/personas.yml`))) problems.push(...keysIn(`teams/${t}/personas.yml ${name}`, obj(p), PERSONA_KEYS));
      for (const [name, w] of Object.entries(doc(`teams/${t}/workflows.yml`))) {
        problems.push(...keysIn(`teams/${t}/workflows.yml ${name}`, obj(w), WORKFLOW_KEYS));
        for (const r of strings(obj(w)['allowed-tools'])) if (ruleProblem(r)) problems.push(`${t} ${name}: allowed-tools ${r}`);
      }
      for (const m of members(t)) problems.push(...keysIn(`teams/${t}/members.yml`, m, new Set(['user', 'role', 'projects', 'name', 'email'])));
    }
    for (const p of [...under('base/security/'), ...ENVS.map((e) => `environments/${e}/security.yml`)]) {
      const s = doc(p);
      problems.push(...keysIn(p, s, SECURITY_KEYS));
      for (const k of ['required_deny', 'forbidden_allow']) for (const r of strings(obj(s['permissions'])[k])) if (ruleProblem(r)) problems.push(`${p}: ${k} ${r}`);
      for (const m of strings(obj(s['permissions'])['forbidden_modes'])) if (!MODES.has(m)) problems.push(`${p}: mode ${m}`);
      const enforced = obj(s['enforce'])['settings'];
      if (enforced !== undefined) problems.push(...settingsProblems(`${p} enforce.settings`, obj(enforced)));
    }
    assert.deepEqual(problems, []);
  });

  it('defines three MCP servers, with the docs token as a secret reference', () => {
    assert.deepEqual([...baseServers].sort(), ['docs', 'everything', 'memory']);
    assert.equal(doc('base/mcp/everything.yml')['enabled'], false);
    for (const s of ['memory', 'everything']) {
      const d = doc(`base/mcp/${s}.yml`);
      assert.equal(d['command'], 'npx');
      assert.deepEqual(d['args'], ['-y', `@modelcontextprotocol/server-${s}`]);
    }
    const docsServer = doc('base/mcp/docs.yml');
    assert.equal(docsServer['type'], 'http');
    assert.match(String(docsServer['url']), /^https:\/\//);
    const auth = obj(docsServer['headers'])['Authorization'];
    assert.ok(auth instanceof Tagged && auth.tag === '!secret' && auth.text === 'env:DOCS_MCP_TOKEN');
    for (const s of baseServers) assert.ok(isObj(doc(`base/mcp/${s}.yml`)['expect']), `${s} has expect`);
    assert.deepEqual(obj(doc('environments/development/mcp-servers.yml')['everything'])['enabled'], true);
    const note = list(repoSettings()['notifications']).map(obj)[0]!;
    assert.ok(note['url_secret'] instanceof Tagged && note['url_secret'].text === 'env:SLACK_WEBHOOK');
  });

  it('keeps references consistent across files', () => {
    const roles = Object.keys(obj(access()['roles']));
    assert.deepEqual(roles, ROLES);
    for (const t of TEAMS) {
      // a team's MCP preferences only name servers defined in base/mcp
      for (const s of Object.keys(doc(`teams/${t}/mcp-preferences.yml`))) assert.ok(baseServers.includes(s), `${t} names unknown server ${s}`);
      // members: 3-5, lowercase names, known roles, existing projects
      const ms = members(t);
      assert.ok(ms.length >= 3 && ms.length <= 5, `${t} has 3-5 members`);
      for (const m of ms) {
        assert.match(String(m['user']), /^[a-z][a-z0-9-]*$/);
        assert.ok(roles.includes(String(m['role'])), `${t}: role ${String(m['role'])}`);
        for (const p of strings(m['projects'])) assert.ok(PROJECTS.includes(p), `${t}: project ${p}`);
      }
      // personas: a new team persona is complete; workflows name existing personas
      const personas = [...basePersonas, ...teamPersonas(t)];
      for (const [name, p] of Object.entries(doc(`teams/${t}/personas.yml`)))
        if (!basePersonas.includes(name)) assert.ok(typeof obj(p)['description'] === 'string' && typeof obj(p)['prompt'] === 'string', `${t} persona ${name} is complete`);
      const workflows = Object.entries(doc(`teams/${t}/workflows.yml`)).map(([n, w]) => [n, obj(w)] as const);
      assert.equal(workflows.length, 2, `${t} has two workflows`);
      for (const [name, w] of workflows) {
        for (const k of ['description', 'allowed-tools', 'argument-hint', 'prompt']) assert.ok(w[k] !== undefined, `${t} ${name} has ${k}`);
        const used = [w['persona'], ...list(w['steps']).map((s) => obj(s)['persona'])].filter((p) => p !== undefined);
        for (const p of used) assert.ok(personas.includes(String(p)), `${t} ${name}: persona ${String(p)}`);
        const steps = list(w['steps']).map((s) => String(obj(s)['name']));
        assert.equal(new Set(steps).size, steps.length, `${t} ${name}: step names are unique`);
      }
      assert.ok(workflows.some(([, w]) => w['persona'] !== undefined), `${t}: a workflow with a persona`);
      assert.ok(workflows.some(([, w]) => list(w['steps']).length > 0), `${t}: a workflow with steps`);
    }
    assert.equal(new Set(allUsers).size, allUsers.length, 'a user is in one team');
    for (const p of PROJECTS) assert.ok(TEAMS.some((t) => members(t).some((m) => strings(m['projects']).includes(p))), `someone works on ${p}`);
    for (const p of under('projects/')) assert.ok(PROJECTS.includes(p.split('/')[1]!));
    for (const p of under('users/')) {
      const user = p.split('/')[1]!;
      const team = TEAMS.find((t) => members(t).some((m) => m['user'] === user));
      assert.ok(team, `${p} is a member`);
      // a user's workflow tweak changes a workflow of their team, step by existing name
      for (const [wf, w] of Object.entries(obj(doc(p)['workflows']))) {
        const own = obj(doc(`teams/${team}/workflows.yml`)[wf]);
        assert.ok(Object.keys(own).length > 0, `${p}: ${team} has workflow ${wf}`);
        for (const s of list(obj(w)['steps'])) assert.ok(list(own['steps']).some((o) => obj(o)['name'] === obj(s)['name']), `${p}: step ${String(obj(s)['name'])}`);
      }
    }
    for (const e of ENVS) {
      for (const s of Object.keys(doc(`environments/${e}/mcp-servers.yml`))) assert.ok(baseServers.includes(s), `${e} names unknown server ${s}`);
      for (const [team, c] of Object.entries(doc(`environments/${e}/teams.yml`))) {
        assert.ok(TEAMS.includes(team), `${e}/teams.yml: team ${team}`);
        // a workflow tweak only changes steps the team's workflow has
        for (const [wf, w] of Object.entries(obj(obj(c)['workflows']))) {
          const own = obj(doc(`teams/${team}/workflows.yml`)[wf]);
          assert.ok(Object.keys(own).length > 0, `${e}: ${team} has workflow ${wf}`);
          for (const s of list(obj(w)['steps'])) assert.ok(list(own['steps']).some((o) => obj(o)['name'] === obj(s)['name']));
        }
      }
    }
    // repo settings and access name real environments, roles, teams
    const rollout = obj(repoSettings()['rollout']);
    assert.deepEqual(Object.keys(rollout), ENVS);
    for (const r of Object.values(rollout)) for (const role of strings(obj(obj(r)['approval'])['roles'])) assert.ok(roles.includes(role));
    for (const c of Object.values(obj(access()['change_classes']))) for (const role of strings(obj(obj(c)['approvals'])['roles'])) assert.ok(roles.includes(role));
    for (const r of Object.values(obj(access()['roles'])))
      for (const m of strings(obj(r)['members'])) assert.ok(m.startsWith('team:') ? TEAMS.includes(m.slice(5)) : allUsers.includes(m), `role member ${m}`);
    // the format hook points at the script shipped in base/files
    const hooks = obj(obj(doc('base/config.yml')['settings'])['hooks']);
    const command = String(obj(list(obj(list(hooks['PostToolUse'])[0])['hooks'])[0])['command']);
    assert.match(command, /\/\.claude\}?\/hooks\/format-on-edit\.sh/);
    // the CI drift schedule is the one of claude-env.yml
    const cron = list(obj(doc('.github/workflows/drift-detection.yml')['on'])['schedule']).map((s) => obj(s)['cron']);
    assert.deepEqual(cron, obj(repoSettings()['schedules'])['drift']);
  });

  it('shows the layer markers: one project uses !delete, one uses null', () => {
    const dp = obj(obj(doc('projects/data-pipeline/claude-config.yml')['settings'])['hooks'])['PostToolUse'];
    assert.ok(dp instanceof Tagged && dp.tag === '!delete');
    assert.ok(obj(obj(doc('projects/web-application/claude-config.yml')['settings'])['permissions'])['defaultMode'] === null);
    assert.match(byPath.get('projects/data-pipeline/claude-config.yml')!.content, /# !delete removes/);
    assert.match(byPath.get('projects/web-application/claude-config.yml')!.content, /# null keeps the parent's value/);
  });

  it("satisfies its own security policy in every environment", () => {
    // what reaches a target of env e: base, the env files, and any team, project or user layer
    const higher = [...TEAMS.map((t) => `teams/${t}/base-config.yml`), ...under('projects/'), ...under('users/')].map(doc);
    const perms = (c: Obj): Obj => obj(obj(c['settings'])['permissions']);
    const baseSecurity = under('base/security/').map(doc);
    for (const e of ENVS) {
      const envTeams = Object.values(doc(`environments/${e}/teams.yml`)).map(obj);
      const layers = [doc('base/config.yml'), doc(`environments/${e}/config.yml`), ...envTeams, ...higher];
      const policy = [...baseSecurity, doc(`environments/${e}/security.yml`)].map((s) => obj(s['permissions']));
      const deny = new Set([doc('base/config.yml'), doc(`environments/${e}/config.yml`)].flatMap((c) => strings(perms(c)['deny'])));
      for (const r of policy.flatMap((p) => strings(p['required_deny']))) assert.ok(deny.has(r), `${e}: required deny ${r} is denied for everyone`);
      const allows = new Set(layers.flatMap((c) => strings(perms(c)['allow'])));
      for (const r of policy.flatMap((p) => strings(p['forbidden_allow']))) assert.ok(!allows.has(r), `${e}: forbidden allow ${r}`);
      const modes = layers.map((c) => perms(c)['defaultMode']).filter((m) => typeof m === 'string');
      for (const m of policy.flatMap((p) => strings(p['forbidden_modes']))) assert.ok(!modes.includes(m), `${e}: forbidden mode ${m}`);
      // no layer deletes the inherited deny list
      for (const c of layers) assert.ok(!(perms(c)['deny'] instanceof Tagged));
    }
    const allowlist = list(obj(doc('base/security/mcp.yml')['mcp'])['allowlist']).map((a) => obj(a)['name']);
    assert.deepEqual([...allowlist].sort(), [...baseServers].sort());
    // env values never hold credentials in clear
    const patterns = strings(obj(doc('base/security/env.yml')['env'])['credential_patterns']).map((g) => new RegExp(`^${g.replaceAll('*', '.*')}$`));
    for (const p of CONFIG_PATHS) for (const [k, v] of Object.entries(obj(obj(doc(p)['settings'])['env']))) if (patterns.some((re) => re.test(k))) assert.ok(v instanceof Tagged, `${p}: ${k}`);
  });

  it('holds no plain-text secret or token-like string', () => {
    const suspicious = [
      /AKIA[0-9A-Z]{16}/,
      /\bgh[pousr]_[A-Za-z0-9]{20,}/,
      /\bgithub_pat_[A-Za-z0-9_]{20,}/,
      /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
      /\bsk-[A-Za-z0-9_-]{20,}/,
      /\bAIza[0-9A-Za-z_-]{35}/,
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
      /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/i,
      /hooks\.slack\.com\/services\//,
      /\bAGE-SECRET-KEY-/,
      /\bage1[a-z0-9]{20,}/,
      /:\/\/[^/\s:@]+:[^/\s@]+@/, // credentials in a URL
    ];
    for (const f of files) for (const re of suspicious) assert.doesNotMatch(f.content, re, `${f.path} matches ${re}`);
    // no escaped interpolation left over from the TypeScript templates
    for (const f of files) assert.ok(!f.content.includes('\\${'), `${f.path} has a stray backslash`);
  });

  it('ships a skill with front matter and GitHub workflows with valid jobs', () => {
    const skill = byPath.get('base/files/skills/release-notes/SKILL.md')!.content;
    const fm = /^---\n([\s\S]*?)\n---\n/.exec(skill);
    assert.ok(fm, 'SKILL.md has front matter');
    const meta = obj(parseDocument(fm[1]!).toJS() as Json);
    assert.equal(meta['name'], 'release-notes');
    assert.equal(typeof meta['description'], 'string');
    for (const p of under('.github/workflows/')) {
      const wf = doc(p);
      assert.ok(wf['name'] && wf['on'] && isObj(wf['jobs']), `${p} has name, on, jobs`);
      for (const [id, job] of Object.entries(obj(wf['jobs']))) {
        assert.ok(obj(job)['runs-on'], `${p} ${id} runs-on`);
        const steps = list(obj(job)['steps']).map(obj);
        assert.ok(steps.length > 0);
        for (const s of steps) assert.ok((typeof s['uses'] === 'string') !== (typeof s['run'] === 'string'), `${p} ${id}: step has uses or run`);
      }
    }
    const validation = byPath.get('.github/workflows/config-validation.yml')!.content;
    assert.match(validation, /npx claude-env validate --format sarif > results\.sarif/);
    assert.match(validation, /github\/codeql-action\/upload-sarif@/);
    assert.match(byPath.get('.github/workflows/drift-detection.yml')!.content, /npx claude-env drift .*--json/);
    assert.match(byPath.get('.github/workflows/security-scan.yml')!.content, /npx claude-env access check/);
    assert.match(byPath.get('.github/workflows/environment-sync.yml')!.content, /npx claude-env impact/);
  });
});
