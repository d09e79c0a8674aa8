/**
 * `apply --managed DIR` beside a device-management `managed-settings.json`:
 * where the machine's Claude Code reads `managed-settings.d/` (the newest
 * release), claude-env's part is a fragment of its own and the device
 * file is never touched; the real CLI honours the fragment (its
 * `doctor`, run in a private mount namespace where DIR is
 * /etc/claude-code, shows the setting only the fragment gives). Where it
 * does not (the oldest supported release), the single file is written, and
 * a device file in its way is a conflict that changes nothing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './helpers.js';
import { claudeEnv, findClaudeBin, pathWithClaude, requireComponent } from './support/claude.js';

const tmp = tempDir('claude-env-managed-');
after(() => tmp.cleanup());
const TARGET = ['--env', 'development', '--team', 'frontend-team', '--user', 'alice'];
const DEVICE = '{\n  "permissions": { "deny": ["Bash(rm -rf:*)"] },\n  "cleanupPeriodDays": 7\n}\n';
/** Claude caps BASH_MAX_OUTPUT_LENGTH and says so in doctor: the line shows only when a settings file it took sets it. */
const PROBE_SHOWN = /BASH_MAX_OUTPUT_LENGTH: Capped from 999999 to 150000/;

let n = 0;
async function repoWithProbe(): Promise<string> {
  const repo = join(tmp.dir, `repo${n++}`);
  const init = await cli(['init', repo], { env: { HOME: tmp.dir, PATH: process.env['PATH'] } });
  assert.equal(init.code, 0, init.stderr);
  const enforce = join(repo, 'base/security/enforce.yml');
  writeFileSync(enforce, readFileSync(enforce, 'utf8').replace('  settings:\n', '  settings:\n    env:\n      BASH_MAX_OUTPUT_LENGTH: "999999"\n'));
  spawnSync('git', ['-C', repo, 'commit', '-qam', 'probe'], { env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  return repo;
}

/** `claude doctor` of the newest release with `managed` as /etc/claude-code, in a mount namespace of its own. */
function doctorWithManaged(home: string, managed: string): Promise<string> {
  const bin = findClaudeBin();
  mkdirSync(join(home, '.tmp'), { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/claude-code && exec "$1" doctor', managed, bin.path], { env: claudeEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('apply --managed beside device management', () => {
  it('writes its own managed-settings.d fragment for the newest Claude Code, which honours it, and leaves the device file as it was', { timeout: 120_000 }, async () => {
    requireComponent('a private mount namespace (unshare -m, as root) to show Claude Code a managed settings folder', () => {
      if (!existsSync('/etc/claude-code')) mkdirSync('/etc/claude-code', { recursive: true });
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind "${tmp.dir}" /etc/claude-code`]);
      if (r.status !== 0) throw new Error(String(r.stderr || r.error));
      return true;
    });
    const repo = await repoWithProbe();
    const home = join(tmp.dir, 'home-newest');
    const managed = join(tmp.dir, 'managed-newest');
    mkdirSync(home);
    mkdirSync(managed);
    writeFileSync(join(managed, 'managed-settings.json'), DEVICE);
    const env = { HOME: home, PATH: pathWithClaude('newest', tmp.dir), DOCS_MCP_TOKEN: 'Bearer t' };
    const r = await cli(['apply', '--repo', repo, ...TARGET, '--home', home, '--managed', managed], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(managed, 'managed-settings.json'), 'utf8'), DEVICE, 'the device-management file is untouched');
    const fragment = JSON.parse(readFileSync(join(managed, 'managed-settings.d/50-claude-env.json'), 'utf8')) as { env: Record<string, string>; permissions: { disableBypassPermissionsMode: string } };
    assert.deepEqual(fragment.env, { BASH_MAX_OUTPUT_LENGTH: '999999' });
    assert.equal(fragment.permissions.disableBypassPermissionsMode, 'disable');
    // The real client takes it: the setting only the fragment gives shows in its doctor; without the fragment it does not.
    const doctor = await doctorWithManaged(home, managed);
    assert.match(doctor, PROBE_SHOWN, doctor.slice(0, 2000));
    const bare = join(tmp.dir, 'managed-device-only');
    mkdirSync(bare);
    writeFileSync(join(bare, 'managed-settings.json'), DEVICE);
    assert.doesNotMatch(await doctorWithManaged(home, bare), PROBE_SHOWN);
    // drift knows the fragment: a hand edit there is critical.
    writeFileSync(join(managed, 'managed-settings.d/50-claude-env.json'), '{}\n');
    const d = await cli(['drift', '--repo', repo, ...TARGET, '--home', home, '--json'], { env });
    assert.equal(d.code, 1);
    assert.deepEqual((JSON.parse(d.stdout) as { items: Array<{ file: string; severity: string }> }).items.map((i) => [i.file, i.severity]).filter(([f]) => f!.startsWith('@managed')), [['@managed/managed-settings.d/50-claude-env.json', 'critical']]);
    assert.equal(readFileSync(join(managed, 'managed-settings.json'), 'utf8'), DEVICE);
  });

  it('writes the single managed-settings.json for the oldest supported Claude Code, and refuses to write over a device file', { timeout: 120_000 }, async () => {
    const repo = await repoWithProbe();
    const env = (home: string) => ({ HOME: home, PATH: pathWithClaude('oldest', tmp.dir), DOCS_MCP_TOKEN: 'Bearer t' });
    const home = join(tmp.dir, 'home-oldest');
    const managed = join(tmp.dir, 'managed-oldest');
    mkdirSync(home);
    const r = await cli(['apply', '--repo', repo, ...TARGET, '--home', home, '--managed', managed], { env: env(home) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(readFileSync(join(managed, 'managed-settings.json'), 'utf8')) as { env: unknown }).env, { BASH_MAX_OUTPUT_LENGTH: '999999' });
    assert.equal(existsSync(join(managed, 'managed-settings.d')), false);

    const home2 = join(tmp.dir, 'home-oldest-device');
    const device = join(tmp.dir, 'managed-oldest-device');
    mkdirSync(home2);
    mkdirSync(device);
    writeFileSync(join(device, 'managed-settings.json'), DEVICE);
    const refused = await cli(['apply', '--repo', repo, ...TARGET, '--home', home2, '--managed', device], { env: env(home2) });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /managed-settings\.json/);
    assert.equal(readFileSync(join(device, 'managed-settings.json'), 'utf8'), DEVICE);
  });

  it('says when server-managed settings are in force and win over the managed settings it writes, and what to set', { timeout: 60_000 }, async () => {
    const repo = await repoWithProbe();
    const home = join(tmp.dir, 'home-remote');
    const managed = join(tmp.dir, 'managed-remote');
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(join(home, '.claude/remote-settings.json'), JSON.stringify({ permissions: { deny: ['WebFetch'] } }));
    const env = { HOME: home, PATH: pathWithClaude('none', tmp.dir), DOCS_MCP_TOKEN: 'Bearer t' };
    const r = await cli(['apply', '--repo', repo, ...TARGET, '--home', home, '--managed', managed], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: server-managed settings are in force on this machine \(Claude Code keeps them in .*\.claude\/remote-settings\.json\) and win over file-based managed settings: what claude-env writes to .*managed-remote is not in effect; set "managedSourcesBehavior": "merge"/);
    const d = await cli(['drift', '--repo', repo, ...TARGET, '--home', home, '--json'], { env });
    assert.equal(d.code, 0, d.stderr);
    assert.match((JSON.parse(d.stdout) as { recommendations: string[] }).recommendations[0]!, /server-managed settings are in force/);
    // Merged by the console's own setting: nothing to say.
    writeFileSync(join(home, '.claude/remote-settings.json'), JSON.stringify({ managedSourcesBehavior: 'merge', permissions: { deny: ['WebFetch'] } }));
    const merged = await cli(['apply', '--repo', repo, ...TARGET, '--home', home, '--managed', managed, '--json'], { env });
    assert.equal(merged.code, 0, merged.stderr);
    assert.deepEqual((JSON.parse(merged.stdout) as { notices: string[] }).notices, []);
  });
});
