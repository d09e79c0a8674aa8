/**
 * Names become paths only through the checked constructors (paths.ts), and
 * the write port (apply/paths.ts) keeps every output under its root. For any
 * name, path or git tree entry fast-check makes (built from the pieces an
 * attacker would use: `..`, `.`, empty segments, `/`, `\`, NUL, escapes,
 * `.git`, very long names, and arbitrary Unicode): either it is refused, or
 * the absolute path it becomes stays under its root.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve, sep } from 'node:path';
import fc from 'fast-check';
import { ClaudeEnvError } from './errors.js';
import { exitCodeOf } from './error-codes.js';
import { agentFile, commandFile, overlayFile, repoEntryProblem } from './paths.js';
import { configDirOf, outputLocation, outputPlace, type ClaudeLocations } from './apply/paths.js';
import { Tree } from './system/repo-source.js';

const PIECES = ['..', '.', '', '/', '//', '\\', '\u0000', '\u001b[2J', '\n', '\u0085', 'a', 'b.md', '.git', '.GIT.', ' ', 'é', '\u202e', '~', 'C:', '%2e%2e', 'x'.repeat(130)];
const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((a) => a.join(''));
const name = fc.oneof(pieces, pieces.map((s) => `ok/${s}`), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));

const locations: fc.Arbitrary<ClaudeLocations> = fc.record(
  {
    home: fc.constantFrom('/home/u', '/home/u/', '/h'),
    configDir: fc.constantFrom('/cfg', '/home/u/dotfiles/claude', '/home/u/.claude'),
    legacyStateFile: fc.boolean(),
    projectDir: fc.constantFrom('/work/app', '/work/app/'),
    managedDir: fc.constantFrom('/etc/claude-code'),
  },
  { requiredKeys: ['home'] },
);

/** `abs` is strictly below `root` once both are resolved. */
const below = (root: string, abs: string): boolean => resolve(abs).startsWith(`${resolve(root)}${sep}`);

/** The constructor's path, or undefined when it refused (an `unsafe-path` error, exit 1, and nothing else). */
function made(make: () => string): string | undefined {
  try {
    return make();
  } catch (err) {
    assert.ok(err instanceof ClaudeEnvError, String(err));
    assert.equal(err.code, 'unsafe-path');
    assert.equal(exitCodeOf(err.code), 1);
    assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/, 'the message holds no raw control character');
    return undefined;
  }
}

describe('names become paths (property)', () => {
  it('a persona, workflow or overlay name is refused, or its file stays under the config dir', () => {
    fc.assert(
      fc.property(name, locations, (n, loc) => {
        const root = configDirOf(loc);
        for (const make of [() => agentFile(n), () => commandFile(n), () => overlayFile(n)]) {
          const p = made(make);
          if (p === undefined) continue;
          const abs = outputLocation(loc, p);
          assert.ok(below(root, abs), `${JSON.stringify(n)} -> ${abs} is outside ${root}`);
        }
        // a persona is one file of .claude/agents, right in it
        const agent = made(() => agentFile(n));
        if (agent !== undefined) assert.equal(resolve(outputLocation(loc, agent), '..'), resolve(root, 'agents'));
      }),
      { numRuns: 2000 },
    );
  });

  it('any output path given to the write port is refused, or lands under its root', () => {
    const prefixes = fc.constantFrom('', '.claude/', '@project/', '@managed/', '.claude.json', '../');
    fc.assert(
      fc.property(prefixes, name, locations, (prefix, n, loc) => {
        let abs: string;
        let root: string;
        try {
          root = outputPlace(loc, prefix + n).root;
          abs = outputLocation(loc, prefix + n);
        } catch (err) {
          assert.ok(err instanceof ClaudeEnvError && (err.code === 'unsafe-path' || err.code === 'usage'), String(err));
          return;
        }
        assert.ok(below(root, abs), `${JSON.stringify(prefix + n)} -> ${abs} is outside ${root}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('git tree entries (property)', () => {
  const MODES = ['100644', '100755', '120000'];
  const entry = fc.record({ path: fc.array(name.map((s) => s.replaceAll('\u0000', '')), { minLength: 1, maxLength: 4 }).map((a) => a.join('/')), mode: fc.constantFrom(...MODES) });
  const entries = fc.array(fc.oneof(entry, entry.map((e) => ({ ...e, path: `base/files/${e.path}` }))), { maxLength: 12 });
  const oid = (i: number): string => i.toString(16).padStart(40, '0');
  const listing = (es: ReadonlyArray<{ path: string; mode: string }>): string => es.map((e, i) => `${e.mode} blob ${oid(i + 1)}\t${e.path}\0`).join('');

  it('lists only plain, unique, non-link paths; refuses every other entry; and an overlay it lists is refused or lands under .claude', () => {
    fc.assert(
      fc.property(entries, locations, (es, loc) => {
        const tree = Tree.fromLsTree(listing(es));
        const counts = new Map<string, number>();
        for (const e of es) counts.set(e.path, (counts.get(e.path) ?? 0) + 1);
        for (const p of tree.paths) {
          assert.equal(repoEntryProblem(p), undefined, `${JSON.stringify(p)} is listed`);
          assert.equal(counts.get(p), 1, `${JSON.stringify(p)} is listed once and was given once`);
          assert.ok(es.some((e) => e.path === p && e.mode !== '120000'), `${JSON.stringify(p)} is no link`);
          if (p.startsWith('base/files/')) {
            const out = made(() => overlayFile(p.slice('base/files/'.length)));
            if (out !== undefined) assert.ok(below(configDirOf(loc), outputLocation(loc, out)));
          }
        }
        // every entry given is listed or refused, never lost without a finding
        const refused = new Set(tree.refused.map((e) => e.path));
        for (const e of es) assert.ok(tree.has(e.path) || refused.has(e.path), `${JSON.stringify(e.path)} is listed or refused`);
        assert.equal(new Set(tree.paths).size, tree.paths.length);
        // the cache form keeps the refusals
        assert.deepEqual(Tree.fromJSON(tree.toJSON())!.refused, tree.refused);
      }),
      { numRuns: 1000 },
    );
  });

  it('a tree changed by a diff refuses links and unsafe paths as a listing does', () => {
    fc.assert(
      fc.property(entries, entries, (a, b) => {
        const base = Tree.fromLsTree(listing(a));
        const changes = new Map(b.map((e, i) => [e.path, { mode: e.mode === '100755' ? 0o755 : 0o644, oid: oid(100 + i), ...(e.mode === '120000' ? { link: true } : {}) }]));
        const head = base.withChanges(changes);
        for (const p of head.paths) assert.equal(repoEntryProblem(p), undefined);
        for (const [p, e] of changes) if (e.link || repoEntryProblem(p) !== undefined) assert.ok(!head.has(p) && head.refused.some((r) => r.path === p), `${JSON.stringify(p)} refused`);
      }),
      { numRuns: 500 },
    );
  });
});
