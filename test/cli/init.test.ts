/** `claude-env init`: the seed layout as a git repo with a first commit, valid as written; a non-empty DIR is refused. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

describe('init', () => {
  it('writes the seed layout of SPEC.md as a git repo with one commit', async () => {
    const dir = join(tmp.dir, 'org');
    const r = await cli(['init', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { dir: string; files: string[]; commit: string };
    assert.equal(result.dir, dir);
    for (const path of ['claude-env.yml', 'access.yml', 'base/config.yml', 'base/mcp/memory.yml', 'base/personas/code-reviewer.yml', 'base/security/permissions.yml', '.github/workflows/config-validation.yml', '.github/workflows/drift-detection.yml']) {
      assert.ok(result.files.includes(path), path);
    }
    for (const env of ['development', 'staging', 'production']) for (const f of ['config.yml', 'mcp-servers.yml', 'security.yml', 'teams.yml']) assert.ok(existsSync(join(dir, 'environments', env, f)), `${env}/${f}`);
    assert.equal(readdirSync(join(dir, 'teams')).length, 4);
    for (const team of readdirSync(join(dir, 'teams'))) for (const f of ['base-config.yml', 'mcp-preferences.yml', 'personas.yml', 'workflows.yml', 'members.yml']) assert.ok(existsSync(join(dir, 'teams', team, f)), `${team}/${f}`);
    assert.equal(readdirSync(join(dir, 'projects')).length, 3);
    assert.equal(statSync(join(dir, 'base/files/hooks/format-on-edit.sh')).mode & 0o777, 0o755);
    const log = execFileSync('git', ['-C', dir, 'log', '--format=%H %s']).toString().trim().split('\n');
    assert.deepEqual(log, [`${result.commit} claude-env init: seed config repo`]);
    assert.equal(execFileSync('git', ['-C', dir, 'status', '--porcelain']).toString(), '', 'everything is committed');
  });

  it('makes a repo that validates clean, and renders every one of its targets', async () => {
    const dir = join(tmp.dir, 'clean');
    assert.equal((await cli(['init', dir])).code, 0);
    const v = await cli(['validate', '--repo', dir, '--json']);
    assert.equal(v.code, 0);
    assert.deepEqual(JSON.parse(v.stdout), { findings: [], summary: { errors: 0, warnings: 0 } });
    const out = join(tmp.dir, 'rendered');
    const all = await cli(['render', '--repo', dir, '--all', '--out', out]);
    assert.equal(all.code, 0, all.stderr);
    assert.ok(existsSync(join(out, 'production', 'frontend-team', 'alice', 'web-application', '.claude', 'settings.json')));
    assert.doesNotMatch(all.stderr, /rendering \d+\//, 'no progress when piped');
    const tty = await cli(['render', '--repo', dir, '--all', '--out', join(tmp.dir, 'rendered-tty')], { tty: true });
    assert.match(tty.stderr, /\rrendering 57\/57 \(100%\)/, 'progress on a terminal');
  });

  it('fills an existing empty directory (the current one, say)', async () => {
    const dir = join(tmp.dir, 'empty');
    mkdirSync(dir);
    const r = await cli(['init'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'claude-env.yml')));
  });

  it('refuses a non-empty directory with exit 2 and touches nothing', async () => {
    const dir = join(tmp.dir, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'mine.txt'), 'keep me\n');
    const before = snapshot(dir);
    const r = await cli(['init', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /busy  not-empty  .*busy is not empty: init only writes into a new or empty directory/);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(readdirSync(tmp.dir).filter((n) => n.includes('claude-env-init')), [], 'no staging folder left behind');
  });
});
