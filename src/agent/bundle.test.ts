/**
 * An assignment applied on a machine: the files `render --outputs` gives,
 * through the same apply as the CLI (a second apply changes nothing, a
 * failed post-apply check rolls back), with the machine's own
 * local-overrides.yml on top and secrets resolved here into 0600 files; its
 * drift summary and results hold paths and codes, never a value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli, ROOT, snapshot, tempDir } from '../../test/helpers.js';
import { git } from '../../test/support/git-tree.js';
import type { Assignment } from '../controller/api.js';
import { RepoTracker } from '../controller/tracker/tracker.js';
import { machineHomes } from '../../test/support/homes.js';
import type { Target } from '../vocabulary.js';
import { applyAssignment, driftSummary } from './bundle.js';

const run = promisify(execFile);
const tmp = tempDir('claude-env-agent-bundle-');
after(() => tmp.cleanup());

const CANARY_ENV = 'CANARY-ENV-51d0c3aa';
const CANARY_AGE = 'CANARY-AGE-e07b9f24';
const CANARY_RE = /CANARY-(ENV|AGE)-[0-9a-f]{8}/;
/** The seed's docs MCP server takes its header from the environment. */
const DOCS_TOKEN = 'Bearer docs-token-for-tests';

const BOB: Target = { env: 'development', team: 'frontend-team', project: 'web-application', user: 'bob' };
const ALICE: Target = { env: 'development', team: 'frontend-team', project: 'web-application', user: 'alice' };
const flags = (t: Target): string[] => ['--env', t.env, '--team', t.team!, '--project', t.project!, '--user', t.user!];

let dir = '';
let sha = '';
let identity = '';
let tracker: RepoTracker;

before(async () => {
  dir = join(tmp.dir, 'seed');
  await run(process.execPath, [join(ROOT, 'bin/claude-env.js'), 'init', dir], { env: { ...process.env, HOME: tmp.dir } });
  identity = join(tmp.dir, 'identity.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(identity, 'utf8'))![1]!;
  const armored = execFileSync('age', ['-e', '-a', '-r', recipient], { input: CANARY_AGE, encoding: 'utf8' });
  const settings = readFileSync(join(dir, 'claude-env.yml'), 'utf8').replace('secrets:\n  commands_from: [base, environments]', `secrets:\n  commands_from: [base, environments]\n  age: { recipients: [${recipient}] }`);
  writeFileSync(join(dir, 'claude-env.yml'), settings);
  // alice's layer holds the canaries: an environment variable's value and an age value
  const overrides = readFileSync(join(dir, 'users/alice/overrides.yml'), 'utf8').replace(
    'settings:\n',
    ['settings:', '  env:', '    CANARY_TOKEN: !secret env:CANARY_X', '    AGE_TOKEN: !encrypted |', ...armored.trimEnd().split('\n').map((l) => `      ${l}`), ''].join('\n'),
  );
  writeFileSync(join(dir, 'users/alice/overrides.yml'), overrides);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-verify', '-m', 'canaries']);
  tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: join(tmp.dir, 'work') });
  sha = await tracker.head();
});

/** A fresh home, its own claude-env state folder beside it, and the machine's environment. */
const machine = machineHomes(tmp.dir, { DOCS_MCP_TOKEN: DOCS_TOKEN });

const assignmentOf = async (target: Target, rev = sha): Promise<Assignment> => tracker.bundle(rev, target);

describe('applyAssignment', () => {
  it('writes exactly the files `claude-env render --outputs` gives for the target, and records the revision', async () => {
    const m = machine();
    const out = await applyAssignment({ assignment: await assignmentOf(BOB), ...m });
    assert.equal(out.result, 'ok', JSON.stringify(out));
    assert.equal(out.error_code, null);
    assert.equal(out.revision_now, sha);
    const r = await cli(['render', '--repo', dir, '--rev', sha, ...flags(BOB), '--outputs', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const expected = JSON.parse(r.stdout) as Record<string, string>;
    const written = snapshot(m.home);
    assert.deepEqual([...written.keys()].sort(), Object.keys(expected).sort());
    // render shows a secret as its placeholder; apply writes its value
    for (const [path, content] of Object.entries(expected)) assert.equal(readFileSync(join(m.home, path), 'utf8'), content.replaceAll('«secret:env:DOCS_MCP_TOKEN»', DOCS_TOKEN), path);
    assert.deepEqual(out.apply?.written.map((w) => w.path).sort(), Object.keys(expected).sort());
    assert.ok(typeof out.timings['apply_ms'] === 'number' && typeof out.timings['total_ms'] === 'number');
  });

  it('changes nothing when applied a second time', async () => {
    const m = machine();
    const a = await assignmentOf(BOB);
    assert.equal((await applyAssignment({ assignment: a, ...m })).result, 'ok');
    const before = snapshot(m.home);
    const again = await applyAssignment({ assignment: a, ...m });
    assert.equal(again.result, 'ok');
    assert.deepEqual(again.apply?.written, []);
    assert.equal(again.apply?.restore_point, null);
    assert.deepEqual(snapshot(m.home), before);
    assert.equal(again.revision_now, sha);
  });

  it('records a new revision that leaves every file as it is', async () => {
    const m = machine();
    assert.equal((await applyAssignment({ assignment: await assignmentOf(BOB), ...m })).revision_now, sha);
    const before = snapshot(m.home);
    // a commit that touches another team only
    writeFileSync(join(dir, 'teams/backend-team/workflows.yml'), `${readFileSync(join(dir, 'teams/backend-team/workflows.yml'), 'utf8')}\n# a comment\n`);
    git(dir, ['commit', '-q', '--no-verify', '-am', 'backend only']);
    const next = await tracker.head();
    const out = await applyAssignment({ assignment: await assignmentOf(BOB, next), ...m });
    assert.deepEqual({ result: out.result, written: out.apply?.written, revision_now: out.revision_now }, { result: 'ok', written: [], revision_now: next });
    assert.deepEqual(snapshot(m.home), before);
  });

  it("puts the machine's own local-overrides.yml on top of the bundle's layers", async () => {
    const m = machine();
    mkdirSync(join(m.home, '.claude'));
    writeFileSync(join(m.home, '.claude/local-overrides.yml'), 'settings:\n  model: claude-local-choice\n');
    assert.equal((await applyAssignment({ assignment: await assignmentOf(BOB), ...m })).result, 'ok');
    assert.equal(JSON.parse(readFileSync(join(m.home, '.claude/settings.json'), 'utf8')).model, 'claude-local-choice');
    assert.deepEqual((await driftSummary({ assignment: await assignmentOf(BOB), ...m })).items, []);
  });

  it('resolves secrets on the machine into 0600 files, and returns none of them', async () => {
    const m = machine({ CANARY_X: CANARY_ENV });
    const told: string[] = [];
    const a = await assignmentOf(ALICE);
    // the bundle carries references and ciphertext only
    assert.doesNotMatch(JSON.stringify(a), CANARY_RE);
    const out = await applyAssignment({ assignment: a, ...m, identity, onResolved: (value) => void told.push(value) });
    assert.equal(out.result, 'ok', JSON.stringify(out));
    const file = join(m.home, '.claude/settings.json');
    const settings = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual([settings.env.CANARY_TOKEN, settings.env.AGE_TOKEN], [CANARY_ENV, CANARY_AGE]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(told.sort(), [DOCS_TOKEN, CANARY_AGE, CANARY_ENV].sort());
    const drift = await driftSummary({ assignment: a, ...m });
    assert.deepEqual(drift.items, []);
    for (const text of [JSON.stringify(out), JSON.stringify(drift)]) {
      assert.doesNotMatch(text, CANARY_RE);
      assert.ok(!text.includes(DOCS_TOKEN));
    }
  });

  it('fails with the code only when a secret cannot be resolved, writing nothing', async () => {
    const m = machine();
    const out = await applyAssignment({ assignment: await assignmentOf(ALICE), ...m, identity });
    assert.deepEqual({ result: out.result, error_code: out.error_code, revision_now: out.revision_now }, { result: 'failed', error_code: 'secret-unresolved', revision_now: null });
    assert.deepEqual([...snapshot(m.home).keys()], []);
    assert.doesNotMatch(JSON.stringify(out), /CANARY_X|cannot resolve/);
  });

  it('refuses an assignment with a file that is no plain repo path (.., absolute, .git), writing nothing', async () => {
    const a = await assignmentOf(BOB);
    const some = Object.values(a.files)[0]!;
    for (const bad of ['base/../../../.bashrc', '/etc/profile', 'base/.git/config', 'base//x.yml']) {
      const m = machine();
      const out = await applyAssignment({ assignment: { ...a, files: { ...a.files, [bad]: some } }, ...m });
      assert.deepEqual({ result: out.result, error_code: out.error_code }, { result: 'failed', error_code: 'repo-path' }, bad);
      assert.deepEqual([...snapshot(m.home).keys()], [], bad);
    }
  });

  it('writes a script with the mode git records (0755), whatever mode the assignment says', async () => {
    const a = await assignmentOf(BOB);
    const script = Object.keys(a.files).find((p) => p.endsWith('.sh'))!;
    const m = machine();
    const out = await applyAssignment({ assignment: { ...a, files: { ...a.files, [script]: { ...a.files[script]!, mode: 0o6777 } } }, ...m });
    assert.equal(out.result, 'ok');
    const written = join(m.home, '.claude', script.slice(script.indexOf('files/') + 'files/'.length));
    assert.equal(statSync(written).mode & 0o7777, 0o755);
  });

  it('reports rolled-back, holding the revision it had, when the post-apply check fails', async () => {
    const m = machine();
    assert.equal((await applyAssignment({ assignment: await assignmentOf(BOB), ...m })).result, 'ok');
    const before = snapshot(m.home);
    writeFileSync(join(dir, 'projects/web-application/claude-config.yml'), `${readFileSync(join(dir, 'projects/web-application/claude-config.yml'), 'utf8')}\n`.replace(/^settings:\n/m, 'settings:\n  model: claude-next\n'));
    git(dir, ['commit', '-q', '--no-verify', '-am', 'next model']);
    const next = await tracker.head();
    // a disk that lies: the first staged file lands damaged
    const out = await applyAssignment({ assignment: await assignmentOf(BOB, next), ...m, env: { ...m.env, CLAUDE_ENV_CORRUPT_WRITE_AT: '1' } });
    assert.deepEqual({ result: out.result, error_code: out.error_code, revision_now: out.revision_now }, { result: 'rolled-back', error_code: 'apply-check-failed', revision_now: sha });
    assert.deepEqual(snapshot(m.home), before);
    // and without the fault it goes through
    const ok = await applyAssignment({ assignment: await assignmentOf(BOB, next), ...m });
    assert.deepEqual({ result: ok.result, revision_now: ok.revision_now }, { result: 'ok', revision_now: next });
  });
});

describe('driftSummary', () => {
  it('shows a hand edit by path, category and severity, with no value in it', async () => {
    const m = machine();
    const a = await assignmentOf(BOB);
    assert.equal((await applyAssignment({ assignment: a, ...m })).result, 'ok');
    assert.deepEqual(await driftSummary({ assignment: a, ...m }), { drift_percentage: 0, risk_level: 'none', items: [] });
    const file = join(m.home, '.claude/settings.json');
    const s = JSON.parse(readFileSync(file, 'utf8'));
    s.model = 'HAND-EDITED-MODEL-7c2e';
    s.permissions.deny = ['Bash(HAND-EDITED-DENY-7c2e)'];
    s.mine = 'HAND-ADDED-KEY-7c2e';
    writeFileSync(file, JSON.stringify(s, null, 2));
    const drift = await driftSummary({ assignment: a, ...m });
    const byPath = Object.fromEntries(drift.items.map((i) => [i.path, i]));
    assert.deepEqual(byPath['settings.model'], { path: 'settings.model', category: 'version', severity: 'medium' });
    assert.equal(byPath['settings.permissions.deny']?.severity, 'critical');
    assert.equal(byPath['settings.mine']?.category, 'user-preference');
    assert.ok(drift.drift_percentage > 0);
    assert.equal(drift.risk_level, 'critical');
    for (const item of drift.items) assert.deepEqual(Object.keys(item).sort(), ['category', 'path', 'severity']);
    assert.doesNotMatch(JSON.stringify(drift), /HAND-(EDITED|ADDED)/);
  });
});
