/**
 * The commit `onboard` makes passes `access check` for an admin of the
 * scaffold (judy: role admin, in devops-team).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers.js';

const tmp = tempDir('claude-env-onboard-access-');
after(() => tmp.cleanup());

describe('onboard and access check', () => {
  it('makes a commit on a new branch that an admin may merge', async () => {
    const repo = join(tmp.dir, 'repo');
    const home = join(tmp.dir, 'home');
    mkdirSync(home);
    // the scaffold's docs server takes its token from the machine
    const env = { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'Bearer test-token' };
    assert.equal((await cli(['init', repo], { env })).code, 0);
    const onboard = await cli(['onboard', 'zed', '--team', 'frontend-team', '--role', 'developer', '--projects', 'web-application', '--repo', repo, '--home', home], { env });
    assert.equal(onboard.code, 0, onboard.stderr);
    // judy is an admin (access.yml: team:devops-team)
    const check = await cli(['access', 'check', '--repo', repo, '--author', 'judy', '--base', 'main', '--head', 'onboard/zed', '--json'], { env });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal((JSON.parse(check.stdout) as { allowed: boolean }).allowed, true);
  });
});
