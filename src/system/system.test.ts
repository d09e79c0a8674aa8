/** Every System implementation and decorator through the same conformance cases (system.case.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crashSystem } from './crash.js';
import { dryRunSystem, memoReads } from './decorators.js';
import { memorySystem } from './memory.js';
import { decoratorCases, systemCases, tree, type MakeSandbox } from './system.case.js';
import { realSystem, type System } from './system.js';

const disk: MakeSandbox = async () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'claude-env-system-')));
  return {
    sys: realSystem(),
    root,
    link: async (target, path) => symlinkSync(target, path),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
};

const memory: MakeSandbox = async () => {
  const sys = memorySystem();
  await sys.mkdirp('/sandbox');
  return { sys, root: '/sandbox', link: async (target, path) => sys.plantLink(target, path), cleanup: async () => {} };
};

/** `make` with its System wrapped in a decorator that must change nothing of what the cases see. */
const wrapped =
  (make: MakeSandbox, wrap: (s: System) => System): MakeSandbox =>
  async () => {
    const s = await make();
    return { ...s, sys: wrap(s.sys) };
  };

systemCases('real (temp dir)', disk);
systemCases('memory', memory);
systemCases('crashSystem without faults over real', wrapped(disk, (s) => crashSystem(s, {})));
systemCases('crashSystem without faults over memory', wrapped(memory, (s) => crashSystem(s, {})));
systemCases('dryRunSystem over real', wrapped(disk, dryRunSystem), { linksIntoItsOwnFolders: false });
systemCases('dryRunSystem over memory', wrapped(memory, dryRunSystem), { linksIntoItsOwnFolders: false });
systemCases('memoReads over real', wrapped(disk, memoReads));
systemCases('memoReads over memory', wrapped(memory, memoReads));
decoratorCases('real (temp dir)', disk);
decoratorCases('memory', memory);

describe('crashSystem', () => {
  it('fails the Nth staged file half-way with ENOSPC and damages the first byte of another; each instance counts its own', async () => {
    const mem = memorySystem({ '/h/.keep': '' });
    const faulty = crashSystem(mem, { failWriteAt: 2, corruptWriteAt: 3 });
    await faulty.stage('/h/one', Buffer.from('{"a":1}'), 0o644);
    await assert.rejects(faulty.stage('/h/two', Buffer.from('{"b":2}'), 0o644), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC' && err.path === '/h/two');
    await faulty.stage('/h/three', Buffer.from('{"c":3}'), 0o644);
    assert.equal((await tree(mem, '/h'))['one'], '644:{"a":1}');
    assert.equal((await tree(mem, '/h'))['two'], '644:{"b', 'half of it reached the disk');
    assert.equal((await tree(mem, '/h'))['three'], '644:["c":3}');
    // A second run of the same faults counts from the start: the counts belong to the instance.
    const again = crashSystem(mem, { failWriteAt: 2 });
    await again.stage('/h/four', Buffer.from('4'), 0o644);
    await assert.rejects(again.stage('/h/five', Buffer.from('55'), 0o644));
  });
});
