import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ClaudeEnvError } from '../errors.js';
import { addMemberText } from './members-edit.js';

const FILE = 'teams/web/members.yml';
const zed = { user: 'zed', role: 'developer', projects: ['shop', 'api'] };

/** The result minus the inserted text must be the original, byte for byte. */
function inserted(before: string, after: string): string {
  let i = 0;
  while (i < before.length && before[i] === after[i]) i++;
  const added = after.length - before.length;
  assert.equal(after.slice(0, i) + after.slice(i + added), before, 'everything outside the new entry is unchanged');
  return after.slice(i, i + added);
}

describe('addMemberText', () => {
  it('appends a flow entry after the last member, keeping comments, spacing and long lines byte for byte', () => {
    const text = `# who is in the team
# (see access.yml)
- { user: alice, role: team_lead, projects: [shop], name: Alice Martin, email: alice@example.com, note: a line far longer than eighty characters }
- {user: bob,   role: developer}   # bob keeps his spacing

# trailing comment, after a blank line
`;
    const out = addMemberText(text, FILE, zed);
    assert.equal(inserted(text, out), '- { user: zed, role: developer, projects: [shop, api] }\n');
    assert.ok(out.indexOf('zed') < out.indexOf('# trailing comment'));
    assert.deepEqual((parse(out) as unknown[]).at(-1), zed);
  });

  it('writes a block entry, at the list’s indentation, when the members are block maps', () => {
    const text = `- user: ann
  role: developer   # since 2024
  projects:
    - shop
# end
`;
    const out = addMemberText(text, FILE, zed);
    assert.equal(inserted(text, out), '- user: zed\n  role: developer\n  projects:\n    - shop\n    - api\n');
    assert.deepEqual(parse(out), [{ user: 'ann', role: 'developer', projects: ['shop'] }, zed]);
  });

  it('adds to a file of comments only, a file without a final newline, and a new file', () => {
    assert.equal(addMemberText('# no members yet\n', FILE, zed), '# no members yet\n- { user: zed, role: developer, projects: [shop, api] }\n');
    assert.equal(addMemberText('- { user: ann, role: developer }', FILE, { user: 'zed', role: 'admin', projects: [] }), '- { user: ann, role: developer }\n- { user: zed, role: admin }\n');
    assert.match(addMemberText(undefined, FILE, zed), /^# teams\/web\/members\.yml: .*\n- \{ user: zed, role: developer, projects: \[shop, api\] \}\n$/);
  });

  it('quotes a name that YAML would read as another type', () => {
    const out = addMemberText('- { user: ann, role: developer }\n', FILE, { user: 'true', role: 'developer', projects: ['1234'] });
    assert.deepEqual((parse(out) as unknown[]).at(-1), { user: 'true', role: 'developer', projects: ['1234'] });
  });

  it('refuses a file that is not a list of members, naming its place', () => {
    assert.throws(
      () => addMemberText('# comment\nann: developer\n', FILE, zed),
      (e: unknown) => e instanceof ClaudeEnvError && e.code === 'members-shape' && e.file === FILE && e.line === 2 && e.column === 1,
    );
    assert.throws(() => addMemberText('- { user: ann\n', FILE, zed), (e: unknown) => e instanceof ClaudeEnvError && e.code === 'yaml-syntax' && e.file === FILE);
  });
});
