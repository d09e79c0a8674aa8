/**
 * The attack table's harness. A row is one attack, planted by someone who
 * can write one layer of the config repo (or a git tree, or a stale file on
 * the machine), and the commands a victim or CI then runs. After every row
 * the table (attack-table.test.ts) checks the same things whatever the row:
 * - no file outside the target home changed, and inside it only what the
 *   row says claude-env may write (`mayChange`), besides claude-env's own
 *   state and cache;
 * - no byte of the user's own is lost: `~/.bashrc`, `~/notes/todo.md`,
 *   `~/.ssh/id_rsa` keep their bytes, and the user's parts of the shared
 *   files (`oauthAccount` and the server `mine` in `.claude.json`, `theme` in
 *   settings.json, the notes in CLAUDE.md) are still there;
 * - nothing ran that the policy forbids: no command an attack plants may
 *   create `s.pwned` (plant `touch <s.pwned>`, via `s.pwnCommand`);
 * - no secret appeared in any output: the value of `$DOCS_MCP_TOKEN` (the
 *   seed's secret), the private key and the "shadow" file never show in
 *   stdout or stderr, verbatim, base64, hex or URL-encoded, nor in any file
 *   of the home but where they live;
 * - every step exits as the row says, and where a step is refused, what it
 *   prints matches `says` (the file that holds the attack).
 *
 * A row file (`<area>.rows.ts`) exports `rows: AttackRow[]`; the table
 * imports every row file. Rows run in a fresh copy of the seed repo
 * (`claude-env init`, one commit) and a fresh home each.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';
import { ROOT, TEST_CACHE_DIR, cli, type CliRun } from '../helpers.js';

export interface Sandbox {
  /** Temp folder holding everything below. */
  readonly root: string;
  /** The target home (`--home`), seeded with the user's own files. */
  readonly home: string;
  /** The config repo: `claude-env init`, committed once. */
  readonly repo: string;
  /** Files outside the home an attacker wants (`outside/shadow`, `outside/notes.md`). */
  readonly outside: string;
  /** A file that exists only if a forbidden command ran. */
  readonly pwned: string;
  /** A shell command that creates `pwned`. */
  readonly pwnCommand: string;
  /** The seed target: `--env development --team frontend-team --user bob --project web-application`. */
  readonly target: readonly string[];
  /** The values that must never be printed. */
  readonly secrets: readonly string[];
  /** Extra environment of every step (merged over the default one). */
  readonly env: Record<string, string>;
  /** Write a file in the repo (folders made), optionally with a mode. */
  file(rel: string, text: string | Buffer, mode?: number): void;
  /** Append to a file in the repo. */
  append(rel: string, text: string): void;
  /** Run git in the repo; returns stdout. */
  git(...args: string[]): string;
  /** `git add -A && git commit`; returns the new commit id. */
  commit(message?: string): string;
}

export interface Step {
  /** The command line, given the sandbox (add `--repo`, `--home` and the target yourself: see `targetArgs`). */
  readonly argv: (s: Sandbox) => string[];
  /** Expected exit code(s). */
  readonly exit: number | readonly number[];
  /** Must match stdout + stderr (for a refusal: the file that holds the attack). */
  readonly says?: RegExp;
  /**
   * Run the built CLI as a child process (for denial of service rows): it is
   * killed after `timeoutMs` (the row fails if it took that long) and its peak
   * memory is measured.
   */
  readonly child?: { readonly timeoutMs: number; readonly maxRssMb?: number };
  /** Extra environment for this step. */
  readonly env?: Record<string, string>;
}

export interface AttackRow {
  /** What the attacker does, in one line (the test name). */
  readonly attack: string;
  /** Plant the attack: repo files, commits, machine files. */
  setup?(s: Sandbox): void | Promise<void>;
  readonly steps: readonly Step[];
  /**
   * Home-relative globs (picomatch, dot: true) that claude-env may write in
   * this row: e.g. ['.claude/**', '.claude.json'] for a row whose apply
   * succeeds for the rest of the target. Default: nothing (the attack is
   * refused and the home stays as it was). `.claude-env/**` (state, audit
   * log, restore points) and `.cache/**` are always allowed.
   */
  readonly mayChange?: readonly string[];
  /** Row-specific checks after the steps (results in step order). */
  check?(s: Sandbox, results: readonly StepResult[]): void | Promise<void>;
}

export interface StepResult extends CliRun {
  readonly ms: number;
  readonly maxRssMb?: number;
}

export const targetArgs = (s: Sandbox, ...more: string[]): string[] => ['--repo', s.repo, '--home', s.home, ...s.target, ...more];

const tmp = mkdtempSync(join(tmpdir(), 'claude-env-attacks-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let seedRepo: string | undefined;
let count = 0;

async function seed(): Promise<string> {
  if (seedRepo) return seedRepo;
  const dir = join(tmp, 'seed');
  const r = await cli(['init', dir], { env: { HOME: tmp, PATH: process.env['PATH'] ?? '' } });
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  return (seedRepo = dir);
}

const git = (dir: string, args: string[]): string => {
  const r = spawnSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'mallory', GIT_AUTHOR_EMAIL: 'm@example.com', GIT_COMMITTER_NAME: 'mallory', GIT_COMMITTER_EMAIL: 'm@example.com' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A fresh sandbox: a copy of the seed repo, a home with the user's own files, files outside. */
export async function sandbox(): Promise<Sandbox> {
  const root = join(tmp, `row${count++}`);
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  cpSync(await seed(), repo, { recursive: true });
  const nonce = `${process.pid}x${count}x${Date.now().toString(36)}`;
  const token = `tok-${nonce}-9f8e7d6c5b4a`;
  const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nKEY-${nonce}-b3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n`;
  const shadow = `root:$6$SHADOW-${nonce}$hash:19000:0:99999:7:::\n`;
  mkdirSync(join(home, '.claude'), { recursive: true });
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(join(home, 'notes'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(home, '.bashrc'), `# the user's shell\nexport EDITOR=vim\n`);
  writeFileSync(join(home, 'notes', 'todo.md'), '# todo\n- buy milk\n');
  writeFileSync(join(home, '.ssh', 'id_rsa'), key, { mode: 0o600 });
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({ numStartups: 3, oauthAccount: { emailAddress: 'bob@example.com' }, mcpServers: { mine: { type: 'stdio', command: 'my-server', args: [], env: {} } } }, null, 2),
    { mode: 0o600 },
  );
  writeFileSync(join(home, '.claude', 'settings.json'), `${JSON.stringify({ theme: 'dark' }, null, 2)}\n`);
  writeFileSync(join(home, '.claude', 'CLAUDE.md'), "# Bob's notes\n\nAlways answer in English.\n");
  writeFileSync(join(outside, 'shadow'), shadow, { mode: 0o600 });
  writeFileSync(join(outside, 'notes.md'), '# outside notes\n');
  const pwned = join(root, 'PWNED');
  const s: Sandbox = {
    root,
    home,
    repo,
    outside,
    pwned,
    pwnCommand: `touch ${pwned}`,
    target: ['--env', 'development', '--team', 'frontend-team', '--user', 'bob', '--project', 'web-application'],
    secrets: [token, key.split('\n')[1]!, shadow.trim()],
    env: { DOCS_MCP_TOKEN: token },
    file(rel, text, mode) {
      const p = join(repo, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      if (mode !== undefined) chmodSync(p, mode);
    },
    append(rel, text) {
      const p = join(repo, rel);
      writeFileSync(p, readFileSync(p, 'utf8') + text);
    },
    git: (...args) => git(repo, args),
    commit(message = 'attack') {
      git(repo, ['add', '-A']);
      git(repo, ['commit', '-q', '--allow-empty', '-m', message]);
      return git(repo, ['rev-parse', 'HEAD']).trim();
    },
  };
  return s;
}

/** Every entry under `dir` (not following links): path → mode + bytes, or the link's target. */
export function tree(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (skip(p)) continue;
      const abs = join(dir, p);
      if (e.isSymbolicLink()) out.set(p, `link:${readlinkSync(abs)}`);
      else if (e.isDirectory()) {
        out.set(p, 'dir');
        walk(p);
      } else out.set(p, `${lstatSync(abs).mode.toString(8)}:${readFileSync(abs).toString('base64')}`);
    }
  };
  walk('');
  return out;
}

/** The ways a value may be printed: verbatim, base64 (standard and url-safe), hex, URL-encoded. */
export function encodings(value: string): string[] {
  const b = Buffer.from(value);
  const forms = [value, b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), b.toString('hex'), b.toString('hex').toUpperCase(), encodeURIComponent(value)];
  return [...new Set(forms.filter((f) => f.length >= 8))];
}

/** Run one step: in process (the CLI's `main`), or as a child process with a time and memory bound. */
export async function runStep(s: Sandbox, step: Step): Promise<StepResult> {
  const env: Record<string, string> = { HOME: s.home, PATH: process.env['PATH'] ?? '', CLAUDE_ENV_CACHE: TEST_CACHE_DIR, ...s.env, ...(step.env ?? {}) };
  const argv = step.argv(s);
  const started = Date.now();
  if (!step.child) {
    const r = await cli(argv, { cwd: s.root, env });
    return { ...r, ms: Date.now() - started };
  }
  // A child that reports its own peak memory when it exits, whatever the exit.
  const main = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const wrapper = `
    const { main } = await import(${JSON.stringify(main)});
    const { writeSync } = await import('node:fs');
    const out = (fd) => ({ isTTY: false, write: (t) => { writeSync(fd, t); } });
    process.on('exit', () => writeSync(2, '\\nmaxrss-kb=' + process.resourceUsage().maxRSS + '\\n'));
    const code = await main(process.argv.slice(1), { stdout: out(1), stderr: out(2), env: process.env, cwd: process.cwd() });
    process.exit(code);`;
  return await new Promise<StepResult>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', wrapper, ...argv], { cwd: s.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), step.child!.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /\nmaxrss-kb=(\d+)\n$/.exec(stderr);
      const maxRssMb = m ? Number(m[1]) / 1024 : undefined;
      if (m) stderr = stderr.slice(0, m.index);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr: signal ? `${stderr}\n[killed by ${signal} after ${Date.now() - started} ms]` : stderr, ms: Date.now() - started, ...(maxRssMb !== undefined ? { maxRssMb } : {}) });
    });
  });
}

export const ALWAYS_MAY_CHANGE: readonly string[] = ['.claude-env/**', '.cache/**'];

/** The home's files minus what a row may change. */
export function guarded(s: Sandbox, mayChange: readonly string[] = []): Map<string, string> {
  const ok = picomatch([...ALWAYS_MAY_CHANGE, ...mayChange], { dot: true });
  return tree(s.home, (rel) => ok(rel));
}

export { existsSync };
