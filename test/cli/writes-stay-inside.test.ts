/**
 * Writes stay inside (issue 12): whoever writes a team or project layer (a
 * developer's own workflows.yml is enough) cannot make apply or render write
 * outside the folders claude-env manages, and a link the user made on their
 * machine is theirs: never written through, never replaced. Each case checks
 * what the user sees (the error names the file), that nothing outside the
 * managed folders changed (a snapshot of the whole sandbox), and that no
 * byte of a file outside the repo shows up in any output.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import { cli, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;

const seedRepo = join(tmp.dir, 'seed');
await initRepo(seedRepo, { PATH: process.env['PATH'] });
const target = ['--env', 'development', '--team', 'frontend-team', '--user', 'bob', '--project', 'web-application'];

/** A sandbox: a copy of the seed repo, a home with the user's own files, and a folder outside both. */
function sandbox(): { root: string; repo: string; home: string; outside: string } {
  const root = join(tmp.dir, `box${n++}`);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  cpSync(seedRepo, repo, { recursive: true });
  mkdirSync(join(home, 'notes'), { recursive: true });
  mkdirSync(join(home, '.claude'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(home, 'notes', 'todo.md'), '# my todo\n');
  writeFileSync(join(home, '.bashrc'), 'export PS1=mine\n');
  writeFileSync(join(home, '.claude', 'settings.json'), '{\n  "theme": "dark"\n}\n');
  writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET-BYTES-4711\n');
  return { root, repo, home, outside };
}

const env = (home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: 'test-token', ...extra });
const run = (args: string[], box: { repo: string; home: string }, extra: NodeJS.ProcessEnv = {}) =>
  cli([...args, '--repo', box.repo, ...(args[0] === 'validate' ? [] : ['--home', box.home])], { cwd: box.repo, env: env(box.home, extra) });
/** Every file of the sandbox but the repo (the test edits it) and claude-env's own state folder (its audit log and lock come and go), as one string per file. */
const files = (root: string): string[] => [...snapshot(root)].filter(([p]) => !p.startsWith('home/.claude-env/') && !p.startsWith('repo/')).map(([p, v]) => `${p} ${createHash('sha256').update(v).digest('hex').slice(0, 16)}`);
/** Appends to a repo file; returns the line the appended text starts on. */
function append(file: string, text: string): number {
  const line = readFileSync(file, 'utf8').split('\n').length;
  appendFileSync(file, text);
  return line;
}

describe('writes stay inside: names from a layer', () => {
  it('refuses a workflow whose name climbs out of .claude/commands, names its file, line and column, and writes nothing outside', async () => {
    const box = sandbox();
    const line = append(join(box.repo, 'teams/frontend-team/workflows.yml'), 'x/../../../notes/todo:\n  description: mine now\n  prompt: pwned\n');
    const before = files(box.root);
    // apply and its dry run refuse before anything is written, with the place of the name
    for (const extra of [[], ['--dry-run'], ['--force']]) {
      const r = await run(['apply', ...target, ...extra], box);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`claude-env: teams/frontend-team/workflows.yml:${line}:1  unsafe-path  workflow name "x/../../../notes/todo" has a ".." segment`), r.stderr);
    }
    // render refuses too, and so does render --all --out
    const render = await run(['render', ...target, '--outputs'], box);
    assert.equal(render.code, 1);
    assert.match(render.stderr, new RegExp(`workflows\\.yml:${line}:1  unsafe-path`));
    const out = join(box.root, 'out');
    const all = await run(['render', '--all', '--out', out], box);
    assert.equal(all.code, 1);
    assert.match(all.stderr, new RegExp(`workflows\\.yml:${line}:1  unsafe-path`));
    // nothing changed outside DIR (render --all may have written the targets before the one that holds the name), the user's todo least of all
    assert.deepEqual(files(box.root).filter((p) => !p.startsWith('out/')), before);
    // validate reports it once, at the key
    const v = await run(['validate', '--format', 'json'], box);
    assert.equal(v.code, 1);
    const found = (JSON.parse(v.stdout) as { findings: Array<{ rule: string; file: string; line: number }> }).findings.filter((f) => f.file === 'teams/frontend-team/workflows.yml');
    assert.deepEqual(found.map((f) => `${f.line} ${f.rule}`), [`${line} unsafe-path`]);
  });

  it('refuses a persona named to overwrite ~/.bashrc, and every other way a name can fail', async () => {
    const box = sandbox();
    const before = files(box.root);
    const names = ['../../.bashrc', '/etc/motd', 'a\\b', 'a\u0000b', 'evil\u001b[2J', '.', 'x'.repeat(300)];
    for (const name of names) {
      writeFileSync(join(box.repo, 'teams/frontend-team/personas.yml'), `${JSON.stringify(name)}:\n  description: d\n  prompt: p\n`);
      const r = await run(['apply', ...target], box);
      assert.equal(r.code, 1, `${JSON.stringify(name)}: ${r.stderr}`);
      assert.match(r.stderr, /^claude-env: teams\/frontend-team\/personas\.yml:1:1  unsafe-path  persona name "/, JSON.stringify(name));
      // a name never reaches the terminal raw
      assert.doesNotMatch(r.stderr, /[\u0000\u001b]/);
    }
    assert.deepEqual(files(box.root), before);
  });

  it('refuses a files key in a document, which would copy any file of the machine (/etc/passwd) into ~/.claude', async () => {
    const box = sandbox();
    appendFileSync(join(box.repo, 'teams/frontend-team/base-config.yml'), '\nfiles:\n  stolen.txt: ../outside/secret.txt\n  ../../.bashrc: base/files/hooks/format-on-edit.sh\n');
    const before = files(box.root);
    const r = await run(['apply', ...target], box);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /teams\/frontend-team\/base-config\.yml:\d+:1  files-in-document  files is the folder files\/ of a layer, not a key/);
    assert.deepEqual(files(box.root), before);
    const v = await run(['validate', '--format', 'sarif'], box);
    assert.match(v.stdout, /files-in-document/);
    for (const out of [r.stdout, r.stderr, v.stdout, v.stderr]) assert.doesNotMatch(out, /TOP-SECRET-BYTES/);
  });

  it("checks the machine's own layer (local-overrides.yml) the same way", async () => {
    const box = sandbox();
    writeFileSync(join(box.home, '.claude', 'local-overrides.yml'), 'personas:\n  ../../notes/todo:\n    description: d\n    prompt: p\n');
    const before = files(box.root);
    const r = await run(['apply', ...target], box);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /local-overrides\.yml:2:3  unsafe-path  persona name "\.\.\/\.\.\/notes\/todo"/);
    assert.deepEqual(files(box.root), before);
  });

  it('render --all --out refuses a member whose user name would climb out of DIR, and writes nothing outside DIR', async () => {
    const box = sandbox();
    appendFileSync(join(box.repo, 'teams/frontend-team/members.yml'), '- { user: "../../../escape", role: developer, projects: [web-application] }\n');
    const out = join(box.root, 'out');
    const before = files(box.root);
    const r = await run(['render', '--all', '--out', out], box);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsafe-path  target name "\.\.\/\.\.\/\.\.\/escape" has a "\/"/);
    assert.deepEqual(files(box.root).filter((p) => !p.startsWith('out/')), before);
    assert.equal(existsSync(join(box.root, 'escape')), false);
  });

  it('writes a namespaced workflow (<namespace>/<name>) to .claude/commands/<namespace>/<name>.md, and validate accepts it', async () => {
    const box = sandbox();
    appendFileSync(join(box.repo, 'teams/frontend-team/workflows.yml'), 'frontend/new-page:\n  description: A page\n  prompt: Make a page.\n');
    const v = await run(['validate'], box);
    assert.equal(v.code, 0, v.stdout);
    const r = await run(['apply', ...target], box);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(box.home, '.claude', 'commands', 'frontend', 'new-page.md'), 'utf8'), /Make a page\./);
  });
});

describe('writes stay inside: links on the machine', () => {
  it("leaves a symlinked settings.json (a dotfiles farm) as it is, even with --force: a conflict named in the report", async () => {
    const box = sandbox();
    const dotfiles = join(box.root, 'dotfiles');
    mkdirSync(dotfiles);
    writeFileSync(join(dotfiles, 'settings.json'), '{"theme": "light"}\n');
    rmSync(join(box.home, '.claude', 'settings.json'));
    symlinkSync(join(dotfiles, 'settings.json'), join(box.home, '.claude', 'settings.json'));
    for (const extra of [[], ['--force']]) {
      const r = await run(['apply', ...target, '--json', ...extra], box);
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as { conflicts: Array<{ path: string; message: string }>; written: Array<{ path: string }> };
      assert.deepEqual(report.conflicts.map((c) => c.path), ['.claude/settings.json']);
      assert.match(report.conflicts[0]!.message, /\.claude\/settings\.json is a symbolic link: claude-env never writes through one, nor replaces it/);
    }
    assert.ok(lstatSync(join(box.home, '.claude', 'settings.json')).isSymbolicLink(), 'the link is still a link');
    assert.equal(readFileSync(join(dotfiles, 'settings.json'), 'utf8'), '{"theme": "light"}\n');
    // the rest of the target was applied
    assert.ok(existsSync(join(box.home, '.claude', 'agents', 'code-reviewer.md')));
  });

  it('refuses to write through a folder of .claude that links outside it', async () => {
    const box = sandbox();
    const elsewhere = join(box.root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(box.home, '.claude', 'agents'));
    const r = await run(['apply', ...target, '--json', '--force'], box);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { conflicts: Array<{ path: string; message: string }> };
    assert.ok(report.conflicts.length >= 4 && report.conflicts.every((c) => c.path.startsWith('.claude/agents/')), r.stdout);
    assert.match(report.conflicts[0]!.message, /a symbolic link to a folder outside .*\.claude: claude-env never writes through one/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it('follows a folder link that leads back inside .claude, and a .claude that links into the user\'s dotfiles (the user chose both)', async () => {
    const box = sandbox();
    // ~/.claude -> ~/dotfiles/claude, and in it agents -> team-agents
    const real = join(box.root, 'dotfiles', 'claude');
    mkdirSync(join(real, 'team-agents'), { recursive: true });
    rmSync(join(box.home, '.claude'), { recursive: true });
    symlinkSync(real, join(box.home, '.claude'));
    symlinkSync(join(real, 'team-agents'), join(real, 'agents'));
    const r = await run(['apply', ...target], box);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(real, 'team-agents', 'code-reviewer.md')));
    assert.ok(existsSync(join(real, 'settings.json')));
    assert.ok(lstatSync(join(box.home, '.claude')).isSymbolicLink());
  });

  it("leaves a project's .mcp.json that is a link as it is (a project checkout can commit one)", async () => {
    const box = sandbox();
    const project = join(box.root, 'checkout');
    mkdirSync(project);
    symlinkSync(join(box.home, '.bashrc'), join(project, '.mcp.json'));
    const r = await run(['apply', ...target, '--project-dir', project, '--json'], box);
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.stdout) as { conflicts: Array<{ path: string }> }).conflicts.map((c) => c.path), ['@project/.mcp.json']);
    assert.equal(readFileSync(join(box.home, '.bashrc'), 'utf8'), 'export PS1=mine\n');
    assert.ok(lstatSync(join(project, '.mcp.json')).isSymbolicLink());
  });

  it('render --all --out refuses a folder in DIR that links elsewhere, and writes nothing there', async () => {
    const box = sandbox();
    const out = join(box.root, 'out');
    const elsewhere = join(box.root, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, 'development'));
    const r = await run(['render', '--all', '--out', out, '--env', 'development'], box);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsafe-path  .*out\/development\/.* is in .*out\/development, a symbolic link to a folder outside .*out/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it('rollback does not remove files through a folder that became a link since the apply', async () => {
    const box = sandbox();
    const first = await run(['apply', ...target], box);
    assert.equal(first.code, 0, first.stderr);
    // the user moves their agents to a shared folder and links it; an agent of theirs lives there now
    const shared = join(box.root, 'shared-agents');
    cpSync(join(box.home, '.claude', 'agents'), shared, { recursive: true });
    rmSync(join(box.home, '.claude', 'agents'), { recursive: true });
    symlinkSync(shared, join(box.home, '.claude', 'agents'));
    const before = files(box.root);
    const r = await run(['rollback'], box);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /unsafe-path  .*agents\/.*\.md is in .*\.claude\/agents, a symbolic link to a folder outside/);
    assert.deepEqual(files(box.root), before);
  });
});
