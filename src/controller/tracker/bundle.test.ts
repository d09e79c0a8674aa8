/**
 * The bundle a machine gets: for every target of the seed repo, a repo made
 * of its files alone renders (and admits) exactly what the whole revision
 * does; it holds no other team's, project's or user's layer; its ETag is the
 * same in every process, and its files change only with a commit that
 * touches them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ROOT, tempDir } from '../../../test/helpers.js';
import { git } from '../../../test/support/git-tree.js';
import { renderTarget } from '../../index.js';
import { admitted } from '../../apply/outputs.js';
import { repoFromAssignment } from '../../agent/bundle.js';
import type { Target } from '../../vocabulary.js';
import type { Assignment } from '../api.js';
import { bundleEtag, bundleFile, filesDigest } from './bundle.js';
import { RepoTracker } from './tracker.js';

const run = promisify(execFile);
const tmp = tempDir('claude-env-bundle-');
after(() => tmp.cleanup());

let dir = '';
let tracker: RepoTracker;
let sha = '';

before(async () => {
  dir = join(tmp.dir, 'seed');
  await run(process.execPath, [join(ROOT, 'bin/claude-env.js'), 'init', dir], { env: { ...process.env, HOME: tmp.dir } });
  tracker = new RepoTracker({ repo: dir, branch: 'main', workDir: join(tmp.dir, 'work') });
  sha = await tracker.head();
});

const name = (t: Target): string => [t.env, t.team, t.user, t.project].filter(Boolean).join('/');

function commit(files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-verify', '-m', 'change']);
  return git(dir, ['rev-parse', 'HEAD']).toString().trim();
}

describe('bundle', () => {
  it('renders every target of the seed repo from its bundle alone exactly as from the whole revision, and admits it the same', async () => {
    const full = await tracker.repoAt(sha);
    const targets = full.targets();
    assert.equal(targets.length, 57);
    for (const target of targets) {
      const b = await tracker.bundle(sha, target);
      assert.deepEqual(b.target, target);
      assert.equal(b.environment, target.env);
      const small = repoFromAssignment(b);
      assert.deepEqual(renderTarget(small, target).outputs, renderTarget(full, target).outputs, name(target));
      // the checks apply makes, with a project dir and a managed dir too
      for (const opts of [{}, { projectMcp: true, managed: true }]) {
        const [mine, whole] = await Promise.all([admitted(small, target, opts), admitted(full, target, opts)]);
        assert.deepEqual(mine, whole, `${name(target)} ${JSON.stringify(opts)}`);
      }
    }
  });

  it("holds none of another team's, project's, user's or environment's layer files", async () => {
    const full = await tracker.repoAt(sha);
    for (const target of full.targets()) {
      const paths = Object.keys((await tracker.bundle(sha, target)).files);
      const foreign = paths.filter((p) => {
        const [top, name] = p.split('/');
        if (top === 'teams') return name !== target.team;
        if (top === 'projects') return name !== target.project;
        if (top === 'users') return name !== target.user;
        if (top === 'environments') return name !== target.env;
        return false;
      });
      assert.deepEqual(foreign, [], name(target));
      // what the render reads, and what checks the machine's identity
      assert.ok(paths.includes('claude-env.yml') && paths.includes(`teams/${target.team}/members.yml`), name(target));
    }
    const alice = (await tracker.bundle(sha, { env: 'development', team: 'frontend-team', project: 'web-application', user: 'alice' })).files;
    assert.ok('users/alice/overrides.yml' in alice);
    // the executable hook script keeps its mode
    assert.equal(alice['base/files/hooks/format-on-edit.sh']!.mode & 0o777, 0o755);
  });

  it('carries text as text and other bytes as base64', () => {
    assert.deepEqual(bundleFile(Buffer.from('héllo\n'), 0o644), { mode: 0o644, text: 'héllo\n' });
    assert.deepEqual(bundleFile(Buffer.from([0xff, 0x00, 0x41]), 0o755), { mode: 0o755, base64: '/wBB' });
    // a BOM travels as bytes, unchanged
    assert.deepEqual(bundleFile(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), 0o644), { mode: 0o644, base64: '77u/QQ==' });
  });

  it('has an ETag that is the same in every call and every process, and over the files as the agent receives them', async () => {
    const target: Target = { env: 'staging', team: 'backend-team', project: 'api-service', user: 'erin' };
    const b = await tracker.bundle(sha, target);
    assert.match(b.etag, /^[0-9a-f]{64}$/);
    assert.equal(await tracker.bundle(sha, target), b, 'kept: machines of one target share it');
    const other = new RepoTracker({ repo: dir, branch: 'main', workDir: join(tmp.dir, 'work2') });
    assert.equal((await other.bundle(sha, target)).etag, b.etag);
    const received = JSON.parse(JSON.stringify(b)) as Assignment;
    assert.equal(bundleEtag(received.revision, received.files), b.etag);
    // another process
    const module = fileURLToPath(new URL('./bundle.js', import.meta.url));
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import { bundleEtag } from ${JSON.stringify(module)}; const b = JSON.parse(process.argv[1]); process.stdout.write(bundleEtag(b.revision, b.files));`, JSON.stringify(b)]);
    assert.equal(stdout, b.etag);
  });

  it('keeps the files of a target that a commit did not touch, and changes them with one that did', async () => {
    const backend: Target = { env: 'development', team: 'backend-team', project: 'api-service', user: 'frank' };
    const frontend: Target = { env: 'development', team: 'frontend-team', project: 'web-application', user: 'bob' };
    const [b1, f1] = await Promise.all([tracker.bundle(sha, backend), tracker.bundle(sha, frontend)]);
    const next = commit({ 'teams/frontend-team/workflows.yml': `${(await tracker.repoAt(sha)).text('teams/frontend-team/workflows.yml')}\n# a comment\n` });
    assert.equal(await tracker.head(), next);
    const [b2, f2] = await Promise.all([tracker.bundle(next, backend), tracker.bundle(next, frontend)]);
    // untouched: the same files, byte for byte (the ETag names the revision too, so the machine learns of it)
    assert.deepEqual(b2.files, b1.files);
    assert.equal(filesDigest(b2.files), filesDigest(b1.files));
    assert.equal(b2.revision, next);
    assert.notEqual(b2.etag, b1.etag);
    // touched: the files and the ETag change
    assert.notEqual(filesDigest(f2.files), filesDigest(f1.files));
    assert.notEqual(f2.etag, f1.etag);
  });

  it('refuses a target the revision does not know', async () => {
    await assert.rejects(tracker.bundle(sha, { env: 'development', team: 'frontend-team', user: 'mallory' }), /unknown user "mallory"/);
  });
});
