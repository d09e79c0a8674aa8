/**
 * A drift sweep on a machine: the home read against its assignment (online:
 * each enabled MCP server connected to), the critical items fixed on disk
 * within the sweep's limit, everything else handed back as items for a
 * person; and blue-green staging, which prepares a revision beside the
 * active one and leaves the home as it is. What comes back holds paths,
 * categories, severities and names, never a value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, snapshot, tempDir } from '../../test/helpers.js';
import { memoryServerCommand, requireComponent } from '../../test/support/claude.js';
import { commitAll, git } from '../../test/support/git-tree.js';
import type { Assignment, StagedBundle } from '../controller/api.js';
import { RepoTracker } from '../controller/tracker/tracker.js';
import { machineHomes } from '../../test/support/homes.js';
import type { Target } from '../vocabulary.js';
import { applyAssignment } from './bundle.js';
import { stageAssignment, sweepAssignment } from './sweep.js';

const run = promisify(execFile);
const tmp = tempDir('claude-env-agent-sweep-');
after(() => tmp.cleanup());

const CANARY = 'CANARY-SWEEP-8e41d07b';
/** The seed's docs MCP server takes its header from the environment: a secret too. */
const DOCS_TOKEN = 'Bearer docs-token-SWEEP-5a9c';

const BOB: Target = { env: 'development', team: 'frontend-team', project: 'web-application', user: 'bob' };
const ALICE: Target = { env: 'development', team: 'frontend-team', project: 'web-application', user: 'alice' };

let dir = '';
let sha = '';
let tracker: RepoTracker;

before(async () => {
  dir = join(tmp.dir, 'seed');
  await run(process.execPath, [join(ROOT, 'bin/claude-env.js'), 'init', dir], { env: { ...process.env, HOME: tmp.dir } });
  // alice's layer holds a secret from the machine's environment
  const overrides = readFileSync(join(dir, 'users/alice/overrides.yml'), 'utf8').replace('settings:\n', 'settings:\n  env:\n    CANARY_TOKEN: !secret env:CANARY_X\n');
  writeFileSync(join(dir, 'users/alice/overrides.yml'), overrides);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-verify', '-m', 'canary']);
  tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: join(tmp.dir, 'work') });
  sha = await tracker.head();
});

/** A fresh home, its own claude-env state folder beside it, and the machine's environment. */
const machine = machineHomes(tmp.dir, { DOCS_MCP_TOKEN: DOCS_TOKEN });

type Settings = { permissions: { deny: string[]; allow: string[]; defaultMode?: string }; model: string; env?: Record<string, string>; spinnerTipsEnabled?: boolean };
const settingsPath = (home: string): string => join(home, '.claude/settings.json');
const readSettings = (home: string): Settings => JSON.parse(readFileSync(settingsPath(home), 'utf8')) as Settings;
/** A hand edit of ~/.claude/settings.json, as a user makes one. */
function handEdit(home: string, change: (s: Settings) => void): void {
  const s = readSettings(home);
  change(s);
  writeFileSync(settingsPath(home), JSON.stringify(s, null, 2));
}

/** A machine holding the target's assignment at `sha`, with the settings as applied. */
async function applied(target: Target, extra: Record<string, string> = {}): Promise<{ m: ReturnType<typeof machine>; a: Assignment; desired: Settings }> {
  const m = machine(extra);
  const a = await tracker.bundle(sha, target);
  const out = await applyAssignment({ assignment: a, ...m });
  assert.equal(out.result, 'ok', JSON.stringify(out));
  return { m, a, desired: readSettings(m.home) };
}

describe('sweepAssignment', () => {
  it('fixes the critical item on disk and hands the high and medium ones to a person', async () => {
    const { m, a, desired } = await applied(BOB);
    handEdit(m.home, (s) => {
      s.permissions.deny = ['Bash(HAND-EDITED-DENY)'];
      s.permissions.allow = [...s.permissions.allow, 'Bash(hand-added)'];
      s.model = 'HAND-EDITED-MODEL';
    });
    const out = await sweepAssignment({ assignment: a, ...m, maxFixes: 10, online: false });
    assert.equal(out.error_code, null, JSON.stringify(out));
    assert.equal(out.fixed, 1);
    // on disk: the deny list is back as the repo wants it; the other edits stay
    const now = readSettings(m.home);
    assert.deepEqual(now.permissions.deny, desired.permissions.deny);
    assert.deepEqual(now.permissions.allow, [...desired.permissions.allow, 'Bash(hand-added)']);
    assert.equal(now.model, 'HAND-EDITED-MODEL');
    // before: all three; after and manual: what is left, worst first
    assert.deepEqual(out.drift.items.find((i) => i.path === 'settings.permissions.deny'), { path: 'settings.permissions.deny', category: 'security-policy', severity: 'critical' });
    assert.equal(out.drift.risk_level, 'critical');
    assert.deepEqual(out.manual, [
      { path: 'settings.permissions.allow', category: 'team-permissions', severity: 'high' },
      { path: 'settings.model', category: 'version', severity: 'medium' },
    ]);
    assert.deepEqual(out.after.items.filter((i) => i.severity === 'critical'), []);
    assert.deepEqual(out.after.items.map((i) => i.path).sort(), ['settings.model', 'settings.permissions.allow']);
    assert.deepEqual(out.mcp_down, []);
  });

  it('with maxFixes 0 changes nothing on disk and hands the critical item to a person too', async () => {
    const { m, a } = await applied(BOB);
    handEdit(m.home, (s) => {
      s.permissions.deny = ['Bash(HAND-EDITED-DENY)'];
      s.model = 'HAND-EDITED-MODEL';
    });
    const home = snapshot(m.home);
    const state = snapshot(m.stateDir);
    const out = await sweepAssignment({ assignment: a, ...m, maxFixes: 0, online: false });
    assert.equal(out.error_code, null);
    assert.equal(out.fixed, 0);
    assert.deepEqual(snapshot(m.home), home);
    assert.deepEqual(snapshot(m.stateDir), state, 'no restore point, no audit entry');
    assert.deepEqual(out.manual, [
      { path: 'settings.permissions.deny', category: 'security-policy', severity: 'critical' },
      { path: 'settings.model', category: 'version', severity: 'medium' },
    ]);
    assert.deepEqual(out.after, out.drift);
  });

  it('fixes no more critical items than maxFixes; the one past it stays on disk as edited and is handed to a person', async () => {
    const { m, a, desired } = await applied(BOB);
    handEdit(m.home, (s) => {
      s.permissions.deny = ['Bash(HAND-EDITED-DENY)'];
      s.permissions.defaultMode = 'bypassPermissions';
    });
    const out = await sweepAssignment({ assignment: a, ...m, maxFixes: 1, online: false });
    assert.equal(out.error_code, null);
    assert.equal(out.fixed, 1);
    assert.equal(out.manual.length, 1);
    const [left] = out.manual;
    assert.equal(left!.severity, 'critical');
    const now = readSettings(m.home);
    const still = { 'settings.permissions.deny': now.permissions.deny, 'settings.permissions.defaultMode': now.permissions.defaultMode };
    const want = { 'settings.permissions.deny': desired.permissions.deny, 'settings.permissions.defaultMode': desired.permissions.defaultMode };
    // the item handed over is the one still as the user left it; the other is back as the repo wants it
    for (const path of Object.keys(want) as Array<keyof typeof want>) {
      if (path === left!.path) assert.notDeepEqual(still[path], want[path], path);
      else assert.deepEqual(still[path], want[path], path);
    }
    assert.deepEqual(out.after.items.map((i) => i.path), [left!.path]);
  });

  it('fixes a file that holds secrets, keeps their values on disk, and returns none of them', async () => {
    const { m, a, desired } = await applied(ALICE, { CANARY_X: CANARY });
    assert.equal(desired.env?.['CANARY_TOKEN'], CANARY);
    handEdit(m.home, (s) => {
      s.permissions.deny = [];
      s.spinnerTipsEnabled = true;
    });
    const told: string[] = [];
    const out = await sweepAssignment({ assignment: a, ...m, maxFixes: 10, online: false, onResolved: (value) => void told.push(value) });
    assert.equal(out.error_code, null, JSON.stringify(out));
    assert.equal(out.fixed, 1);
    const now = readSettings(m.home);
    assert.deepEqual(now.permissions.deny, desired.permissions.deny);
    assert.equal(now.env?.['CANARY_TOKEN'], CANARY);
    assert.equal(now.spinnerTipsEnabled, true);
    assert.deepEqual(out.manual, [{ path: 'settings.spinnerTipsEnabled', category: 'user-preference', severity: 'low' }]);
    // the values were resolved to write the fix, and told to the caller, but are nowhere in the outcome
    assert.ok(told.includes(CANARY));
    const text = JSON.stringify(out);
    assert.ok(!text.includes(CANARY) && !text.includes(DOCS_TOKEN), text);
    assert.doesNotMatch(text, /CANARY_X|expected|actual/);
  });

  it('online: names each MCP server that is down, as a critical item for a person, and still fixes the critical drift', { timeout: 60_000 }, async () => {
    const memory = requireComponent('MCP memory server (@modelcontextprotocol/server-memory)', () => memoryServerCommand({ memoryFile: join(tmp.dir, 'memory.jsonl') }));
    const root = join(tmp.dir, 'mcp-repo');
    const q = (s: string): string => JSON.stringify(s);
    mkdirSync(join(root, 'base', 'mcp'), { recursive: true });
    mkdirSync(join(root, 'teams', 'web'), { recursive: true });
    writeFileSync(join(root, 'claude-env.yml'), 'version: 1\nenvironments: [development]\n');
    writeFileSync(join(root, 'base', 'config.yml'), 'settings:\n  model: haiku\n  permissions:\n    deny: ["Bash(rm -rf:*)"]\n');
    writeFileSync(join(root, 'teams', 'web', 'members.yml'), '- { user: ann, role: developer }\n');
    writeFileSync(join(root, 'base', 'mcp', 'memory.yml'), `command: ${q(memory.command)}\nargs: [${memory.args.map(q).join(', ')}]\n${memory.env ? `env: ${JSON.stringify(memory.env)}\n` : ''}`);
    writeFileSync(join(root, 'base', 'mcp', 'ghost.yml'), 'command: claude-env-no-such-command-5b7e\n');
    commitAll(root);
    const mcpTracker = new RepoTracker({ repo: root, branch: 'main', workDir: join(tmp.dir, 'mcp-work') });
    const a = await mcpTracker.bundle(await mcpTracker.head(), { env: 'development', team: 'web', user: 'ann' });
    const m = machine();
    assert.equal((await applyAssignment({ assignment: a, ...m })).result, 'ok');
    handEdit(m.home, (s) => void (s.permissions.deny = []));

    const offline = await sweepAssignment({ assignment: a, ...m, maxFixes: 0, online: false });
    assert.deepEqual(offline.mcp_down, [], 'offline, no server is started');

    const out = await sweepAssignment({ assignment: a, ...m, maxFixes: 10, online: true, timeoutMs: 20_000 });
    assert.equal(out.error_code, null, JSON.stringify(out));
    assert.deepEqual(out.mcp_down, ['ghost']);
    assert.deepEqual(out.drift.items.find((i) => i.path === 'mcpServers.ghost'), { path: 'mcpServers.ghost', category: 'mcp-server', severity: 'critical' });
    assert.equal(out.fixed, 1);
    assert.deepEqual(readSettings(m.home).permissions.deny, ['Bash(rm -rf:*)']);
    // writing files does not bring a server up: it is left to a person, and still there after
    assert.deepEqual(out.manual, [{ path: 'mcpServers.ghost', category: 'mcp-server', severity: 'critical' }]);
    assert.deepEqual(out.after.items, [{ path: 'mcpServers.ghost', category: 'mcp-server', severity: 'critical' }]);
    assert.doesNotMatch(JSON.stringify(out), /ENOENT|spawn/);
  });

  it('returns the code, never throwing, when the assignment cannot be read', async () => {
    const { m, a } = await applied(BOB);
    const some = Object.values(a.files)[0]!;
    const out = await sweepAssignment({ assignment: { ...a, files: { ...a.files, 'base/../../escape.yml': some } }, ...m, maxFixes: 10, online: false });
    assert.deepEqual({ error_code: out.error_code, fixed: out.fixed, manual: out.manual, mcp_down: out.mcp_down }, { error_code: 'repo-path', fixed: 0, manual: [], mcp_down: [] });
  });
});

describe('stageAssignment', () => {
  /** The next revision of the seed (a new model for the project), as a staged bundle of `target`. */
  let next: StagedBundle;
  before(async () => {
    const file = join(dir, 'projects/web-application/claude-config.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^settings:\n/m, 'settings:\n  model: claude-staged\n'));
    git(dir, ['commit', '-q', '--no-verify', '-am', 'staged model']);
    const b = await tracker.bundle(await tracker.head(), BOB);
    next = { revision: b.revision, etag: b.etag, files: b.files };
  });

  it('prepares a good revision beside the active one, leaving the home and the state byte for byte as they are', async () => {
    const { m } = await applied(BOB);
    const home = snapshot(m.home);
    const state = snapshot(m.stateDir);
    const out = await stageAssignment({ ...m, stage: next, target: BOB });
    assert.deepEqual({ ok: out.ok, error_code: out.error_code }, { ok: true, error_code: null });
    assert.ok(typeof out.timings['render_ms'] === 'number' && typeof out.timings['total_ms'] === 'number');
    assert.deepEqual(snapshot(m.home), home);
    assert.deepEqual(snapshot(m.stateDir), state);
    assert.notEqual(readSettings(m.home).model, 'claude-staged');
  });

  it('writes nothing on a machine that holds nothing yet, not even its secret key', async () => {
    const m = machine();
    const out = await stageAssignment({ ...m, stage: next, target: BOB });
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.deepEqual([...snapshot(m.home).keys()], []);
    assert.throws(() => snapshot(m.stateDir), /ENOENT/);
  });

  it('fails now, with the code only, when a secret of the staged revision cannot be resolved here; the home is unchanged', async () => {
    const { m } = await applied(BOB);
    const home = snapshot(m.home);
    const state = snapshot(m.stateDir);
    const path = 'projects/web-application/claude-config.yml';
    const f = next.files[path] as { mode: number; text: string };
    assert.match(f.text, /^ {2}env:\n/m);
    const bad: StagedBundle = { ...next, files: { ...next.files, [path]: { mode: f.mode, text: f.text.replace(/^ {2}env:\n/m, '  env:\n    STAGED_TOKEN: !secret env:MISSING_STAGE_SECRET\n') } } };
    const out = await stageAssignment({ ...m, stage: bad, target: BOB });
    assert.deepEqual({ ok: out.ok, error_code: out.error_code }, { ok: false, error_code: 'secret-unresolved' });
    assert.deepEqual(snapshot(m.home), home);
    assert.deepEqual(snapshot(m.stateDir), state);
    assert.doesNotMatch(JSON.stringify(out), /MISSING_STAGE_SECRET|cannot resolve/);
  });

  it('fails now when the staged revision breaks the security policy (target-refused)', async () => {
    const { m } = await applied(BOB);
    const home = snapshot(m.home);
    const path = 'projects/web-application/claude-config.yml';
    const f = next.files[path] as { mode: number; text: string };
    assert.match(f.text, /defaultMode: null/);
    const bad: StagedBundle = { ...next, files: { ...next.files, [path]: { mode: f.mode, text: f.text.replace('defaultMode: null', 'defaultMode: bypassPermissions') } } };
    const out = await stageAssignment({ ...m, stage: bad, target: BOB });
    assert.deepEqual({ ok: out.ok, error_code: out.error_code }, { ok: false, error_code: 'target-refused' });
    assert.deepEqual(snapshot(m.home), home);
  });
});
