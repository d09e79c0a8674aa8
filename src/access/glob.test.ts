import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, GlobError } from './glob.js';
import { nameProblem } from './names.js';
import { resolveLink } from './check.js';

describe('compileGlob', () => {
  it('matches globs anchored on whole paths, dotfiles included, case-exact', () => {
    const cases: Array<[string, string, boolean]> = [
      ['base/**', 'base/config.yml', true],
      ['base/**', 'base', false],
      ['**/security.yml', 'security.yml', true],
      ['**/security.yml', 'environments/production/security.yml', true],
      ['teams/*/base-config.yml', 'teams/a/b/base-config.yml', false],
      ['**', '.github/workflows/ci.yml', true],
      ['teams/{a,b}/x.yml', 'teams/b/x.yml', true],
      ['teams/[!a]*/x.yml', 'teams/abc/x.yml', false],
      ['Base/**', 'base/config.yml', false],
    ];
    for (const [glob, path, want] of cases) assert.equal(compileGlob(glob).test(path), want, `${glob} ~ ${path}`);
  });

  it('expands a placeholder to literal segments only: its values are never read as globs or regex', () => {
    const re = compileGlob('projects/{assigned-projects}/**', { 'assigned-projects': ['a.b', '*', 'x/y', '(.*)'] });
    assert.ok(re.test('projects/a.b/c.yml'));
    assert.ok(!re.test('projects/aXb/c.yml'), '. is literal');
    assert.ok(!re.test('projects/web/c.yml'), '* is literal');
    assert.ok(re.test('projects/*/c.yml'));
    assert.ok(!re.test('projects/x/y/c.yml'), 'a value with / never matches');
    assert.ok(!compileGlob('teams/{their-team}/**', { 'their-team': [] }).test('teams/a/b'), 'no value: no match');
  });

  it('refuses bad syntax and unknown placeholders', () => {
    assert.throws(() => compileGlob('teams/[ab/x'), GlobError);
    assert.throws(() => compileGlob('teams/{their-tem}/x', { 'their-team': ['a'] }), /unknown placeholder "\{their-tem\}"/);
  });
});

describe('nameProblem', () => {
  it('refuses names that could stand for more than one folder', () => {
    const table: Array<[string, string | undefined]> = [
      ['web-application', undefined],
      ['caf\u00e9', undefined],
      ['cafe\u0301', 'is not in Unicode normal form NFC'],
      ['..', 'is ".."'],
      ['a/b', 'contains a path separator'],
      ['a\\b', 'contains a path separator'],
      ['web-*', 'contains glob characters'],
      ['{a,b}', 'contains glob characters'],
      ['', 'is empty'],
      ['a\nb', 'contains control characters'],
      ['backend-team.', 'ends with a dot or a space (NTFS drops them)'],
    ];
    for (const [name, want] of table) assert.equal(nameProblem(name), want, JSON.stringify(name));
  });
});

describe('resolveLink', () => {
  it('resolves a link inside the repo and refuses one that leaves it', () => {
    assert.equal(resolveLink('projects/web/a.yml', '../../base/config.yml'), 'base/config.yml');
    assert.equal(resolveLink('projects/web/a.yml', '../../../etc/passwd'), undefined);
    assert.equal(resolveLink('projects/web/a.yml', '/etc/passwd'), undefined);
    assert.equal(resolveLink('a.yml', '.git/config'), undefined);
  });
});
