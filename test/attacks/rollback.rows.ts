/**
 * Attack rows: rollback after Claude Code and the user kept working in the
 * shared files (see harness.ts for what every row is checked for: the
 * user's `oauthAccount` and server `mine` in `.claude.json`, `theme` in
 * settings.json and the notes in CLAUDE.md must survive). Each row applies,
 * lets Claude Code or the user change one shared file, rolls back (claude-
 * env's part must go, theirs stay), then rolls the rollback back (claude-
 * env's part must come back, theirs still there).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStep, targetArgs, type AttackRow, type Sandbox, type Step } from './harness.js';

type Obj = Record<string, any>;
const json = (p: string): Obj => JSON.parse(readFileSync(p, 'utf8'));
/** Written the way Claude Code writes its files: 2-space JSON, no trailing newline. */
const writeClaudeWay = (p: string, v: unknown, mode = 0o600): void => writeFileSync(p, JSON.stringify(v, null, 2), { mode });
const projectDir = (s: Sandbox): string => join(s.home, 'src', 'web');
const BLOCK = /<!-- claude-env:begin -->[\s\S]*<!-- claude-env:end -->/;

async function apply(s: Sandbox, ...more: string[]): Promise<void> {
  const r = await runStep(s, { argv: (x) => targetArgs(x, 'apply', ...more), exit: 0 });
  assert.equal(r.code, 0, `apply: ${r.stdout}${r.stderr}`);
}

/** `rollback`, saying what it did to `file`. */
const rollback = (file: string, what: RegExp): Step => ({
  argv: (s) => ['rollback', '--home', s.home],
  exit: 0,
  says: new RegExp(`took out +${file.replaceAll('.', '\\.')}: changed since claude-env wrote it; ${what.source}`),
});

/** Rolls the rollback back; claude-env's part must be back, and theirs still there. */
async function rollBackTheRollback(s: Sandbox, ours: () => boolean, theirs: () => void): Promise<void> {
  assert.equal(ours(), false, "claude-env's part is gone after the rollback");
  theirs();
  const r = await runStep(s, { argv: (x) => ['rollback', '--home', x.home], exit: 0 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(ours(), "a rollback of the rollback brings claude-env's part back");
  theirs();
}

const claudeServers = (s: Sandbox): Obj => json(join(s.home, '.claude.json'))['mcpServers'] ?? {};
const settings = (s: Sandbox): Obj => json(join(s.home, '.claude', 'settings.json'));
const claudeMd = (s: Sandbox): string => readFileSync(join(s.home, '.claude', 'CLAUDE.md'), 'utf8');
const CHANGES = ['.claude.json', '.claude/**'];

export const rows: AttackRow[] = [
  {
    attack: '.claude.json that apply created, where Claude Code then logged the user in and they added a server: rollback used to delete both',
    async setup(s) {
      const file = join(s.home, '.claude.json');
      const theirs = json(file);
      rmSync(file);
      await apply(s);
      const c = json(file);
      writeClaudeWay(file, { ...c, numStartups: theirs['numStartups'], oauthAccount: theirs['oauthAccount'], mcpServers: { ...c['mcpServers'], mine: theirs['mcpServers']['mine'] } });
    },
    steps: [rollback('.claude.json', /claude-env's docs, everything taken out/)],
    mayChange: CHANGES,
    async check(s) {
      const ours = (): boolean => 'docs' in claudeServers(s) && 'everything' in claudeServers(s);
      await rollBackTheRollback(s, ours, () => {
        assert.deepEqual(json(join(s.home, '.claude.json'))['oauthAccount'], { emailAddress: 'bob@example.com' });
        assert.equal(claudeServers(s)['mine']?.['command'], 'my-server');
      });
    },
  },
  {
    attack: "settings.json that apply created, where the user then chose a theme: rollback used to delete it",
    async setup(s) {
      const file = join(s.home, '.claude', 'settings.json');
      rmSync(file);
      await apply(s);
      writeFileSync(file, `${JSON.stringify({ ...json(file), theme: 'dark' }, null, 2)}\n`);
    },
    steps: [rollback('.claude/settings.json', /claude-env's .*permissions\.deny.* taken out/)],
    mayChange: CHANGES,
    async check(s) {
      const ours = (): boolean => (settings(s)['permissions']?.['deny'] ?? []).includes('Read(~/.ssh/**)');
      let first = true;
      await rollBackTheRollback(s, ours, () => {
        // after the rollback nothing but the user's key is left
        if (first) assert.deepEqual(settings(s), { theme: 'dark' });
        else assert.equal(settings(s)['theme'], 'dark');
        first = false;
      });
    },
  },
  {
    attack: 'CLAUDE.md that apply created, where the user then wrote notes above the managed block: rollback used to delete them',
    async setup(s) {
      const file = join(s.home, '.claude', 'CLAUDE.md');
      const notes = readFileSync(file, 'utf8');
      rmSync(file);
      await apply(s);
      writeFileSync(file, `${notes}\n${readFileSync(file, 'utf8')}`);
    },
    steps: [rollback('.claude/CLAUDE.md', /claude-env's managed block taken out/)],
    mayChange: CHANGES,
    async check(s) {
      const ours = (): boolean => BLOCK.test(claudeMd(s));
      let first = true;
      await rollBackTheRollback(s, ours, () => {
        // after the rollback, the user's notes byte for byte; after the next one, with the block below them
        if (first) assert.equal(claudeMd(s), "# Bob's notes\n\nAlways answer in English.\n");
        else assert.match(claudeMd(s), /^# Bob's notes\n\nAlways answer in English\.\n\n<!-- claude-env:begin -->/);
        first = false;
      });
    },
  },
  {
    attack: "a project's .mcp.json that apply created, where the team then added a server of theirs: rollback used to delete it",
    async setup(s) {
      s.append('projects/web-application/claude-config.yml', 'mcpServers:\n  memory:\n    enabled: true\n');
      mkdirSync(projectDir(s), { recursive: true });
      await apply(s, '--project-dir', projectDir(s));
      const file = join(projectDir(s), '.mcp.json');
      const p = json(file);
      writeClaudeWay(file, { mcpServers: { ...p['mcpServers'], theirs: { type: 'stdio', command: 'their-server', args: [] } } }, 0o644);
    },
    steps: [rollback('@project/.mcp.json', /claude-env's memory taken out/)],
    mayChange: [...CHANGES, 'src/**'],
    async check(s) {
      const servers = (): Obj => json(join(projectDir(s), '.mcp.json'))['mcpServers'];
      await rollBackTheRollback(
        s,
        () => 'memory' in servers(),
        () => assert.equal(servers()['theirs']?.['command'], 'their-server'),
      );
    },
  },
  {
    attack: 'shared files that held the user’s own content before apply, changed again since by Claude Code and the user: rollback used to put the old bytes over their changes',
    async setup(s) {
      await apply(s);
      const claude = join(s.home, '.claude.json');
      const c = json(claude);
      writeClaudeWay(claude, { ...c, numStartups: 4, userID: 'u-1', mcpServers: { ...c['mcpServers'], added: { type: 'stdio', command: 'added-server', args: [], env: {} } } });
      const set = join(s.home, '.claude', 'settings.json');
      writeFileSync(set, `${JSON.stringify({ ...json(set), outputStyle: 'Explanatory' }, null, 2)}\n`);
      writeFileSync(join(s.home, '.claude', 'CLAUDE.md'), `${claudeMd(s)}\nRemember the release freeze.\n`);
    },
    steps: [
      {
        argv: (s) => ['rollback', '--home', s.home],
        exit: 0,
        says: /took out +\.claude\.json: changed since claude-env wrote it;[^\n]*\n(.*\n)*? +took out +\.claude\/CLAUDE\.md: [^\n]*\n(.*\n)*? +took out +\.claude\/settings\.json: /,
      },
    ],
    mayChange: CHANGES,
    async check(s) {
      const ours = (): boolean => 'docs' in claudeServers(s) && BLOCK.test(claudeMd(s)) && (settings(s)['permissions']?.['deny'] ?? []).includes('Read(~/.ssh/**)');
      const gone = (): boolean => !('docs' in claudeServers(s)) && !BLOCK.test(claudeMd(s)) && settings(s)['permissions'] === undefined;
      assert.ok(gone(), "all of claude-env's part is gone");
      await rollBackTheRollback(s, ours, () => {
        const c = json(join(s.home, '.claude.json'));
        assert.deepEqual([c['numStartups'], c['userID'], c['mcpServers']['added']?.['command']], [4, 'u-1', 'added-server']);
        assert.equal(settings(s)['outputStyle'], 'Explanatory');
        assert.match(claudeMd(s), /Remember the release freeze\.\n$/);
      });
    },
  },
];
