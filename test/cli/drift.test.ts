/**
 * drift, diff and remediate on a sandbox home, as a developer meets them:
 * a clean machine has no drift (exit 0); hand edits are items with category,
 * severity and risk (exit 1); keys the user added are reported apart; diff
 * shows what apply would change; remediate fixes worst first within its
 * limit, keeps the user's keys, and lists the rest for a person.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const target = ['--repo', fixture('merge-rules'), '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];
const run = (args: string[], home: string) => cli([...args, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });

async function appliedHome(): Promise<string> {
  const home = join(tmp.dir, `home${n++}`);
  mkdirSync(home);
  assert.equal((await run(['apply', ...target], home)).code, 0);
  return home;
}

/** The hand edits of a developer: a deny rule dropped, the model changed, a key of their own added. */
function handEdit(home: string): void {
  const file = join(home, '.claude', 'settings.json');
  const s = JSON.parse(readFileSync(file, 'utf8'));
  s.permissions.deny = [];
  s.model = 'opus';
  s.theme = 'light';
  writeFileSync(file, JSON.stringify(s, null, 2));
}

describe('drift', () => {
  it('finds none on a machine just applied, and exits 0', async () => {
    const home = await appliedHome();
    const r = await run(['drift', ...target, '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual({ items: report.items, pct: report.drift_percentage, risk: report.risk_level }, { items: [], pct: 0, risk: 'none' });
  });

  it('reports hand edits with category and severity, the percentage and the risk, and exits 1', async () => {
    const home = await appliedHome();
    handEdit(home);
    const r = await run(['drift', ...target, '--json'], home);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(
      report.items.map((i: Record<string, unknown>) => [i['path'], i['category'], i['severity'], i['expected'], i['actual']]),
      [
        ['settings.model', 'version', 'medium', 'haiku', 'opus'],
        ['settings.permissions.deny', 'security-policy', 'critical', ['Read(./.env)'], []],
        ['settings.theme', 'user-preference', 'low', null, 'light'],
      ],
    );
    assert.equal(report.drift_percentage, 9.52, '2 of 21 managed values; the added key does not count');
    assert.equal(report.risk_level, 'critical');
    assert.deepEqual(report.plan.map((s: Record<string, unknown>) => [s['path'], s['action']]), [
      ['settings.permissions.deny', 'restore-now'],
      ['settings.model', 'correct-on-schedule'],
    ]);
  });

  it('needs no target flags after the first apply: the machine identity remembers it', async () => {
    const home = await appliedHome();
    handEdit(home);
    const r = await run(['drift', '--repo', fixture('merge-rules'), '--json'], home);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).target, { env: 'development', team: 'web', project: 'shop', user: 'ann' });
  });

  it('exits 0 when the only difference is a key the user added', async () => {
    const home = await appliedHome();
    const file = join(home, '.claude', 'settings.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), theme: 'light' }, null, 2));
    const r = await run(['drift', ...target], home);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /low +user-preference +settings\.theme  extra/);
  });
});

describe('diff', () => {
  it('shows what apply would change as a unified diff, and exits 1; nothing to show exits 0', async () => {
    const home = await appliedHome();
    assert.deepEqual(await run(['diff', ...target], home), { code: 0, stdout: '', stderr: '' });
    handEdit(home);
    const r = await run(['diff', ...target], home);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^--- a\/\.claude\/settings\.json\n\+\+\+ b\/\.claude\/settings\.json\n/);
    assert.match(r.stdout, /^-    "deny": \[\],\n\+    "deny": \[\n\+      "Read\(\.\/\.env\)"\n\+    \],$/m);
    assert.match(r.stdout, /^-  "model": "opus",$/m);
  });
});

describe('remediate', () => {
  it('fixes the worst item first within --max-fixes, lists the rest for a person, and keeps what the user added', async () => {
    const home = await appliedHome();
    handEdit(home);
    const r = await run(['remediate', ...target, '--max-fixes', '0', '--include', 'medium', '--json'], home);
    assert.equal(r.code, 1);
    const none = JSON.parse(r.stdout);
    assert.deepEqual(none.fixed, []);
    assert.deepEqual(none.manual_intervention.map((s: Record<string, unknown>) => [s['path'], s['reason']]), [
      ['settings.permissions.deny', 'past --max-fixes 0'],
      ['settings.model', 'past --max-fixes 0'],
    ]);
    const one = JSON.parse((await run(['remediate', ...target, '--max-fixes', '1', '--json'], home)).stdout);
    assert.deepEqual(one.fixed.map((s: Record<string, unknown>) => s['path']), ['settings.permissions.deny']);
    assert.deepEqual(one.drift_after, { drift_percentage: 4.76, risk_level: 'medium', items: 2 });
    const rest = await run(['remediate', ...target, '--include', 'medium'], home);
    assert.equal(rest.code, 0);
    const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8'));
    assert.equal(settings.model, 'haiku');
    assert.deepEqual(settings.permissions.deny, ['Read(./.env)']);
    assert.equal(settings.theme, 'light', "the user's own key stays");
    // every remediation can be undone
    assert.equal((await run(['rollback'], home)).code, 0);
    assert.equal(JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')).model, 'opus');
  });

  it('rolls every file back and exits 2 when a fix does not hold on re-check', async () => {
    const home = await appliedHome();
    handEdit(home);
    const settings = join(home, '.claude', 'settings.json');
    const edited = readFileSync(settings, 'utf8');
    // the first fix lands damaged (a disk that lies, or another program rewriting the file at once)
    const r = await cli(['remediate', ...target, '--include', 'medium', '--home', home], { env: { HOME: home, PATH: process.env['PATH'], CLAUDE_ENV_CORRUPT_WRITE_AT: '1' } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /remediate-check-failed  the fix of settings\.permissions\.deny left \.claude\/settings\.json drifting .*; every file was put back as it was \(restore point /);
    // the hand-edited file is exactly as it was, and drift still reports the same items
    assert.equal(readFileSync(settings, 'utf8'), edited);
    const d = JSON.parse((await run(['drift', ...target, '--json'], home)).stdout);
    assert.deepEqual(d.items.map((i: Record<string, unknown>) => i['path']), ['settings.model', 'settings.permissions.deny', 'settings.theme']);
    // the audit log tells what happened
    const audit = readFileSync(join(home, '.claude-env', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(audit.at(-1).event, 'rollback');
    assert.match(audit.at(-1).reason, /settings\.permissions\.deny did not hold/);
  });

  it('rejects a bad --max-fixes with exit 2', async () => {
    const home = await appliedHome();
    const r = await run(['remediate', ...target, '--max-fixes', 'lots'], home);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-fixes needs a whole number \(got "lots"\)/);
  });
});
