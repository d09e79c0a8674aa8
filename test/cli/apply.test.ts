/**
 * `apply` and `rollback` on a sandbox home, as a developer lives with them:
 * the user's own content survives every apply and rollback, a second apply
 * changes nothing, files in the way are conflicts, and every fault leaves
 * every byte as it was.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, cli, fixture, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const repo = fixture('merge-rules');
const target = ['--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];

/** A home with the user's own things in every shared file. */
function userHome(): string {
  const home = join(tmp.dir, `home${n++}`);
  mkdirSync(join(home, '.claude', 'agents'), { recursive: true });
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ numStartups: 7, oauthAccount: { emailAddress: 'ann@example.com' }, projects: { '/work': { hasTrustDialogAccepted: true } }, mcpServers: { mine: { type: 'stdio', command: 'my-server', args: [], env: {} } } }, null, 2), { mode: 0o600 });
  writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify({ theme: 'dark', permissions: { additionalDirectories: ['/data'] } }, null, 2));
  writeFileSync(join(home, '.claude', 'CLAUDE.md'), '# Ann\n\nMy own notes.\n');
  writeFileSync(join(home, '.claude', 'agents', 'my-helper.md'), '---\nname: my-helper\ndescription: mine\n---\nHelp me.\n');
  return home;
}
const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));
const run = (args: string[], home: string, env: NodeJS.ProcessEnv = {}) => cli([...args, '--home', home], { env: { HOME: home, PATH: process.env['PATH'], ...env } });

/** What the user owns, read back: it must never change. */
function usersPart(home: string): unknown {
  const c = json(join(home, '.claude.json'));
  const s = json(join(home, '.claude', 'settings.json'));
  const md = readFileSync(join(home, '.claude', 'CLAUDE.md'), 'utf8');
  return {
    claude: { numStartups: c['numStartups'], oauthAccount: c['oauthAccount'], projects: c['projects'], mine: c['mcpServers']['mine'] },
    settings: { theme: s['theme'], additionalDirectories: s['permissions']['additionalDirectories'] },
    // the block and the blank line that sets it apart are claude-env's
    mdOutside: md.replace(/\n?<!-- claude-env:begin -->[\s\S]*<!-- claude-env:end -->\n?/, ''),
    agent: readFileSync(join(home, '.claude', 'agents', 'my-helper.md'), 'utf8'),
  };
}

describe('apply', () => {
  it("writes the target's files and keeps everything of the user's, through apply, re-apply and rollback", async () => {
    const home = userHome();
    const before = usersPart(home);
    const r = await run(['apply', ...target, '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { written: Array<{ path: string; action: string }>; restore_point: string };
    assert.deepEqual(report.written.map((w) => `${w.action} ${w.path}`), [
      'update .claude.json',
      'update .claude/CLAUDE.md',
      'create .claude/agents/reviewer.md',
      'create .claude/commands/release.md',
      'create .claude/hooks/fmt.sh',
      'create .claude/notes.md',
      'update .claude/settings.json',
    ]);
    assert.deepEqual(usersPart(home), before, "the user's part is untouched");
    const c = json(join(home, '.claude.json'));
    assert.deepEqual(Object.keys(c['mcpServers']), ['mine', 'docs', 'memory']);
    assert.equal(json(join(home, '.claude', 'settings.json'))['permissions']['defaultMode'], 'acceptEdits');
    assert.match(readFileSync(join(home, '.claude', 'CLAUDE.md'), 'utf8'), /^# Ann\n\nMy own notes\.\n\n<!-- claude-env:begin -->\nBase paragraph\./);
    // a second apply changes nothing: no write, no restore point
    const points = readdirSync(join(home, '.claude-env', 'restore')).length;
    const snap = snapshot(home);
    const again = await run(['apply', ...target, '--json'], home);
    assert.deepEqual(JSON.parse(again.stdout).written, []);
    assert.equal(readdirSync(join(home, '.claude-env', 'restore')).length, points);
    assert.deepEqual(snapshot(join(home, '.claude')), new Map([...snap].filter(([p]) => p.startsWith('.claude/')).map(([p, v]) => [p.slice(8), v])));
    // rollback puts back the files as they were before the first apply
    const back = await run(['rollback', '--to', report.restore_point], home);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(existsSync(join(home, '.claude', 'agents', 'reviewer.md')), false);
    assert.deepEqual(json(join(home, '.claude.json'))['mcpServers'], { mine: { type: 'stdio', command: 'my-server', args: [], env: {} } });
    assert.equal(readFileSync(join(home, '.claude', 'CLAUDE.md'), 'utf8'), '# Ann\n\nMy own notes.\n');
    assert.deepEqual(usersPart(home), before);
  });

  it('writes .claude.json with mode 0600 and an executable hook script with 0755', async () => {
    const home = userHome();
    chmodSync(join(home, '.claude.json'), 0o644);
    assert.equal((await run(['apply', ...target], home)).code, 0);
    const mode = (p: string): number => snapshotMode(join(home, p));
    assert.equal(mode('.claude.json'), 0o600);
    assert.equal(mode('.claude/hooks/fmt.sh'), 0o755);
  });

  it('shows the plan with --dry-run and writes nothing', async () => {
    const home = userHome();
    const before = snapshot(home);
    const r = await run(['apply', ...target, '--dry-run'], home);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^plan for development\/web\/ann\/shop: would write 7, would remove 0, unchanged 0, conflicts 0\n/);
    assert.deepEqual(snapshot(home), before);
  });

  it("reports a user's own file in the way as a conflict (exit 1), and replaces it with --force after saving it", async () => {
    const home = userHome();
    writeFileSync(join(home, '.claude', 'agents', 'reviewer.md'), 'my own reviewer\n');
    const r = await run(['apply', ...target], home);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /conflict +\.claude\/agents\/reviewer\.md exists and claude-env did not write it/);
    assert.equal(readFileSync(join(home, '.claude', 'agents', 'reviewer.md'), 'utf8'), 'my own reviewer\n');
    const forced = await run(['apply', ...target, '--force', '--json'], home);
    assert.equal(forced.code, 0);
    assert.match(readFileSync(join(home, '.claude', 'agents', 'reviewer.md'), 'utf8'), /^---\nname: reviewer\n/);
    assert.equal((await run(['rollback'], home)).code, 0);
    assert.equal(readFileSync(join(home, '.claude', 'agents', 'reviewer.md'), 'utf8'), 'my own reviewer\n');
  });

  it('removes the files it wrote that the target no longer has, and only those', async () => {
    const home = userHome();
    const dir = join(tmp.dir, `repo${n++}`);
    cpSync(repo, dir, { recursive: true });
    const t = ['--repo', dir, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];
    assert.equal((await run(['apply', ...t], home)).code, 0);
    rmSync(join(dir, 'base', 'personas', 'reviewer.yml'));
    rmSync(join(dir, 'teams', 'web', 'personas.yml'));
    const r = await run(['apply', ...t, '--json'], home);
    assert.deepEqual(JSON.parse(r.stdout).removed, ['.claude/agents/reviewer.md']);
    assert.equal(existsSync(join(home, '.claude', 'agents', 'reviewer.md')), false);
    assert.ok(existsSync(join(home, '.claude', 'agents', 'my-helper.md')));
  });

  it('saves a settings.json the user broke by hand, then writes a good one', async () => {
    const home = userHome();
    writeFileSync(join(home, '.claude', 'settings.json'), '{ "theme": "dark", ');
    const r = await run(['apply', ...target, '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).written.some((w: { path: string; action: string }) => w.path === '.claude/settings.json' && w.action === 'repair'));
    assert.equal(json(join(home, '.claude', 'settings.json'))['model'], 'haiku');
    assert.equal((await run(['rollback'], home)).code, 0);
    assert.equal(readFileSync(join(home, '.claude', 'settings.json'), 'utf8'), '{ "theme": "dark", ');
  });

  it('writes where CLAUDE_CONFIG_DIR says, .claude.json included', async () => {
    const home = userHome();
    const cfg = join(tmp.dir, `cfg${n++}`);
    assert.equal((await run(['apply', ...target], home, { CLAUDE_CONFIG_DIR: cfg })).code, 0);
    assert.ok(existsSync(join(cfg, 'settings.json')));
    assert.ok(existsSync(join(cfg, '.claude.json')));
    assert.equal(existsSync(join(home, '.claude', 'agents', 'reviewer.md')), false);
  });
});

describe('faults', () => {
  const cases: Array<{ name: string; setup(home: string): void; args?: string[]; env?: NodeJS.ProcessEnv; code: number; message: RegExp }> = [
    {
      name: 'a lock held by another running claude-env',
      setup: (home) => {
        mkdirSync(join(home, '.claude-env'), { recursive: true });
        writeFileSync(join(home, '.claude-env', 'lock'), JSON.stringify({ pid: process.pid, host: hostnameOf(), command: 'apply development/web/bob', since: '2026-11-25T00:00:00Z' }));
      },
      code: 2,
      message: /lock-held  another claude-env is changing this machine: apply development\/web\/bob \(pid \d+/,
    },
    {
      name: 'a damaged state file',
      setup: (home) => {
        mkdirSync(join(home, '.claude-env'), { recursive: true });
        writeFileSync(join(home, '.claude-env', 'state.json'), '{"version": 1, "outputs": ');
      },
      code: 2,
      message: /state-corrupt  the machine state .*state\.json is damaged/,
    },
    {
      name: 'a home where .claude is a file, not a folder',
      setup: (home) => {
        rmSync(join(home, '.claude'), { recursive: true });
        writeFileSync(join(home, '.claude'), 'not a folder');
      },
      code: 2,
      message: /write-failed  cannot write .*\/\.claude: a file is in the way of a folder; nothing was changed/,
    },
    {
      name: 'a disk that fills up half-way through a file',
      setup: () => {},
      env: { CLAUDE_ENV_FAIL_WRITE_AT: '3' },
      code: 2,
      message: /write-failed  cannot write .*: ENOSPC; nothing was changed/,
    },
    {
      name: 'a write that lands damaged, caught by the post-apply check and rolled back',
      setup: () => {},
      env: { CLAUDE_ENV_CORRUPT_WRITE_AT: '2' },
      code: 2,
      message: /apply-check-failed  .* (does not hold what was written|does not parse after writing); every file was put back as it was/,
    },
    {
      name: 'a .claude.json that does not parse',
      setup: (home) => writeFileSync(join(home, '.claude.json'), '{"oauthAccount": {'),
      code: 2,
      message: /\.claude\.json is not valid JSON/,
    },
  ];
  for (const c of cases) {
    it(`stops on ${c.name} with exit ${c.code}, says why, and changes no byte of the home`, async () => {
      const home = userHome();
      c.setup(home);
      const before = snapshot(home);
      const r = await run(['apply', ...target, ...(c.args ?? [])], home, c.env ?? {});
      assert.equal(r.code, c.code, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, c.message);
      const after = snapshot(home);
      // claude-env's own folder may gain a restore point and audit lines; the user's files may not change.
      const mine = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([p]) => !p.startsWith('.claude-env/')));
      assert.deepEqual(mine(after), mine(before));
    });
  }

  it('refuses an invalid repo with the place of the error (exit 1) and writes nothing', async () => {
    const home = userHome();
    const dir = join(tmp.dir, `bad-repo${n++}`);
    cpSync(repo, dir, { recursive: true });
    writeFileSync(join(dir, 'teams', 'web', 'base-config.yml'), 'settings:\n  model: [sonnet\n');
    const before = snapshot(home);
    const r = await run(['apply', '--repo', dir, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'], home);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^claude-env: teams\/web\/base-config\.yml:\d+:\d+  yaml-syntax  /);
    assert.deepEqual(snapshot(home), before);
  });

  it('takes over the lock of a claude-env that died', async () => {
    const home = userHome();
    mkdirSync(join(home, '.claude-env'), { recursive: true });
    writeFileSync(join(home, '.claude-env', 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostnameOf(), command: 'apply', since: '2026-11-25T00:00:00Z' }));
    assert.equal((await run(['apply', ...target], home)).code, 0);
  });

  it('refuses a damaged restore point and changes nothing', async () => {
    const home = userHome();
    const r = await run(['apply', ...target, '--json'], home);
    const id = JSON.parse(r.stdout).restore_point as string;
    rmSync(join(home, '.claude-env', 'restore', id, 'f0000'));
    const before = snapshot(home);
    const back = await run(['rollback', '--to', id], home);
    assert.equal(back.code, 2);
    assert.match(back.stderr, new RegExp(`restore-point-corrupt  restore point ${id} is damaged: f0000 is missing`));
    const mine = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([p]) => !p.startsWith('.claude-env/')));
    assert.deepEqual(mine(snapshot(home)), mine(before));
  });
});

import { statSync } from 'node:fs';
import { hostname } from 'node:os';
function snapshotMode(p: string): number {
  return statSync(p).mode & 0o777;
}
function hostnameOf(): string {
  return hostname();
}

describe('apply into a home it may not write', () => {
  it('stops with exit 2, names the folder it cannot create, and changes nothing', async () => {
    // A real permission denial: as root the CLI runs as "nobody" (root may write anywhere); otherwise as ourselves.
    const box = join(tmp.dir, `unwritable${n++}`);
    const home = join(box, 'home');
    const repoCopy = join(box, 'repo');
    mkdirSync(home, { recursive: true });
    cpSync(repo, repoCopy, { recursive: true });
    for (const d of [tmp.dir, box]) chmodSync(d, 0o755);
    writeFileSync(join(home, 'notes.txt'), 'mine\n');
    chmodSync(home, 0o555);
    const before = snapshot(home);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'claude-env.js'), 'apply', ...target.slice(2), '--repo', repoCopy, '--home', home], {
      ...asNobody,
      env: { PATH: process.env['PATH'], HOME: home, CLAUDE_ENV_CACHE: 'off' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    chmodSync(home, 0o755);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, `claude-env: ${join(home, '.claude-env')}  io-error  cannot create the folder ${join(home, '.claude-env')}: permission denied\n`);
    assert.deepEqual(snapshot(home), before);
  });
});
