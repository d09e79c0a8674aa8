/**
 * The snapshots a long-lived process awaits (`openWorktree`, `openRevision`,
 * `gitRevisions` with `preload`) read the same repo as the CLI's lazy
 * sources (`worktreeSource`, `gitSource`, `gitRevisions`): the same files,
 * bytes, modes, folders and documents, and the same refused entries (links,
 * names that are not plain) — over every fixture repo, and over a working
 * tree and a git revision that hold links and crafted entries.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, ROOT, tempDir } from '../../test/helpers.js';
import { commitAll, craftCommit, git } from '../../test/support/git-tree.js';
import { Repo } from '../repo/repo.js';
import type { RepoSource } from '../repo/source.js';
import { openRevision, openWorktree } from './repo-source.js';
import { BlobStore, gitSource, worktreeSource } from '../blocking/sources.js';
import { gitRevisions } from './git-changes.js';

const FIXTURES = readdirSync(join(ROOT, 'test', 'fixtures', 'repos'));

/** Everything a reader of the repo can see through a source, after it listed the whole repo. */
function seen(source: RepoSource): unknown {
  const files = source.list('');
  const folders = new Set<string>(['']);
  for (const f of files) for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) folders.add(f.slice(0, i));
  const dirs = [...folders].sort().map((d) => [d, source.isDir?.(d) ?? true, source.listDirs(d)]);
  return {
    files: files.map((f) => [f, Buffer.from(source.read(f)!).toString('base64'), source.mode(f).toString(8), source.contentId?.(f)]),
    dirs,
    missing: [source.read('no/such/file.yml'), source.isDir?.('no/such') ?? false, source.list('no/such'), source.listDirs('no/such')],
    refused: source.refused?.() ?? [],
  };
}

/** What validate and render see: every document with its tree and findings, and the entries refused. */
function documents(source: RepoSource): unknown {
  const repo = new Repo(source);
  return { docs: repo.allDocuments().map((d) => [d.path, d.text, JSON.stringify(d.value), d.findings]), teams: repo.teams(), refused: repo.refusedUnder(() => true) };
}

/** A working tree with what a repo must never follow or read: links (to a file, to a folder, to a secret outside), a name with a control character, a FIFO; and what is left out (.git, node_modules), an executable and an empty folder. */
function hostileWorktree(dir: string, outside: string): void {
  cpSync(fixture('merge-rules'), dir, { recursive: true });
  writeFileSync(join(outside, 'secret'), 'token: s3cret\n');
  rmSync(join(dir, 'teams/web/personas.yml'));
  symlinkSync(join(outside, 'secret'), join(dir, 'teams/web/personas.yml'));
  symlinkSync(outside, join(dir, 'projects/linked'));
  symlinkSync('../../.git/config', join(dir, 'base/files/config'));
  writeFileSync(join(dir, 'base/files/bad\u001bname.md'), 'x\n');
  mkdirSync(join(dir, 'node_modules/pkg'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/pkg/index.yml'), 'a: 1\n');
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git/config'), '[core]\n');
  mkdirSync(join(dir, 'teams/empty'));
  writeFileSync(join(dir, 'base/files/run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'base/files/run.sh'), 0o755);
  git(dir, ['init', '-q', '-b', 'main']); // leaves .git in place: never listed
}

describe('openWorktree', () => {
  for (const name of FIXTURES) {
    it(`reads fixture ${name} as worktreeSource does`, async () => {
      assert.deepEqual(seen(await openWorktree(fixture(name))), seen(worktreeSource(fixture(name))));
      assert.deepEqual(documents(await openWorktree(fixture(name))), documents(worktreeSource(fixture(name))));
    });
  }

  it('refuses the links and names worktreeSource refuses, and reads nothing behind them', async () => {
    const t = tempDir();
    try {
      const dir = join(t.dir, 'repo');
      const outside = join(t.dir, 'outside');
      mkdirSync(outside);
      hostileWorktree(dir, outside);
      const snapshot = await openWorktree(dir);
      assert.deepEqual(seen(snapshot), seen(worktreeSource(dir)));
      assert.deepEqual(
        snapshot.refused!().map((e) => `${e.rule} ${e.path}`),
        ['repo-path base/files/bad\u001bname.md', 'repo-symlink base/files/config', 'repo-symlink projects/linked', 'repo-symlink teams/web/personas.yml'],
      );
      assert.equal(snapshot.read('teams/web/personas.yml'), undefined);
      assert.equal(snapshot.read('projects/linked/secret'), undefined);
      assert.equal(snapshot.mode('base/files/run.sh'), 0o755);
      assert.ok(snapshot.listDirs('teams').includes('empty'));
      assert.ok(!snapshot.list('').some((p) => p.startsWith('node_modules/') || p.startsWith('.git/')));
      assert.deepEqual(documents(snapshot), documents(worktreeSource(dir)));
    } finally {
      t.cleanup();
    }
  });

  it('serves every read from memory: a file changed or removed after the load reads as it was', async () => {
    const t = tempDir();
    try {
      cpSync(fixture('merge-rules'), t.dir, { recursive: true });
      const snapshot = await openWorktree(t.dir);
      const before = Buffer.from(snapshot.read('base/config.yml')!).toString();
      writeFileSync(join(t.dir, 'base/config.yml'), 'changed: true\n');
      assert.equal(Buffer.from(snapshot.read('base/config.yml')!).toString(), before);
    } finally {
      t.cleanup();
    }
  });

  it('says a folder that is missing is no config repo, as worktreeSource does', async () => {
    const missing = join(ROOT, 'test', 'fixtures', 'no-such-repo');
    const sync = (() => {
      try {
        worktreeSource(missing);
      } catch (err) {
        return err;
      }
    })() as Error;
    await assert.rejects(openWorktree(missing), { name: sync.name, message: sync.message });
  });
});

describe('openRevision', () => {
  let t: { dir: string; cleanup(): void };
  let dir: string;
  let plain: string;
  before(() => {
    t = tempDir();
    plain = join(t.dir, 'plain');
    cpSync(fixture('merge-rules'), plain, { recursive: true });
    dir = join(t.dir, 'repo');
    cpSync(fixture('merge-rules'), dir, { recursive: true });
    for (const name of FIXTURES) cpSync(fixture(name), join(dir, 'fixtures', name), { recursive: true });
    writeFileSync(join(dir, 'base/files/run.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'base/files/run.sh'), 0o755);
    symlinkSync('../config.yml', join(dir, 'base/files/linked.yml'));
    rmSync(join(dir, 'teams/web/files'), { recursive: true });
    symlinkSync('/etc', join(dir, 'teams/web/files'));
    commitAll(dir);
    craftCommit(dir, 'crafted', [
      { at: ['base', 'files', '..', '.bashrc'], content: 'evil\n' },
      { at: ['teams', 'web', '.git', 'config'], content: '[core]\n' },
      { at: ['base', 'files', 'hooks/fmt.sh'], content: 'twice\n' },
      { at: ['users', 'ann', 'overrides.yml'], content: '/etc/passwd', link: true },
    ]);
  });
  after(() => t.cleanup());

  for (const rev of ['main', 'crafted']) {
    it(`reads revision ${rev} (fixtures, links, crafted entries) as gitSource does`, async () => {
      const snapshot = await openRevision(dir, rev);
      assert.deepEqual(seen(snapshot), seen(gitSource(dir, rev)));
      assert.deepEqual(documents(snapshot), documents(gitSource(dir, rev)));
    });
  }

  it('refuses the links and crafted entries of a revision', async () => {
    const refused = (await openRevision(dir, 'crafted')).refused!().map((e) => `${e.rule} ${e.path}`);
    assert.deepEqual(refused, [
      'repo-path base/files/../.bashrc',
      'repo-path base/files/hooks/fmt.sh',
      'repo-symlink base/files/linked.yml',
      'repo-path teams/web/.git/config',
      'repo-symlink teams/web/files',
      'repo-symlink users/ann/overrides.yml',
    ]);
  });

  for (const [what, d, rev] of [
    ['an unknown revision', () => dir, 'no-such-branch'],
    ['a folder that is no git repository', () => plain, 'main'],
  ] as const) {
    it(`says what is wrong with ${what}, as gitSource does`, async () => {
      const sync = (() => {
        try {
          gitSource(d(), rev);
        } catch (err) {
          return err;
        }
      })() as Error;
      assert.ok(sync);
      await assert.rejects(openRevision(d(), rev), { name: sync.name, message: sync.message });
    });
  }

  it('serves every read from memory: a revision reads whole after its repository is gone', async () => {
    const copy = join(t.dir, 'gone');
    cpSync(dir, copy, { recursive: true });
    const snapshot = await openRevision(copy, 'crafted');
    const loaded = await gitRevisions(copy, { rev: 'main', flag: '--base' }, { rev: 'crafted', flag: '--head' });
    rmSync(copy, { recursive: true });
    assert.deepEqual(seen(snapshot), seen(gitSource(dir, 'crafted')));
    const lazy = await gitRevisions(dir, { rev: 'main', flag: '--base' }, { rev: 'crafted', flag: '--head' }, { lazyBlobs: (d) => new BlobStore(d) });
    assert.deepEqual(seen(loaded.base), seen(lazy.base));
    assert.deepEqual(seen(loaded.head), seen(lazy.head));
  });

  it('gitRevisions read whole gives the same changes and reads as read lazily', async () => {
    const revs = (preload: boolean) => gitRevisions(dir, { rev: 'main', flag: '--base' }, { rev: 'crafted', flag: '--head' }, preload ? {} : { lazyBlobs: (d) => new BlobStore(d) });
    const [lazy, loaded] = await Promise.all([revs(false), revs(true)]);
    assert.deepEqual(loaded.changes, lazy.changes);
    assert.deepEqual([loaded.baseCommit, loaded.headCommit], [lazy.baseCommit, lazy.headCommit]);
    assert.deepEqual(seen(loaded.base), seen(lazy.base));
    assert.deepEqual(seen(loaded.head), seen(lazy.head));
  });
});
