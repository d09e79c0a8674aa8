/**
 * `rollback` on a machine where Claude Code and the user kept working after
 * apply: in every shared file (`.claude.json`, settings.json, CLAUDE.md, the
 * project's `.mcp.json`) their changes stay and only claude-env's part goes
 * back as the restore point has it; a file apply created goes only if nobody
 * changed it since; and the rollback can itself be rolled back.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, snapshot, tempDir } from '../helpers.js';
import { runWhileClaudeHoldsItsLock, runWhileClaudeKeepsItsLock } from '../support/claude-lock.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;

// The merge-rules repo, with a server of the shop project's own: it goes to the project's .mcp.json.
const repo = join(tmp.dir, 'repo');
cpSync(fixture('merge-rules'), repo, { recursive: true });
appendFileSync(join(repo, 'projects', 'shop', 'claude-config.yml'), 'mcpServers:\n  shop-memory:\n    command: node\n    args: [shop.js]\n');
const target = ['--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];

type Obj = Record<string, any>;
const json = (p: string): Obj => JSON.parse(readFileSync(p, 'utf8'));
/** Written the way Claude Code writes `.claude.json` and `claude mcp add -s project` writes `.mcp.json`: 2-space, no trailing newline. */
const writeClaudeWay = (p: string, v: unknown, mode = 0o600): void => writeFileSync(p, JSON.stringify(v, null, 2), { mode });

interface Machine {
  home: string;
  project: string;
  /** Absolute path of a shared file by its output path. */
  at(path: string): string;
  run(args: string[]): ReturnType<typeof cli>;
}

/** A developer machine; with `existing`, the user already has content of their own in every shared file. */
function machine(existing: boolean): Machine {
  const home = join(tmp.dir, `home${n++}`);
  const project = join(home, 'src', 'shop');
  mkdirSync(join(home, '.claude'), { recursive: true });
  mkdirSync(project, { recursive: true });
  const at = (path: string): string => (path === '@project/.mcp.json' ? join(project, '.mcp.json') : join(home, path));
  if (existing) {
    writeClaudeWay(at('.claude.json'), { numStartups: 7, projects: { '/work': { hasTrustDialogAccepted: true } }, mcpServers: { mine: { type: 'stdio', command: 'my-server', args: [], env: {} } } });
    writeFileSync(at('.claude/settings.json'), `${JSON.stringify({ model: 'opus', permissions: { additionalDirectories: ['/data'] } }, null, 2)}\n`);
    writeFileSync(at('.claude/CLAUDE.md'), '# Ann\n\nMy own notes.\n');
    writeFileSync(at('@project/.mcp.json'), `${JSON.stringify({ mcpServers: { team: { command: 'team-server' } } }, null, 2)}\n`);
  }
  const run = (args: string[]) => cli([...args, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });
  return { home, project, at, run };
}

/** What Claude Code and the user do after apply, in each shared file. */
const LIVE_CHANGES: Record<string, (m: Machine) => void> = {
  // Claude logs the user in and counts a start; the user adds a server with `claude mcp add -s user`.
  '.claude.json': (m) => {
    const c = json(m.at('.claude.json'));
    c['numStartups'] = (c['numStartups'] ?? 0) + 1;
    c['oauthAccount'] = { emailAddress: 'ann@example.com', accountUuid: 'a-1' };
    c['mcpServers']['added'] = { type: 'stdio', command: 'added-server', args: [], env: {} };
    writeClaudeWay(m.at('.claude.json'), c);
  },
  // /config sets a theme
  '.claude/settings.json': (m) => {
    const s = json(m.at('.claude/settings.json'));
    s['theme'] = 'light';
    writeFileSync(m.at('.claude/settings.json'), `${JSON.stringify(s, null, 2)}\n`);
  },
  // notes before and after the managed block
  '.claude/CLAUDE.md': (m) => writeFileSync(m.at('.claude/CLAUDE.md'), `# Top note\n\n${readFileSync(m.at('.claude/CLAUDE.md'), 'utf8')}\nNotes of the day.\n`),
  // the team adds a server of theirs to the project's file
  '@project/.mcp.json': (m) => {
    const p = json(m.at('@project/.mcp.json'));
    p['mcpServers']['theirs'] = { type: 'stdio', command: 'their-server', args: [] };
    writeClaudeWay(m.at('@project/.mcp.json'), p, 0o644);
  },
};

const BLOCK = /<!-- claude-env:begin -->[\s\S]*<!-- claude-env:end -->/;

/** Per shared file: whether claude-env's part is there, and that everything of theirs (before apply and since) is. */
const SHARED: Array<{ path: string; ours(m: Machine): boolean; theirs(m: Machine, existing: boolean, oursThere: boolean): void; format?(m: Machine): void }> = [
  {
    path: '.claude.json',
    ours: (m) => {
      const s = json(m.at('.claude.json'))['mcpServers'] ?? {};
      return 'docs' in s && 'memory' in s;
    },
    theirs: (m, existing) => {
      const c = json(m.at('.claude.json'));
      assert.deepEqual(c['oauthAccount'], { emailAddress: 'ann@example.com', accountUuid: 'a-1' });
      assert.deepEqual(c['mcpServers']['added'], { type: 'stdio', command: 'added-server', args: [], env: {} });
      assert.equal(c['numStartups'], existing ? 8 : 1);
      if (existing) {
        assert.deepEqual(c['projects'], { '/work': { hasTrustDialogAccepted: true } });
        assert.deepEqual(c['mcpServers']['mine'], { type: 'stdio', command: 'my-server', args: [], env: {} });
      }
    },
    // written the Claude way: 2-space JSON, no trailing newline, 0600
    format: (m) => {
      const text = readFileSync(m.at('.claude.json'), 'utf8');
      assert.equal(text, JSON.stringify(JSON.parse(text), null, 2));
      assert.equal(statSync(m.at('.claude.json')).mode & 0o777, 0o600);
    },
  },
  {
    path: '.claude/settings.json',
    ours: (m) => {
      const s = json(m.at('.claude/settings.json'));
      return s['model'] === 'haiku' && s['permissions']?.['defaultMode'] === 'acceptEdits' && s['env']?.['TEAM_ENV'] === 'dev-web';
    },
    theirs: (m, existing, oursThere) => {
      const s = json(m.at('.claude/settings.json'));
      assert.equal(s['theme'], 'light');
      if (existing) assert.deepEqual(s['permissions']['additionalDirectories'], ['/data']);
      // without claude-env's keys: the user's own model, which apply set over, is back, and nothing else is left
      if (!oursThere) assert.deepEqual(s, existing ? { model: 'opus', permissions: { additionalDirectories: ['/data'] }, theme: 'light' } : { theme: 'light' });
    },
  },
  {
    path: '.claude/CLAUDE.md',
    ours: (m) => BLOCK.test(readFileSync(m.at('.claude/CLAUDE.md'), 'utf8')),
    theirs: (m, existing) => {
      const md = readFileSync(m.at('.claude/CLAUDE.md'), 'utf8');
      assert.equal(md.replace(/\n?<!-- claude-env:begin -->[\s\S]*<!-- claude-env:end -->\n?/, ''), existing ? '# Top note\n\n# Ann\n\nMy own notes.\n\nNotes of the day.\n' : '# Top note\n\nNotes of the day.\n');
    },
  },
  {
    path: '@project/.mcp.json',
    ours: (m) => 'shop-memory' in (json(m.at('@project/.mcp.json'))['mcpServers'] ?? {}),
    theirs: (m, existing) => {
      const p = json(m.at('@project/.mcp.json'));
      assert.deepEqual(Object.keys(p['mcpServers']).filter((s) => s !== 'shop-memory'), existing ? ['team', 'theirs'] : ['theirs']);
    },
  },
];

interface Report {
  saved_as: string;
  files: Array<{ path: string; action: string; reason?: string; taken_out?: string[]; put_back?: string[] }>;
}

describe('rollback of a shared file that Claude Code and the user changed since apply', () => {
  for (const existing of [false, true]) {
    for (const f of SHARED) {
      const when = existing ? 'that held the user’s own content before' : 'that apply created';
      it(`keeps their changes to ${f.path} ${when}, takes out only claude-env’s part, and a rollback of the rollback brings it back`, async () => {
        const m = machine(existing);
        const applied = await m.run(['apply', ...target, '--project-dir', m.project, '--json']);
        assert.equal(applied.code, 0, applied.stderr);
        assert.ok(JSON.parse(applied.stdout).written.some((w: Obj) => w['path'] === f.path && w['action'] === (existing ? 'update' : 'create')), applied.stdout);
        assert.ok(f.ours(m), 'apply wrote claude-env’s part');
        for (const change of Object.values(LIVE_CHANGES)) change(m);
        const lived = readFileSync(m.at(f.path), 'utf8');
        // rollback: their changes stay, claude-env's part goes, and the report says so
        const r = await m.run(['rollback', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        const line = report.files.find((x) => x.path === f.path);
        assert.equal(line?.action, 'take-out', r.stdout);
        assert.equal(line?.reason, 'changed since claude-env wrote it');
        assert.ok((line?.taken_out?.length ?? 0) + (line?.put_back?.length ?? 0) > 0, r.stdout);
        assert.equal(f.ours(m), false, 'claude-env’s part is gone');
        f.theirs(m, existing, false);
        f.format?.(m);
        // rollback of that rollback: claude-env's part is back, theirs still there
        const again = await m.run(['rollback', '--json']);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((JSON.parse(again.stdout) as Report).files.find((x) => x.path === f.path)?.action, 'restore');
        assert.ok(f.ours(m), 'claude-env’s part is back');
        f.theirs(m, existing, true);
        f.format?.(m);
        assert.equal(readFileSync(m.at(f.path), 'utf8'), lived, 'byte for byte as before the first rollback');
      });
    }
  }
});

describe('rollback', () => {
  it('removes every file apply created when nobody changed it since, shared ones included', async () => {
    const m = machine(false);
    const before = snapshot(m.home);
    assert.equal((await m.run(['apply', ...target, '--project-dir', m.project])).code, 0);
    const r = await m.run(['rollback', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      report.files.map((x) => `${x.action} ${x.path}`),
      [
        'remove .claude.json',
        'remove .claude/CLAUDE.md',
        'remove .claude/agents/reviewer.md',
        'remove .claude/commands/release.md',
        'remove .claude/hooks/fmt.sh',
        'remove .claude/notes.md',
        'remove .claude/settings.json',
        'remove @project/.mcp.json',
      ],
    );
    const mine = (s: Map<string, string>): string[] => [...s.keys()].filter((p) => !p.startsWith('.claude-env/')).sort();
    assert.deepEqual(mine(snapshot(m.home)), mine(before));
  });

  it('keeps an agent apply created that the user edited since, removes the untouched ones, and says which', async () => {
    const m = machine(false);
    assert.equal((await m.run(['apply', ...target])).code, 0);
    const agent = m.at('.claude/agents/reviewer.md');
    writeFileSync(agent, `${readFileSync(agent, 'utf8')}\nAlso check the tests.\n`);
    const r = await m.run(['rollback']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rolled back to \S+ \(7 file\(s\)\); the files as they were are in restore point \S+\n/);
    assert.match(r.stdout, /\n {2}kept {7}\.claude\/agents\/reviewer\.md: changed since claude-env wrote it; kept as it is\n/);
    assert.match(r.stdout, /\n {2}removed {4}\.claude\/commands\/release\.md\n/);
    assert.match(readFileSync(agent, 'utf8'), /Also check the tests\.\n$/);
    assert.equal(existsSync(m.at('.claude/commands/release.md')), false);
    // the kept agent is the user's now: the next apply reports it in the way instead of writing over it
    const next = await m.run(['apply', ...target]);
    assert.equal(next.code, 1);
    assert.match(next.stdout, /conflict +\.claude\/agents\/reviewer\.md exists and claude-env did not write it/);
  });

  it("puts back the user's own agent that apply --force replaced, even edited since, and says where the edit is kept", async () => {
    const m = machine(false);
    const agent = m.at('.claude/agents/reviewer.md');
    mkdirSync(join(m.home, '.claude', 'agents'), { recursive: true });
    writeFileSync(agent, 'my own reviewer\n');
    assert.equal((await m.run(['apply', ...target, '--force'])).code, 0);
    writeFileSync(agent, `${readFileSync(agent, 'utf8')}\nAlso check the tests.\n`);
    const r = await m.run(['rollback']);
    assert.equal(r.code, 0, r.stderr);
    const [, savedAs] = /the files as they were are in restore point (\S+)\n/.exec(r.stdout) ?? [];
    assert.match(r.stdout, new RegExp(`\n {2}restored {3}\\.claude/agents/reviewer\\.md: changed since claude-env wrote it; the changed file is in restore point ${savedAs}\n`));
    assert.equal(readFileSync(agent, 'utf8'), 'my own reviewer\n');
    // and rolling back the rollback gives the edited one back
    assert.equal((await m.run(['rollback', '--to', savedAs!])).code, 0);
    assert.match(readFileSync(agent, 'utf8'), /Also check the tests\.\n$/);
  });

  it('says in text which part of a shared file it took out', async () => {
    const m = machine(true);
    assert.equal((await m.run(['apply', ...target])).code, 0);
    LIVE_CHANGES['.claude.json']!(m);
    const r = await m.run(['rollback']);
    assert.match(r.stdout, /\n {2}took out {3}\.claude\.json: changed since claude-env wrote it; claude-env's docs, memory, shop-memory taken out; everything else kept as it is\n/);
    assert.match(r.stdout, /\n {2}restored {3}\.claude\/settings\.json\n/);
  });

  it('rolls back several applies at once with --to, keeping the server Claude Code added in between', async () => {
    const m = machine(true);
    const first = JSON.parse((await m.run(['apply', ...target, '--json'])).stdout).restore_point as string;
    LIVE_CHANGES['.claude.json']!(m);
    // the repo enables one more server; the second apply adds it
    const dir = join(tmp.dir, `repo${n++}`);
    cpSync(repo, dir, { recursive: true });
    writeFileSync(join(dir, 'base', 'mcp', 'extra.yml'), 'command: extra-server\n');
    const second = await m.run(['apply', ...target.map((a) => (a === repo ? dir : a)), '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.ok('extra' in json(m.at('.claude.json'))['mcpServers']);
    const r = await m.run(['rollback', '--to', first]);
    assert.equal(r.code, 0, r.stderr);
    const c = json(m.at('.claude.json'));
    assert.deepEqual(Object.keys(c['mcpServers']), ['mine', 'added']);
    assert.deepEqual(c['oauthAccount'], { emailAddress: 'ann@example.com', accountUuid: 'a-1' });
  });

  it('never writes over a .claude.json that someone broke since: one apply created stays, an older one comes back whole', async () => {
    for (const existing of [false, true]) {
      const m = machine(existing);
      const before = existing ? readFileSync(m.at('.claude.json'), 'utf8') : undefined;
      assert.equal((await m.run(['apply', ...target])).code, 0);
      writeFileSync(m.at('.claude.json'), '{"oauthAccount": {');
      const r = JSON.parse((await m.run(['rollback', '--json'])).stdout) as Report;
      const line = r.files.find((x) => x.path === '.claude.json');
      assert.deepEqual([line?.action, line?.reason], [existing ? 'restore' : 'keep-changed', 'changed since claude-env wrote it and is not valid JSON']);
      assert.equal(readFileSync(m.at('.claude.json'), 'utf8'), before ?? '{"oauthAccount": {');
    }
  });

  it('after a failed post-apply check on a fresh home, leaves no file behind, the damaged one included', async () => {
    const m = machine(false);
    const before = snapshot(m.home);
    const r = await cli(['apply', ...target, '--project-dir', m.project, '--home', m.home], { env: { HOME: m.home, PATH: process.env['PATH'], CLAUDE_ENV_CORRUPT_WRITE_AT: '3' } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /apply-check-failed  .*; every file was put back as it was/);
    const mine = (s: Map<string, string>): Map<string, string> => new Map([...s].filter(([p]) => !p.startsWith('.claude-env/')));
    assert.deepEqual(mine(snapshot(m.home)), mine(before));
  });
});

describe("rollback and Claude Code's .claude.json.lock", () => {
  /** An applied machine whose .claude.json Claude Code changed since: the rollback takes claude-env's servers out of it. */
  async function appliedAndChanged(): Promise<{ m: Machine; changed: string }> {
    const m = machine(true);
    assert.equal((await m.run(['apply', ...target, '--project-dir', m.project])).code, 0);
    LIVE_CHANGES['.claude.json']!(m);
    return { m, changed: readFileSync(m.at('.claude.json'), 'utf8') };
  }

  it('rollback waits for a held .claude.json.lock, writes nothing meanwhile, then takes out claude-env\'s servers', async () => {
    const { m, changed } = await appliedAndChanged();
    const held = await runWhileClaudeHoldsItsLock(m.home, () => m.run(['rollback', '--json']));
    // it was still waiting when Claude Code let go, and had not touched the file
    assert.equal(held.finishedWhileHeld, false);
    assert.equal(held.whileHeld, changed);
    // then it rolled back: claude-env's servers are gone, Claude Code's changes stay
    assert.equal(held.run.code, 0, held.run.stderr);
    const servers = json(m.at('.claude.json'))['mcpServers'];
    assert.deepEqual(Object.keys(servers).sort(), ['added', 'mine']);
  });

  it('with a short --wait, fails with lock-held naming the lock and changes nothing', async () => {
    const { m } = await appliedAndChanged();
    const usersFiles = (): Map<string, string> => new Map([...snapshot(m.home)].filter(([p]) => !p.startsWith('.claude-env/')));
    const before = usersFiles();
    const r = await runWhileClaudeKeepsItsLock(m.home, () => m.run(['rollback', '--wait', '0.2']));
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /\.claude\.json\.lock  lock-held  Claude Code holds .*\.claude\.json\.lock \(the lock, /);
    assert.deepEqual(usersFiles(), before);
  });
});
