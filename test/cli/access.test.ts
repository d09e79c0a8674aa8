/**
 * `access check` on real git repos: the seed repo of `init`, one branch per
 * case, checked with `--base main --head <branch>`. A table for every role
 * of the seed's matrix (allowed and denied), one for the change classes, and
 * an attack table that must have 0 bypasses. Then `access codeowners`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, tempDir } from '../helpers.js';
import { codeownersRules, ownersByRules, parseCodeowners } from '../../src/access/codeowners.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const repo = join(tmp.dir, 'org');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

type Edit = string | null | { link: string } | { append: string } | { from: string };
/** A branch off `from` with these edits, committed: text = write, null = delete, link = symlink, append = add a line, from = rename. */
function branch(name: string, edits: Record<string, Edit>, from = 'main'): string {
  git('checkout', '-q', '-B', name, from);
  for (const [path, edit] of Object.entries(edits)) {
    const abs = join(repo, path);
    if (edit === null) rmSync(abs);
    else if (typeof edit === 'string') {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, edit);
    } else if ('link' in edit) {
      mkdirSync(dirname(abs), { recursive: true });
      symlinkSync(edit.link, abs);
    } else if ('append' in edit) appendFileSync(abs, edit.append);
    else {
      mkdirSync(dirname(abs), { recursive: true });
      git('mv', edit.from, path);
    }
  }
  git('add', '-A');
  git('commit', '-q', '--no-verify', '-m', name);
  git('checkout', '-q', 'main');
  return name;
}

interface Verdict {
  allowed: boolean;
  class: string | null;
  files: Array<{ path: string; status: string; allowed: boolean; rule: string; message: string; class: string | null }>;
  keys: Array<{ file: string; key: string; class: string | null }>;
  approvals: { needed: number; have: number; missing: number; auto_approved_by?: string; approvers: Array<{ user: string; counted: boolean; reason: string }> };
  ignored_names: Array<{ kind: string; name: string; reason: string }>;
}

async function check(author: string, head: string, approvers: string[] = []): Promise<{ code: number; v: Verdict; stderr: string }> {
  const args = ['access', 'check', '--repo', repo, '--author', author, '--base', 'main', '--head', head, '--json'];
  if (approvers.length) args.push('--approved-by', approvers.join(','));
  const r = await cli(args);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, v: JSON.parse(r.stdout) as Verdict, stderr: r.stderr };
}

const NFD_CAFE = 'cafe\u0301';
const NFC_CAFE = 'caf\u00e9';

before(async () => {
  assert.equal((await cli(['init', repo])).code, 0);
  // Names that must never widen a grant, all present in the BASE revision the rules are read from.
  const members: Record<string, string> = {
    'teams/frontend-team/members.yml': [
      '- { user: dotdot, role: developer, projects: [".."] }',
      '- { user: climber, role: developer, projects: ["web-application/../api-service"] }',
      '- { user: slash, role: developer, projects: ["api-service/x"] }',
      '- { user: star, role: developer, projects: ["*"] }',
      '- { user: globstar, role: developer, projects: ["**"] }',
      '- { user: braces, role: developer, projects: ["{api-service,data-pipeline}"] }',
      '- { user: prefix, role: developer, projects: ["data-*"] }',
      '- { user: upper, role: developer, projects: ["API-Service"] }',
      `- { user: nfd, role: developer, projects: ["${NFD_CAFE}"] }`,
      '- { user: wide, role: developer, projects: ["\uff41\uff50\uff49-service"] }',
      '',
    ].join('\n'),
    'teams/*/members.yml': '- { user: starteam, role: team_lead }\n',
    'teams/{backend-team,devops-team}/members.yml': '- { user: braceteam, role: team_lead }\n',
    'teams/Backend-Team/members.yml': '- { user: caseteam, role: team_lead }\n',
    'teams/backend-team./members.yml': '- { user: dotteam, role: team_lead }\n',
    [`teams/${NFD_CAFE}/members.yml`]: '- { user: nfdteam, role: team_lead }\n',
    [`projects/${NFC_CAFE}/claude-config.yml`]: 'instructions: ["caf\u00e9"]\n',
  };
  for (const [path, text] of Object.entries(members)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    appendFileSync(join(repo, path), text);
  }
  git('add', '-A');
  git('commit', '-q', '--no-verify', '-m', 'members with names that try to widen grants');
});

describe('access check: the role matrix of the seed', () => {
  // [role, author, what, edits, approvers, allowed, denied file rule]
  const cases: Array<[string, string, string, Record<string, Edit>, string[], boolean, string?]> = [
    ['admin', 'judy', 'changes base/config.yml with a team lead approval', { 'base/config.yml': { append: '# admin edit\n' } }, ['alice'], true],
    ['admin', 'judy', 'changes base/config.yml without the approval it needs', { 'base/config.yml': { append: '# admin edit\n' } }, [], false],
    ['admin', 'maria', 'changes access.yml (admin through team:platform-team)', { 'access.yml': { append: '# tidy\n' } }, [], true],
    ['team_lead', 'alice', "changes their own team's base config with another lead's approval", { 'teams/frontend-team/base-config.yml': { append: '# lead\n' } }, ['erin'], true],
    ['team_lead', 'alice', 'changes any project', { 'projects/api-service/claude-config.yml': { append: '# lead\n' } }, [], true],
    ['team_lead', 'alice', 'changes the development environment', { 'environments/development/mcp-servers.yml': { append: '# lead\n' } }, ['erin'], true],
    ['team_lead', 'alice', "changes another team's workflows", { 'teams/backend-team/workflows.yml': { append: '# lead\n' } }, [], false, 'no-write-grant'],
    ['team_lead', 'alice', 'changes the production environment', { 'environments/production/config.yml': { append: '# lead\n' } }, ['erin', 'ivan'], false, 'no-write-grant'],
    ['developer', 'bob', "changes their team's workflows (minor: approved automatically)", { 'teams/frontend-team/workflows.yml': { append: '# dev\n' } }, [], true],
    ['developer', 'bob', 'changes an assigned project', { 'projects/web-application/claude-config.yml': { append: '# dev\n' } }, [], true],
    ['developer', 'bob', 'changes a project not assigned to them', { 'projects/api-service/claude-config.yml': { append: '# dev\n' } }, [], false, 'no-write-grant'],
    ['developer', 'bob', "changes their team's base config", { 'teams/frontend-team/base-config.yml': { append: '# dev\n' } }, ['alice'], false, 'no-write-grant'],
    ['developer', 'frank', "changes another team's workflows", { 'teams/frontend-team/workflows.yml': { append: '# dev\n' } }, [], false, 'no-write-grant'],
    ['security_reviewer', 'heidi', 'changes an environment security policy with another reviewer approving', { 'environments/staging/security.yml': { append: '# sec\n' } }, ['nina'], true],
    ['security_reviewer', 'heidi', 'changes base security with no approval', { 'base/security/permissions.yml': { append: '# sec\n' } }, [], false],
    ['security_reviewer', 'heidi', 'changes base/config.yml', { 'base/config.yml': { append: '# sec\n' } }, ['alice'], false, 'no-write-grant'],
  ];
  cases.forEach(([role, author, what, edits, approvers, allowed, rule], i) => {
    it(`${allowed ? 'allows' : 'denies'} ${role} ${author} who ${what}`, async () => {
      const head = branch(`role-${i}`, edits);
      const { code, v } = await check(author, head, approvers);
      // exit code and verdict agree with the table
      assert.equal(v.allowed, allowed, JSON.stringify(v, null, 1));
      assert.equal(code, allowed ? 0 : 1);
      if (rule) {
        const denied = v.files.filter((f) => !f.allowed);
        assert.ok(denied.length > 0);
        // the denial names the file and the rule
        for (const f of denied) {
          assert.equal(f.rule, rule);
          assert.match(f.message, new RegExp(f.path.replace(/[.*]/g, '\\$&')));
        }
      } else if (!allowed) assert.ok(v.approvals.missing > 0, 'denied for a missing approval');
    });
  });

  it('prints a readable verdict that names the file and the rule that denied it', async () => {
    const head = branch('text-out', { 'base/config.yml': { append: '# x\n' }, 'teams/frontend-team/workflows.yml': { append: '# x\n' } });
    const r = await cli(['access', 'check', '--repo', repo, '--author', 'bob', '--base', 'main', '--head', head, '--approved-by', 'carol']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /DENIED +base\/config\.yml +modified +\[major\]\n +no-write-grant: no write grant matches base\/config\.yml: bob holds developer \(teams\/frontend-team\/members\.yml\)/);
    assert.match(r.stdout, /allowed +teams\/frontend-team\/workflows\.yml .*\n +by developer: teams\/\{their-team\}\/workflows\.yml:write/);
    assert.match(r.stdout, /approvals: 1 needed \(team_lead\), 0 counted, 1 missing\n +not counted +carol: holds developer, and major changes need approval by team_lead/);
    assert.match(r.stdout, /DENIED: 1 file\(s\) denied, 1 approval\(s\) missing\n$/);
  });
});

describe('access check: change classes', () => {
  const cases: Array<[string, Record<string, Edit>, string]> = [
    ['a base security policy', { 'base/security/permissions.yml': { append: '# c\n' } }, 'security'],
    ['permissions in a project (by key, though the path is minor)', { 'projects/web-application/claude-config.yml': { append: 'settings:\n  permissions:\n    deny: ["Bash(rm:*)"]\n' } }, 'security'],
    ['the production environment', { 'environments/production/config.yml': { append: '# c\n' } }, 'production'],
    ['the base config', { 'base/config.yml': { append: '# c\n' } }, 'major'],
    ["a team's base config", { 'teams/backend-team/base-config.yml': { append: '# c\n' } }, 'major'],
    ["a team's workflows", { 'teams/backend-team/workflows.yml': { append: '# c\n' } }, 'minor'],
    ['minor, major and production files at once: the highest', { 'teams/backend-team/workflows.yml': { append: '# c\n' }, 'base/config.yml': { append: '# c\n' }, 'environments/production/config.yml': { append: '# c\n' } }, 'production'],
    ['every class at once: security wins', { 'teams/backend-team/workflows.yml': { append: '# c\n' }, 'environments/production/config.yml': { append: '# c\n' }, 'environments/production/security.yml': { append: '# c\n' } }, 'security'],
  ];
  cases.forEach(([what, edits, cls], i) => {
    it(`classes a change of ${what} as ${cls}`, async () => {
      const { v } = await check('judy', branch(`class-${i}`, edits));
      assert.equal(v.class, cls);
    });
  });

  it('names the merged keys a change touches, placed at the section of the document', async () => {
    const head = branch('keys', { 'base/mcp/memory.yml': { append: 'timeout: 1234\n' }, 'environments/staging/teams.yml': { append: 'devops-team:\n  settings:\n    permissions:\n      allow: ["Bash(ls)"]\n' } });
    const { v } = await check('judy', head);
    assert.ok(v.keys.some((k) => k.file === 'base/mcp/memory.yml' && k.key === 'mcpServers.memory.timeout' && k.class === null));
    assert.ok(v.keys.some((k) => k.file === 'environments/staging/teams.yml' && k.key === 'settings.permissions.allow' && k.class === 'security'));
    assert.equal(v.class, 'security');
  });
});

describe('access check: attacks (0 bypasses)', () => {
  // [attack, author, edits, approvers, expected denial rule on the target path, target path]
  const attacks: Array<[string, string, Record<string, Edit>, string[], string, string]> = [
    ['".." as a project name', 'dotdot', { 'teams/backend-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/backend-team/workflows.yml'],
    ['a project name that climbs with ".." and "/"', 'climber', { 'projects/api-service/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/api-service/claude-config.yml'],
    ['a project name with "/"', 'slash', { 'projects/api-service/x/a.yml': 'a: 1\n' }, [], 'no-write-grant', 'projects/api-service/x/a.yml'],
    ['"*" as a project name', 'star', { 'projects/api-service/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/api-service/claude-config.yml'],
    ['"**" as a project name', 'globstar', { 'projects/data-pipeline/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/data-pipeline/claude-config.yml'],
    ['braces in a project name', 'braces', { 'projects/data-pipeline/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/data-pipeline/claude-config.yml'],
    ['a wildcard in a project name', 'prefix', { 'projects/data-pipeline/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/data-pipeline/claude-config.yml'],
    ['a project name in another case', 'upper', { 'projects/api-service/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/api-service/claude-config.yml'],
    ['a project name in another Unicode normal form (NFD)', 'nfd', { [`projects/${NFC_CAFE}/claude-config.yml`]: { append: '# x\n' } }, [], 'no-write-grant', `projects/${NFC_CAFE}/claude-config.yml`],
    ['a fullwidth project name (same under NFKC)', 'wide', { 'projects/api-service/claude-config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'projects/api-service/claude-config.yml'],
    ['"*" as a team folder', 'starteam', { 'teams/backend-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/backend-team/workflows.yml'],
    ['braces as a team folder', 'braceteam', { 'teams/devops-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/devops-team/workflows.yml'],
    ['a team folder in another case, writing the real team', 'caseteam', { 'teams/backend-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/backend-team/workflows.yml'],
    ['a team folder in another case, writing its own folder (one folder on macOS)', 'caseteam', { 'teams/Backend-Team/workflows.yml': 'x: {}\n' }, [], 'path-alias', 'teams/Backend-Team/workflows.yml'],
    ['a team folder in NFD form', 'nfdteam', { [`teams/${NFD_CAFE}/workflows.yml`]: 'x: {}\n' }, [], 'no-write-grant', `teams/${NFD_CAFE}/workflows.yml`],
    ['a rename from an allowed into a denied path', 'bob', { 'teams/backend-team/moved.yml': { from: 'teams/frontend-team/workflows.yml' } }, [], 'no-write-grant', 'teams/backend-team/moved.yml'],
    ['a symlink to an absolute path outside the repo', 'bob', { 'projects/web-application/passwd.yml': { link: '/etc/passwd' } }, [], 'symlink-outside-repo', 'projects/web-application/passwd.yml'],
    ['a symlink that climbs out of the repo', 'bob', { 'projects/web-application/up.yml': { link: '../../../../../etc/passwd' } }, [], 'symlink-outside-repo', 'projects/web-application/up.yml'],
    ['a symlink into .git', 'bob', { 'projects/web-application/hooks': { link: '../../.git/hooks' } }, [], 'symlink-outside-repo', 'projects/web-application/hooks'],
    ['a symlink from an allowed path to a denied file', 'bob', { 'projects/web-application/base.yml': { link: '../../base/config.yml' } }, [], 'symlink-target', 'projects/web-application/base.yml'],
    ['a change that grants itself write in access.yml of the head', 'bob', { 'access.yml': 'roles:\n  developer: { permissions: ["*"] }\n', 'base/config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'base/config.yml'],
    ['a change that makes its author admin in members.yml of the head', 'bob', { 'teams/frontend-team/members.yml': { append: '- { user: bob, role: admin }\n' }, 'base/config.yml': { append: '# x\n' } }, [], 'no-write-grant', 'base/config.yml'],
    ['a backslash path that Windows reads as climbing out of an allowed folder', 'bob', { 'projects/web-application/..\\..\\base\\config.yml': 'x: 1\n' }, [], 'unsafe-path', 'projects/web-application/..\\..\\base\\config.yml'],
    ['a team folder with a trailing dot (the same folder on NTFS)', 'dotteam', { 'teams/backend-team./workflows.yml': 'x: {}\n' }, [], 'unsafe-path', 'teams/backend-team./workflows.yml'],
    ['a team folder with a trailing dot, writing the real team', 'dotteam', { 'teams/backend-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/backend-team/workflows.yml'],
    ['an author who holds no role', 'nobody', { 'teams/frontend-team/workflows.yml': { append: '# x\n' } }, [], 'no-write-grant', 'teams/frontend-team/workflows.yml'],
  ];
  attacks.forEach(([attack, author, edits, approvers, rule, path], i) => {
    it(`denies ${attack}`, async () => {
      const { code, v } = await check(author, branch(`attack-${i}`, edits), approvers);
      assert.equal(code, 1);
      assert.equal(v.allowed, false);
      const f = v.files.find((x) => x.path === path);
      assert.ok(f, `${path} is among the changed files: ${v.files.map((x) => x.path).join(', ')}`);
      assert.equal(f.allowed, false);
      assert.equal(f.rule, rule, f.message);
    });
  });

  it('reports the names it refused to expand, and why', async () => {
    const { v } = await check('star', branch('names', { 'projects/api-service/claude-config.yml': { append: '# x\n' } }));
    assert.deepEqual(v.ignored_names, [{ kind: 'project', name: '*', reason: 'contains glob characters' }]);
    const nfd = await check('nfdteam', branch('names-nfd', { 'teams/frontend-team/workflows.yml': { append: '# x\n' } }));
    assert.match(nfd.v.ignored_names[0]!.reason, /not in Unicode normal form NFC/);
  });

  it('sees a change hidden in a merge commit (from another branch, or made in the merge itself)', async () => {
    const ok = branch('merge-ok', { 'teams/frontend-team/workflows.yml': { append: '# mine\n' } });
    const other = branch('merge-other', { 'base/config.yml': { append: '# theirs\n' } });
    git('checkout', '-q', ok);
    git('merge', '-q', '--no-ff', '--no-edit', other);
    git('checkout', '-q', 'main');
    const merged = await check('bob', ok);
    assert.equal(merged.code, 1);
    assert.equal(merged.v.files.find((f) => f.path === 'base/config.yml')?.rule, 'no-write-grant');
    // An "evil merge": the merge commit itself carries a change neither parent has.
    const a = branch('evil-a', { 'teams/frontend-team/workflows.yml': { append: '# a\n' } });
    const b = branch('evil-b', { 'projects/web-application/claude-config.yml': { append: '# b\n' } });
    git('checkout', '-q', a);
    git('merge', '-q', '--no-ff', '--no-commit', b);
    appendFileSync(join(repo, 'base/security/permissions.yml'), '# hidden\n');
    git('add', '-A');
    git('commit', '-q', '--no-verify', '-m', 'Merge branch evil-b');
    git('checkout', '-q', 'main');
    assert.deepEqual(git('diff', '--name-only', `${a}^1`, `${a}^2`, '--', 'base/security').trim(), '', 'no parent of the merge changed base/security');
    const evil = await check('bob', a);
    assert.equal(evil.code, 1);
    assert.equal(evil.v.files.find((f) => f.path === 'base/security/permissions.yml')?.rule, 'no-write-grant');
    assert.equal(evil.v.class, 'security');
  });

  it('does not count self-approval, or approval by a user without the role the class names', async () => {
    const head = branch('approvals', { 'teams/frontend-team/base-config.yml': { append: '# lead\n' } });
    const self = await check('alice', head, ['alice']);
    assert.equal(self.code, 1);
    assert.deepEqual(self.v.approvals, { needed: 1, have: 0, missing: 1, roles: ['team_lead'], approvers: [{ user: 'alice', counted: false, reason: 'is the author: nobody approves their own change' }] });
    const dev = await check('alice', head, ['bob', 'nobody']);
    assert.equal(dev.code, 1);
    assert.deepEqual(
      dev.v.approvals.approvers.map((a) => [a.user, a.counted]),
      [
        ['bob', false],
        ['nobody', false],
      ],
    );
    const lead = await check('alice', head, ['erin']);
    assert.equal(lead.code, 0);
    assert.equal(lead.v.approvals.have, 1);
    // --approved-by may be given more than once
    const twice = await cli(['access', 'check', '--repo', repo, '--author', 'alice', '--base', 'main', '--head', head, '--approved-by', 'bob', '--approved-by', 'erin']);
    assert.equal(twice.code, 0, twice.stdout);
    assert.match(twice.stdout, /approvals: 1 needed \(team_lead\), 1 counted, 0 missing\n +not counted +bob: .*\n +counted +erin: team_lead \(teams\/backend-team\/members\.yml\) may approve major changes/);
  });

  it('exits 2 with a usage error for a revision that names no commit or a missing --author', async () => {
    const bad = await cli(['access', 'check', '--repo', repo, '--author', 'bob', '--base', 'no-such-branch']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown revision "no-such-branch"/);
    const none = await cli(['access', 'check', '--repo', repo, '--base', 'main']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /access check needs --author USER/);
  });
});

describe('access codeowners', () => {
  it('writes a CODEOWNERS whose owners of every repo file are exactly who access.yml lets write it', async () => {
    const dir = join(tmp.dir, 'owners');
    assert.equal((await cli(['init', dir])).code, 0);
    appendFileSync(join(dir, 'access.yml'), 'codeowners:\n  org: example-org\n  logins: { alice: alice-martin }\n');
    const out = join(dir, '.github', 'CODEOWNERS');
    const r = await cli(['access', 'codeowners', '--repo', dir, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const rules = parseCodeowners(readFileSync(out, 'utf8'));
    // Admins are the two teams (and judy and maria, admins by members.yml); each team's lead owns the team folder; security reviewers own security files.
    assert.deepEqual(rules[0], { pattern: '*', owners: ['@example-org/devops-team', '@example-org/platform-team', '@judy', '@maria'] });
    assert.deepEqual(ownersByRules(rules, 'teams/frontend-team/personas.yml'), ['@alice-martin', '@example-org/devops-team', '@example-org/platform-team', '@judy', '@maria']);
    assert.deepEqual(ownersByRules(rules, 'teams/frontend-team/workflows.yml'), ['@alice-martin', '@bob', '@carol', '@dan', '@example-org/devops-team', '@example-org/platform-team', '@judy', '@maria']);
    assert.deepEqual(ownersByRules(rules, 'environments/staging/security.yml'), ['@example-org/devops-team', '@example-org/platform-team', '@heidi', '@judy', '@maria', '@nina']);
    // Every file of the repo: the CODEOWNERS owners are those `access check` allows to write it alone.
    const files = execFileSync('git', ['-C', dir, 'ls-files'], { env: GIT_ENV }).toString().trim().split('\n');
    const { loadDirectory, loadPolicy } = await import('../../src/cli/access.js');
    const { Repo } = await import('../../src/repo/repo.js');
    const { worktreeSource } = await import('../../src/system/repo-source.js');
    const { checkAccess } = await import('../../src/access/check.js');
    const repoObj = new Repo(worktreeSource(dir));
    const policy = loadPolicy(repoObj);
    const directory = loadDirectory(repoObj);
    const { knownUsers } = await import('../../src/access/principals.js');
    const members = knownUsers(policy, directory);
    const handle = (u: string): string => (u === 'alice' ? '@alice-martin' : `@${u}`);
    // Admins through access.yml "team:<t>" are owners as the team's handle.
    const adminTeams = new Map(directory.members.filter((m) => m.team === 'devops-team' || m.team === 'platform-team').map((m) => [m.user, `@example-org/${m.team}`] as const));
    for (const path of files) {
      const writers = members.filter((u) => checkAccess({ policy, directory, author: u, approvers: [], files: [{ path, status: 'modified' }], keys: [], treePaths: files }).files[0]!.allowed);
      const owners = ownersByRules(rules, path) ?? [];
      // Each owner handle stands for writers, and each writer is covered by a handle.
      for (const u of writers) assert.ok(owners.includes(handle(u)) || owners.includes(adminTeams.get(u) ?? '-'), `${path}: writer ${u} is an owner (${owners.join(' ')})`);
      for (const o of owners) assert.ok(writers.some((u) => handle(u) === o || adminTeams.get(u) === o), `${path}: owner ${o} may write it`);
    }
    // The same rules as the library computes, and --json prints them.
    assert.deepEqual(rules, codeownersRules(policy, directory, repoObj.source.list('')).map((x) => ({ pattern: x.pattern, owners: [...x.owners] })));
    const json = await cli(['access', 'codeowners', '--repo', dir, '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as { rules: unknown }).rules, rules);
    // the codeowners settings are part of the access.yml schema: the repo still validates clean
    const valid = await cli(['validate', '--repo', dir, '--json']);
    assert.deepEqual(JSON.parse(valid.stdout), { findings: [], summary: { errors: 0, warnings: 0 } });
  });

  it('validates codeowners and signing_keys of access.yml against its schema, with file:line:col', async () => {
    const dir = join(tmp.dir, 'bad-access');
    assert.equal((await cli(['init', dir])).code, 0);
    appendFileSync(join(dir, 'access.yml'), 'codeowners:\n  org: "not an org"\nsigning_keys:\n  alice: "not a key"\n');
    const lines = readFileSync(join(dir, 'access.yml'), 'utf8').split('\n');
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`access\\.yml:${lines.indexOf('  org: "not an org"') + 1}:\\d+  error  schema  .*must be a GitHub organisation or login name`));
    assert.match(r.stdout, new RegExp(`access\\.yml:${lines.indexOf('  alice: "not a key"') + 1}:\\d+  error  schema  .*must be an SSH public key`));
    // access check refuses to decide on such a policy: exit 2 at the place of the first problem
    const c = await cli(['access', 'codeowners', '--repo', dir]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, new RegExp(`access\\.yml:${lines.indexOf('  org: "not an org"') + 1}:\\d+  access-policy  codeowners\\.org: must be a GitHub organisation name`));
  });
});
