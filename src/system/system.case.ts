/**
 * The conformance suite of `System` (Hono's `common.case.test.ts`, Kysely's
 * dialect loop): the same cases, the same results, for every implementation
 * and decorator. system.test.ts runs it against the disk (a temp dir), the
 * memory tree, and the decorators over both.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { System } from './system.js';
import { dryRunSystem, readOnlySystem } from './decorators.js';

/** One sandbox of an implementation: a System, an empty folder in it, and a way to plant a link (claude-env never makes one). */
export interface Sandbox {
  readonly sys: System;
  readonly root: string;
  link(target: string, path: string): Promise<void>;
  cleanup(): Promise<void>;
}

export type MakeSandbox = () => Promise<Sandbox>;

const text = (s: string): Buffer => Buffer.from(s);

/** Every entry below `dir` as the System sees it: what a user would find there. */
export async function tree(sys: System, dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await sys.list(dir)) {
    const p = `${dir}/${name}`;
    const st = await sys.lstat(p);
    if (st?.type === 'dir') Object.assign(out, { [`${name}/`]: 'dir' }, Object.fromEntries(Object.entries(await tree(sys, p)).map(([k, v]) => [`${name}/${k}`, v])));
    else if (st?.type === 'link') out[name] = 'link';
    else {
      const f = await sys.read(p);
      out[name] = f && !('link' in f) ? `${f.mode.toString(8)}:${f.bytes.toString('utf8')}` : 'absent';
    }
  }
  return out;
}

async function within(make: MakeSandbox, fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const s = await make();
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

const code = (c: string) => (err: unknown): boolean => (err as { code?: string }).code === c;

export interface CaseOptions {
  /**
   * false for a dry run: the folders it makes exist only in its record, so a
   * link planted in the system below cannot lead into them.
   */
  readonly linksIntoItsOwnFolders?: boolean;
}

/** The cases every System passes, writes included. */
export function systemCases(name: string, make: MakeSandbox, opts: CaseOptions = {}): void {
  describe(`System: ${name}`, () => {
    it('reads back what it wrote, bytes and mode', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/a.json`, text('{"a":1}\n'), 0o600);
        await sys.writeFile(`${root}/run.sh`, text('#!/bin/sh\n'), 0o755);
        assert.deepEqual(await sys.read(`${root}/a.json`), { bytes: text('{"a":1}\n'), mode: 0o600 });
        assert.deepEqual(await sys.read(`${root}/run.sh`), { bytes: text('#!/bin/sh\n'), mode: 0o755 });
        assert.deepEqual((await sys.lstat(`${root}/a.json`))?.type, 'file');
      }));

    it('replaces a file whole, leaving no temp file beside it', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/s.json`, text('old'), 0o644);
        await sys.writeFile(`${root}/s.json`, text('new and longer'), 0o600);
        assert.deepEqual(await tree(sys, root), { 's.json': '600:new and longer' });
      }));

    it('says nothing is there for a missing file, or one below a file', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/f`, text('x'), 0o644);
        assert.equal(await sys.read(`${root}/missing`), undefined);
        assert.equal(await sys.read(`${root}/f/below`), undefined);
        assert.equal(await sys.lstat(`${root}/missing`), undefined);
        assert.deepEqual(await sys.list(`${root}/missing`), []);
      }));

    it('refuses to write where the folder is missing (ENOENT) or is a file (ENOTDIR)', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/f`, text('x'), 0o644);
        await assert.rejects(sys.writeFile(`${root}/no/such/x`, text('x'), 0o644), code('ENOENT'));
        await assert.rejects(sys.stage(`${root}/no/such/.x.tmp`, text('x'), 0o644), code('ENOENT'));
        await assert.rejects(sys.writeFile(`${root}/f/x`, text('x'), 0o644), code('ENOTDIR'));
        assert.deepEqual(await tree(sys, root), { f: '644:x' });
      }));

    it('makes folders with mkdirp, again and again, and lists names sorted', () =>
      within(make, async ({ sys, root }) => {
        await sys.mkdirp(`${root}/a/b/c`);
        await sys.mkdirp(`${root}/a/b/c`);
        await sys.writeFile(`${root}/a/z`, text('z'), 0o644);
        await sys.writeFile(`${root}/a/m`, text('m'), 0o644);
        assert.deepEqual(await sys.list(`${root}/a`), ['b', 'm', 'z']);
        assert.equal((await sys.lstat(`${root}/a/b/c`))?.type, 'dir');
        await assert.rejects(sys.read(`${root}/a/b`), code('EISDIR'));
      }));

    it('stages a new file and renames it into place; staging over an existing file is refused', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/t`, text('old'), 0o644);
        await sys.stage(`${root}/.t.tmp`, text('new'), 0o640);
        await assert.rejects(sys.stage(`${root}/.t.tmp`, text('again'), 0o640), code('EEXIST'));
        await sys.rename(`${root}/.t.tmp`, `${root}/t`);
        await sys.syncDir(root);
        assert.deepEqual(await tree(sys, root), { t: '640:new' });
      }));

    it('removes a file, and a file that is not there without a fault', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/gone`, text('x'), 0o644);
        await sys.remove(`${root}/gone`);
        await sys.remove(`${root}/gone`);
        await sys.remove(`${root}/never/was`);
        assert.deepEqual(await tree(sys, root), {});
      }));

    it('removes a folder whole', () =>
      within(make, async ({ sys, root }) => {
        await sys.mkdirp(`${root}/d/e`);
        await sys.writeFile(`${root}/d/e/f`, text('x'), 0o644);
        await sys.writeFile(`${root}/keep`, text('k'), 0o644);
        await sys.removeTree(`${root}/d`);
        await sys.removeTree(`${root}/d`);
        assert.deepEqual(await tree(sys, root), { keep: '644:k' });
      }));

    it('appends to a file, making it with its mode first', () =>
      within(make, async ({ sys, root }) => {
        await sys.append(`${root}/log`, 'one\n', 0o600);
        await sys.append(`${root}/log`, 'two\n', 0o644);
        assert.deepEqual(await tree(sys, root), { log: '600:one\ntwo\n' });
      }));

    it('reads a link as a link, and never writes through it, renames onto it nor removes it', () =>
      within(make, async ({ sys, root, link }) => {
        await sys.writeFile(`${root}/dotfile`, text('mine'), 0o644);
        await link(`${root}/dotfile`, `${root}/settings.json`);
        assert.deepEqual(await sys.read(`${root}/settings.json`), { link: true });
        assert.equal((await sys.lstat(`${root}/settings.json`))?.type, 'link');
        await assert.rejects(sys.writeFile(`${root}/settings.json`, text('theirs'), 0o644), code('unsafe-path'));
        await sys.stage(`${root}/.s.tmp`, text('theirs'), 0o644);
        await assert.rejects(sys.rename(`${root}/.s.tmp`, `${root}/settings.json`), code('unsafe-path'));
        await sys.remove(`${root}/.s.tmp`);
        await assert.rejects(sys.remove(`${root}/settings.json`), code('unsafe-path'));
        assert.deepEqual(await tree(sys, root), { dotfile: '644:mine', 'settings.json': 'link' });
      }));

    it('follows a link to a folder on the way, and tells where a path really is', { skip: opts.linksIntoItsOwnFolders === false }, () =>
      within(make, async ({ sys, root, link }) => {
        await sys.mkdirp(`${root}/real`);
        await link(`${root}/real`, `${root}/via`);
        await sys.writeFile(`${root}/via/f`, text('x'), 0o644);
        assert.deepEqual(await sys.read(`${root}/real/f`), { bytes: text('x'), mode: 0o644 });
        assert.equal(await sys.realpath(`${root}/via/f`), await sys.realpath(`${root}/real/f`));
        assert.equal(await sys.realpath(`${root}/via/missing`), undefined);
      }));
  });
}

/** The decorators over an implementation: read-only refuses the first write, dry-run records and changes nothing. */
export function decoratorCases(name: string, make: MakeSandbox): void {
  describe(`readOnlySystem over ${name}`, () => {
    it('reads as its inner system does, fails on the first write with read-only-write, and changes nothing', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/a`, text('a'), 0o644);
        const before = await tree(sys, root);
        const ro = readOnlySystem(sys);
        assert.deepEqual(await ro.read(`${root}/a`), await sys.read(`${root}/a`));
        assert.deepEqual(await ro.list(root), ['a']);
        for (const write of [
          () => ro.writeFile(`${root}/a`, text('b'), 0o644),
          () => ro.stage(`${root}/.a.tmp`, text('b'), 0o644),
          () => ro.rename(`${root}/a`, `${root}/b`),
          () => ro.remove(`${root}/a`),
          () => ro.mkdirp(`${root}/d`),
          () => ro.append(`${root}/a`, 'b', 0o644),
          () => ro.removeTree(root),
        ]) {
          await assert.rejects(write(), (err: unknown) => code('read-only-write')(err) && (err as { file?: string }).file !== undefined);
        }
        assert.deepEqual(await tree(sys, root), before);
      }));
  });

  describe(`dryRunSystem over ${name}`, () => {
    it('shows its writes to later reads, records them, and changes nothing below', () =>
      within(make, async ({ sys, root }) => {
        await sys.writeFile(`${root}/keep`, text('k'), 0o644);
        await sys.writeFile(`${root}/old`, text('o'), 0o644);
        const before = await tree(sys, root);
        const dry = dryRunSystem(sys);
        await dry.mkdirp(`${root}/d`);
        await dry.stage(`${root}/d/.f.tmp`, text('staged'), 0o600);
        await dry.rename(`${root}/d/.f.tmp`, `${root}/d/f`);
        await dry.writeFile(`${root}/keep`, text('k2'), 0o644);
        await dry.remove(`${root}/old`);
        await dry.append(`${root}/log`, 'x\n', 0o600);
        // the run sees its own changes
        assert.deepEqual(await tree(dry, root), { 'd/': 'dir', 'd/f': '600:staged', keep: '644:k2', log: '600:x\n' });
        // the record is what it would have changed, temp files renamed away are not in it
        assert.deepEqual(
          dry.record().map((r) => (r.op === 'write' ? `${r.op} ${r.path.slice(root.length)} ${r.mode.toString(8)} ${r.bytes.toString('utf8')}` : `${r.op} ${r.path.slice(root.length)}`)),
          ['mkdir /d', 'write /d/f 600 staged', 'write /keep 644 k2', 'remove /old', 'write /log 600 x\n'],
        );
        assert.deepEqual(await tree(sys, root), before);
      }));

    it('refuses what its inner system refuses: a missing folder, a link', () =>
      within(make, async ({ sys, root, link }) => {
        await sys.writeFile(`${root}/t`, text('t'), 0o644);
        await link(`${root}/t`, `${root}/l`);
        const dry = dryRunSystem(sys);
        await assert.rejects(dry.writeFile(`${root}/no/x`, text('x'), 0o644), code('ENOENT'));
        await assert.rejects(dry.writeFile(`${root}/l`, text('x'), 0o644), code('unsafe-path'));
        assert.deepEqual(dry.record(), []);
      }));
  });
}
