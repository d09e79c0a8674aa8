/**
 * Every kind of bad input, as a user meets it: the message names the file,
 * line and column where there is one, the exit code follows SPEC.md (1 for
 * invalid config, 2 for usage or operational errors), and no file changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import { cli, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir();
let n = 0;
/** A fresh seed repo to break. */
async function seed(): Promise<string> {
  const dir = join(tmp.dir, `repo${n++}`);
  await initRepo(dir, { PATH: process.env['PATH'] });
  return dir;
}
after(() => tmp.cleanup());

interface Case {
  name: string;
  edit(dir: string): void;
  argv: string[];
  code: number;
  /** Lines the user sees (stdout for findings, stderr for errors). */
  expect: RegExp;
}

const target = ['--env', 'development', '--team', 'frontend-team', '--user', 'alice', '--project', 'web-application'];

const cases: Case[] = [
  {
    name: 'a YAML syntax error',
    edit: (d) => writeFileSync(join(d, 'teams/frontend-team/base-config.yml'), 'settings:\n  model: [sonnet\n  env: {}\n'),
    argv: ['validate'],
    code: 1,
    expect: /^teams\/frontend-team\/base-config\.yml:\d+:\d+  error  yaml-syntax  /m,
  },
  {
    name: 'a YAML syntax error met by render',
    edit: (d) => writeFileSync(join(d, 'teams/frontend-team/base-config.yml'), 'settings:\n  model: [sonnet\n  env: {}\n'),
    argv: ['render', ...target],
    code: 1,
    expect: /^claude-env: teams\/frontend-team\/base-config\.yml:\d+:\d+  yaml-syntax  /m,
  },
  {
    name: 'a duplicate key',
    edit: (d) => writeFileSync(join(d, 'projects/api-service/claude-config.yml'), 'settings:\n  model: sonnet\n  model: opus\n'),
    argv: ['validate'],
    code: 1,
    expect: /^projects\/api-service\/claude-config\.yml:3:3  error  yaml-duplicate-key  duplicate key "model": it is first set at line 2; a key may appear once in a mapping$/m,
  },
  {
    name: 'a value of the wrong type',
    edit: (d) => writeFileSync(join(d, 'projects/api-service/claude-config.yml'), 'settings:\n  cleanupPeriodDays: "soon"\n'),
    argv: ['validate'],
    code: 1,
    expect: /^projects\/api-service\/claude-config\.yml:2:22  error  schema  must be integer/m,
  },
  {
    name: 'an unknown key in claude-env.yml',
    edit: (d) => appendFileSync(join(d, 'claude-env.yml'), '\nrollouts:\n  development: { strategy: immediate }\n'),
    argv: ['validate'],
    code: 1,
    expect: /^claude-env\.yml:\d+:1  error  unknown-key  unknown key "rollouts"/m,
  },
  {
    name: 'an unknown key in access.yml',
    edit: (d) => appendFileSync(join(d, 'access.yml'), '\napprovers: []\n'),
    argv: ['validate'],
    code: 1,
    expect: /^access\.yml:\d+:1  error  unknown-key  unknown key "approvers"/m,
  },
  {
    name: 'a dangling reference to an MCP server',
    edit: (d) => writeFileSync(join(d, 'teams/frontend-team/mcp-preferences.yml'), 'ghost:\n  enabled: true\n'),
    argv: ['validate'],
    code: 1,
    expect: /^teams\/frontend-team\/mcp-preferences\.yml:1:1  error  unknown-mcp-server  MCP server "ghost" is not defined/m,
  },
  {
    name: 'a member in a project that does not exist',
    edit: (d) => appendFileSync(join(d, 'teams/frontend-team/members.yml'), '- { user: zed, role: developer, projects: [nowhere] }\n'),
    argv: ['validate'],
    code: 1,
    expect: /^teams\/frontend-team\/members\.yml:\d+:\d+  error  unknown-project  project "nowhere" does not exist/m,
  },
  {
    name: 'a persona that is incomplete once merged',
    edit: (d) => appendFileSync(join(d, 'teams/frontend-team/personas.yml'), 'designer:\n  prompt: Design things.\n'),
    argv: ['validate'],
    code: 1,
    expect: /^teams\/frontend-team\/personas\.yml:\d+:1  error  merged-schema  personas\.designer: missing key "description" once merged \(target development\/frontend-team\/\w+\/web-application and others\)/m,
  },
  {
    name: 'an invalid permission rule',
    edit: (d) => writeFileSync(join(d, 'projects/api-service/claude-config.yml'), 'settings:\n  permissions:\n    allow:\n      - Bash()\n'),
    argv: ['validate'],
    code: 1,
    expect: /^projects\/api-service\/claude-config\.yml:4:9  error  permission-rule  invalid permission rule "Bash\(\)"/m,
  },
  {
    name: 'a dangling symbolic link (never followed: a finding naming it)',
    edit: (d) => {
      rmSync(join(d, 'teams/frontend-team/personas.yml'));
      symlinkSync(join(d, 'nowhere.yml'), join(d, 'teams/frontend-team/personas.yml'));
    },
    argv: ['validate'],
    code: 1,
    expect: /^teams\/frontend-team\/personas\.yml:1:1  error  repo-symlink  is a symbolic link/m,
  },
  {
    name: 'a target environment that does not exist',
    edit: () => {},
    argv: ['render', '--env', 'prod', '--team', 'frontend-team'],
    code: 2,
    expect: /^claude-env: unknown-target  unknown environment "prod"\n  environments: development, staging, production/m,
  },
  {
    name: 'a target team that does not exist',
    edit: () => {},
    argv: ['explain', 'settings.model', '--env', 'development', '--team', 'nope'],
    code: 2,
    expect: /unknown team "nope"\n  teams: backend-team, devops-team, frontend-team, platform-team/,
  },
  {
    name: 'a target user who is not a member',
    edit: () => {},
    argv: ['render', '--env', 'development', '--user', 'mallory'],
    code: 2,
    expect: /unknown user "mallory": not a member of any team/,
  },
  {
    name: 'a target project that does not exist',
    edit: () => {},
    argv: ['render', '--env', 'development', '--team', 'frontend-team', '--project', 'moonshot'],
    code: 2,
    expect: /unknown project "moonshot"\n  projects: api-service, data-pipeline, web-application/,
  },
  {
    name: 'a bad flag',
    edit: () => {},
    argv: ['render', '--envv', 'development'],
    code: 2,
    expect: /^claude-env: usage  Unknown option '--envv'\n  claude-env --help lists commands and options/,
  },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`reports ${c.name} with its place, exits ${c.code}, and changes no file`, async () => {
      const dir = await seed();
      c.edit(dir);
      const before = snapshot(dir);
      const r = await cli([...c.argv, '--repo', dir], { cwd: dir });
      assert.equal(r.code, c.code, `exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(c.code === 1 && c.argv[0] === 'validate' ? r.stdout : r.stderr, c.expect);
      assert.deepEqual(snapshot(dir), before, 'no file changed');
    });
  }

  it('says so when the directory is not a config repo, and exits 2', async () => {
    const dir = join(tmp.dir, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.yml'), 'a: 1\n');
    const r = await cli(['validate', '--repo', dir], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not-config-repo  .*plain is not a claude-env config repo: it has no claude-env\.yml/);
    const none = await cli(['validate'], { cwd: dir, env: { HOME: dir } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no config repo here/);
  });

  it('names a missing option value and an unknown command, with exit 2', async () => {
    const dir = await seed();
    const missing = await cli(['render', '--repo', dir, '--env'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^claude-env: usage  option '--env <env>' value is missing/);
    const unknown = await cli(['rendr', '--repo', dir], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^claude-env: usage  unknown command "rendr"\n  commands: demo, init, validate, render, explain/);
    const format = await cli(['validate', '--repo', dir, '--format', 'xml'], { cwd: dir });
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format must be one of: text, json, sarif \(got "xml"\)/);
  });

  it('reports errors as JSON with --json', async () => {
    const dir = await seed();
    const r = await cli(['explain', 'settings.model', '--repo', dir, '--env', 'qa', '--json'], { cwd: dir });
    assert.equal(r.code, 2);
    const err = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'unknown-target');
    assert.equal(err.error.message, 'unknown environment "qa"');
  });
});
