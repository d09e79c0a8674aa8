/**
 * Who made a change, for the approval gate, when commits are signed: a commit signed with a key of access.yml
 * `signing_keys` is its signer's, whatever its author field says, so a developer who writes a colleague's name into
 * the author field still cannot approve their own change; and a gate with `require_signed` takes no approval of an
 * unsigned change. Commits really signed with ssh-keygen keys; the controller in process, its clock the real one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { git, seedRepo, waitFor } from '../support/fleet.js';
import { Controller, createTokenIn } from '../../src/controller/controller.js';
import { openStore } from '../../src/controller/db/open.js';
import { RepoTracker } from '../../src/controller/tracker/tracker.js';

describe('approvals of signed changes', () => {
  it('take the signer as the author, and refuse an unsigned change where the gate requires signatures', { timeout: 90_000 }, async (t) => {
    const tmp = tempDir('claude-env-signed-');
    t.after(() => tmp.cleanup());
    const repo = await seedRepo(tmp.dir);
    const keypair = (name: string): { priv: string; pub: string } => {
      const priv = join(tmp.dir, `${name}_ed25519`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', priv]);
      return { priv, pub: readFileSync(`${priv}.pub`, 'utf8').trim() };
    };
    const erin = keypair('erin');
    const heidi = keypair('heidi');
    const edit = (path: string, change: (s: string) => string): void => writeFileSync(join(repo, path), change(readFileSync(join(repo, path), 'utf8')));
    // The platform team registers the signing keys and asks production's gate for signed changes (one approval)
    edit('access.yml', (s) => `${s}\nsigning_keys:\n  erin: ${erin.pub}\n  heidi: ${heidi.pub}\n`);
    edit('claude-env.yml', (s) => s.replace(/ {2}production:[^\n]*\n(?: {4}[^\n]*\n)+/, '  production:\n    strategy: immediate\n    approval: { roles: [team_lead, security_reviewer], count: 1, require_signed: true }\n'));
    git(repo, ['commit', '-qam', 'signing keys; production takes signed changes']);

    const store = await openStore(join(tmp.dir, 'controller.db'));
    const ctl = new Controller({ store, tracker: new RepoTracker({ repo, branch: 'main', workDir: join(tmp.dir, 'work') }), processMetrics: false, flushMs: 20, rolloutTickMs: 3_600_000 });
    t.after(async () => {
      await ctl.stop();
      await store.close();
    });
    await ctl.start();
    await waitFor(async () => (await ctl.ready()).ready, 30_000, 'the first sync');
    const userCaller = async (user: string) => ctl.authenticate(`Bearer ${(await createTokenIn(store, 'test', { kind: 'user', user }, Date.now(), null)).token}`);
    // A production machine, so that a change to production's files waits for the gate
    const enroll = (await createTokenIn(store, 'test', { kind: 'enroll', env: 'production' }, Date.now(), null)).token;
    await ctl.enroll(await ctl.authenticate(`Bearer ${enroll}`), { user: 'erin', team: 'backend-team', project: 'api-service' }, null);

    // erin signs a change with her key, and writes heidi into its author field
    edit('environments/production/config.yml', (s) => s.replace('  cleanupPeriodDays: 14\n', '  cleanupPeriodDays: 10\n'));
    execFileSync('git', ['-C', repo, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${erin.priv}`, 'commit', '-q', '-S', '-am', 'production: shorter transcripts', '--author', 'Heidi <heidi@example.com>'], { env: { ...process.env, GIT_COMMITTER_NAME: 'erin', GIT_COMMITTER_EMAIL: 'erin@example.com' } });
    const signed = git(repo, ['rev-parse', 'HEAD']);
    await ctl.pollOnce();
    const view = await ctl.rolloutView('production');
    assert.deepEqual([view.revision, view.phase, view.author], [signed, 'awaiting-approval', 'erin']);
    await assert.rejects(ctl.rolloutAct(await userCaller('erin'), 'production', 'approve', null), /erin is the author of the change and cannot approve it/);
    // heidi, named in the author field but not its maker, may approve it
    const approved = await ctl.rolloutAct(await userCaller('heidi'), 'production', 'approve', null);
    assert.deepEqual(approved.approved_by, ['heidi']);

    // An unsigned change: the gate takes no approval, whoever gives it
    edit('environments/production/config.yml', (s) => s.replace('  cleanupPeriodDays: 10\n', '  cleanupPeriodDays: 7\n'));
    git(repo, ['commit', '-qam', 'production: shorter still'], { GIT_AUTHOR_NAME: 'frank', GIT_AUTHOR_EMAIL: 'frank@example.com' });
    const unsigned = git(repo, ['rev-parse', 'HEAD']);
    await ctl.pollOnce();
    assert.deepEqual([(await ctl.rolloutView('production')).revision, (await ctl.rolloutView('production')).phase], [unsigned, 'awaiting-approval']);
    await assert.rejects(ctl.rolloutAct(await userCaller('ivan'), 'production', 'approve', null), new RegExp(`the change ${unsigned.slice(0, 12)} is not signed with a key of access.yml signing_keys, and this gate takes approvals of signed changes only`));
    const refused = (await store.auditLog(20)).filter((a) => a.action === 'rollout.approve.refused').map((a) => a.actor);
    assert.deepEqual(refused.sort(), ['user:erin', 'user:ivan']);
  });
});
