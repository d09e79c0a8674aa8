/**
 * The attack table: one row per attack on the trust boundary (issue 12), each
 * checked for the same things (see harness.ts): nothing outside the home
 * changed, no user byte lost, nothing ran that the policy forbids, no secret
 * printed, and a clear error naming the file where the attack is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodings, existsSync, guarded, runStep, sandbox, tree, type AttackRow, type StepResult } from './harness.js';
import { rows as secretRows } from './secrets.rows.js';
import { rows as pathRows } from './paths.rows.js';
import { rows as rollbackRows } from './rollback.rows.js';
import { rows as boundRows } from './bounds.rows.js';
import { rows as accessRows } from './access.rows.js';

const TABLE: ReadonlyArray<readonly [string, readonly AttackRow[]]> = [
  ['secrets and commands', secretRows],
  ['paths and links', pathRows],
  ['rollback', rollbackRows],
  ['bounds and locks', boundRows],
  ['access', accessRows],
];

const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));

for (const [area, rows] of TABLE) {
  describe(`attack table: ${area}`, () => {
    for (const row of rows) {
      it(row.attack, async () => {
        const s = await sandbox();
        await row.setup?.(s);
        const outsideBefore = tree(s.root, (rel) => rel === 'repo' || rel === 'home');
        const homeBefore = guarded(s, row.mayChange);
        const results: StepResult[] = [];
        for (const [i, step] of row.steps.entries()) {
          const r = await runStep(s, step);
          results.push(r);
          const shown = `${r.stdout}\n${r.stderr}`;
          const exits = typeof step.exit === 'number' ? [step.exit] : step.exit;
          assert.ok(exits.includes(r.code), `step ${i + 1} (${step.argv(s).slice(0, 2).join(' ')}) exited ${r.code}, expected ${exits.join(' or ')}:\n${shown}`);
          if (step.says) assert.match(shown, step.says, `step ${i + 1} should say what was refused and where`);
          if (step.child) {
            // It finished by itself: a step still running at its bound is killed, and that is the failure.
            assert.ok(!r.stderr.includes('[killed by '), `step ${i + 1} did not finish within its bound and was killed`);
            if (step.child.maxRssMb !== undefined) {
              assert.ok(r.maxRssMb !== undefined, 'the child reported its peak memory');
              assert.ok(r.maxRssMb! < step.child.maxRssMb, `step ${i + 1} peaked at ${r.maxRssMb!.toFixed(0)} MB, bound ${step.child.maxRssMb} MB`);
            }
          }
          // No secret in any output, in any encoding.
          for (const secret of s.secrets) for (const form of encodings(secret)) assert.ok(!shown.includes(form), `step ${i + 1} printed a secret (${form.slice(0, 12)}…)`);
        }
        // Nothing outside the home changed; in the home only what the row allows.
        assert.deepEqual([...tree(s.root, (rel) => rel === 'repo' || rel === 'home' || rel === 'PWNED')].sort(), [...outsideBefore].sort(), 'files outside the home changed');
        const homeAfter = guarded(s, row.mayChange);
        const changed = [...new Set([...homeBefore.keys(), ...homeAfter.keys()])].filter((p) => homeBefore.get(p) !== homeAfter.get(p));
        assert.deepEqual(changed, [], `files in the home changed that claude-env may not write: ${changed.join(', ')}`);
        // Nothing ran that the policy forbids.
        assert.equal(existsSync(s.pwned), false, 'a command planted by the attacker ran');
        // The user's own bytes.
        assert.equal(readFileSync(join(s.home, '.bashrc'), 'utf8'), "# the user's shell\nexport EDITOR=vim\n");
        assert.equal(readFileSync(join(s.home, 'notes', 'todo.md'), 'utf8'), '# todo\n- buy milk\n');
        const claude = json(join(s.home, '.claude.json'));
        assert.deepEqual(claude['oauthAccount'], { emailAddress: 'bob@example.com' });
        assert.equal(claude['mcpServers']?.['mine']?.['command'], 'my-server');
        assert.equal(json(join(s.home, '.claude', 'settings.json'))['theme'], 'dark');
        assert.match(readFileSync(join(s.home, '.claude', 'CLAUDE.md'), 'utf8'), /# Bob's notes\n\nAlways answer in English\.\n/);
        // No secret copied into a file of the home where it does not live.
        for (const [rel, content] of tree(s.home, (rel) => rel === '.ssh' || rel.startsWith('.claude-env') || rel.startsWith('.cache'))) {
          const text = content.startsWith('link:') ? content : Buffer.from(content.slice(content.indexOf(':') + 1), 'base64').toString('utf8');
          for (const secret of s.secrets.slice(1)) assert.ok(!text.includes(secret), `${rel} holds a secret it must not`);
        }
        await row.check?.(s, results);
      });
    }
  });
}
