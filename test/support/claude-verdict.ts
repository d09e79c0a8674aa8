/**
 * What the installed Claude Code makes of a `settings.json`, offline and without a login: `claude doctor` in a sandbox HOME.
 *
 * The observable. `doctor` loads the user settings (`$HOME/.claude/settings.json`) as a session does, applies their `env`, and
 * prints two things we read:
 * - an "Invalid settings" section naming the file and each key path Claude could not take (a type error, for which it ignores the
 *   whole file, or an entry it drops one at a time, such as an unknown hook event in recent releases);
 * - an "Environment variables" section that reports `BASH_MAX_OUTPUT_LENGTH: Capped from 999999 to 150000` when that variable is
 *   over Claude's cap. The sandbox environment (claudeEnv) never sets it, so the line can only come from the `env` of a settings
 *   file Claude accepted: that is the probe every judged file carries (SETTINGS_PROBE). Probe shown, nothing listed: Claude took the
 *   file as written. Probe shown, entries listed: it kept the file and dropped those entries. No probe: it ignored the whole file.
 * Checked by hand against both releases: a file with `model: 42` shows no probe line, the same file without it shows the line.
 *
 * How each release is run. 2.1.332 prints its report as plain text to a pipe and exits. 2.1.0's `doctor` is an Ink screen: with no
 * terminal it fails ("Raw mode is not supported on the current process.stdin") and never exits, and in a terminal it waits for
 * Enter after the report. So it runs under a pseudo-terminal made by util-linux `script`, and Enter is typed once the report's
 * "Press Enter to continue" shows. Either run takes a few seconds and needs neither network nor login (the sandbox environment
 * sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, so doctor tests no API connectivity).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import {
  CLAUDE_PACKAGES,
  claudeEnv,
  findClaudeBin,
  forgetGroup,
  groupAlive,
  killGroup,
  trackGroup,
  makeSandbox,
  requireComponent,
  runClaude,
  type ClaudeBin,
  type ClaudeRun,
  type ClaudeRunOptions,
} from './claude.js';

export type ClaudeRelease = keyof typeof CLAUDE_PACKAGES;

/** What Claude Code does with a settings file, in the words a user would use. */
export type ClaudeVerdict = 'takes it as written' | 'drops part of it' | 'ignores the whole file';

/** Added to the `env` of every judged settings file: Claude applies it only from a file it accepted (see the file comment). */
export const SETTINGS_PROBE: Readonly<Record<string, string>> = { BASH_MAX_OUTPUT_LENGTH: '999999' };
const PROBE_SHOWN = /BASH_MAX_OUTPUT_LENGTH: Capped from 999999 to 150000/;

/** One entry of doctor's "Invalid settings" for the judged file: the dotted key path and Claude's message. */
export interface SettingsIssue {
  path: string;
  message: string;
}

export interface SettingsJudgement {
  /** The Claude Code version that judged the file. */
  version: string;
  verdict: ClaudeVerdict;
  /** doctor's "Invalid settings" entries for the file. */
  issues: SettingsIssue[];
  /** Whether the probe from the file's `env` took effect. */
  probeApplied: boolean;
  /** doctor's report, as text (terminal control sequences removed). */
  report: string;
  /** Wall time of the doctor run. */
  ms: number;
}

/** 2.1.0's doctor needs a terminal (an Ink screen that waits for Enter); 2.1.332's prints to a pipe. */
const DOCTOR_NEEDS_TERMINAL: Readonly<Record<ClaudeRelease, boolean>> = { newest: false, oldest: true };

/**
 * Write `settingsText` as the user settings of a fresh sandbox HOME, run that release's `claude doctor` from a project directory
 * inside it, and read Claude's verdict from the report. Rejects (with the report) when doctor did not run to its end.
 */
export async function claudeJudgesSettings(release: ClaudeRelease, settingsText: string, opts: { timeoutMs?: number } = {}): Promise<SettingsJudgement> {
  const bin = findClaudeBin(CLAUDE_PACKAGES[release]);
  const box = makeSandbox('claude-env-verdict-');
  try {
    const file = join(box.home, '.claude', 'settings.json');
    mkdirSync(join(box.home, '.claude'), { recursive: true });
    writeFileSync(file, settingsText);
    // A project directory that has no .claude/ of its own: only the user settings are read.
    const cwd = join(box.home, 'project');
    mkdirSync(cwd);
    const runOpts = { cwd, timeoutMs: opts.timeoutMs ?? 30_000 };
    const run = DOCTOR_NEEDS_TERMINAL[release]
      ? await runClaudeInTerminal(bin, box.home, ['doctor'], { ...runOpts, answer: { when: /Press Enter to continue/, send: '\r' } })
      : await runClaudeRelease(bin, box.home, ['doctor'], runOpts);
    const report = stripVTControlCharacters(run.stdout).replace(/\r/g, '');
    // The report names the running version: proof that doctor got as far as reading the settings.
    if (run.code !== 0 || run.timedOut || !report.includes(`(${bin.version})`)) {
      throw new Error(`claude ${bin.version} doctor did not finish its report: exit ${run.code}${run.timedOut ? ' after a timeout' : ''}\n--- report\n${report}--- stderr\n${run.stderr}`);
    }
    const issues = invalidSettings(report, file);
    const probeApplied = PROBE_SHOWN.test(report);
    const verdict: ClaudeVerdict = !probeApplied ? 'ignores the whole file' : issues.length > 0 ? 'drops part of it' : 'takes it as written';
    return { version: bin.version, verdict, issues, probeApplied, report, ms: run.ms };
  } finally {
    box.cleanup();
  }
}

/** runClaude runs the newest release; any other release here would need its own runner. */
async function runClaudeRelease(bin: ClaudeBin, home: string, args: string[], opts: ClaudeRunOptions): Promise<ClaudeRun> {
  if (bin !== findClaudeBin()) throw new Error(`runClaude runs ${findClaudeBin().version}, not ${bin.version}`);
  return runClaude(home, args, opts);
}

/**
 * doctor's "Invalid settings" entries for `file`, in either layout:
 * - 2.1.332: `- FILE › model: Expected string, but received number` (then an indented "Suggested fix" line, skipped);
 * - 2.1.0: the file on its own line, then a tree: `└ permissions` / `  └ allow: Expected array, but received string`.
 */
export function invalidSettings(report: string, file: string): SettingsIssue[] {
  const lines = report.split('\n').map((l) => l.trimEnd());
  const issues: SettingsIssue[] = [];
  const flat = `- ${file} › `;
  for (const line of lines) {
    if (!line.startsWith(flat)) continue;
    const [path, message] = splitEntry(line.slice(flat.length));
    issues.push({ path, message: message ?? '' });
  }
  const at = lines.findIndex((l) => l.trim() === file);
  if (at >= 0) {
    const stack: { indent: number; name: string }[] = [];
    let last: SettingsIssue | undefined;
    for (const line of lines.slice(at + 1)) {
      if (line.trim() === '') break;
      const m = /^(\s*)└ (.*)$/.exec(line);
      if (!m) {
        if (last) last.message += ` ${line.trim()}`; // a message the screen wrapped
        continue;
      }
      const indent = (m[1] ?? '').length;
      while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
      const [name, message] = splitEntry(m[2] ?? '');
      stack.push({ indent, name });
      if (message !== undefined) issues.push((last = { path: stack.map((s) => s.name).join('.'), message }));
    }
  }
  return issues;
}

/** `KEY: MESSAGE` → [KEY, MESSAGE]; a key alone → [KEY, undefined]. A rule key may hold ":" but not ": ". */
const splitEntry = (text: string): [string, string | undefined] => {
  const i = text.indexOf(': ');
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 2)];
};

// ---------------------------------------------------------------------------------------------------------------------------
// Running a release under a pseudo-terminal

let scriptChecked = false;
/** util-linux `script` (its `-q -f -e -c` options and the `/dev/null` typescript are util-linux's), or a clear failure. */
const requireScript = (): void => {
  if (scriptChecked) return;
  requireComponent('util-linux script (the pseudo-terminal for Claude Code 2.1.0 doctor)', () => {
    const r = spawnSync('script', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error) throw r.error;
    if (!/util-linux/.test(r.stdout)) throw new Error(`\`script --version\` printed ${JSON.stringify(r.stdout.trim())}, which is not util-linux's script`);
  });
  scriptChecked = true;
};

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The children of a process (Linux): `script` runs the command in a session of its own, so it has a process group of its own. */
const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/**
 * Run `claude ARGS` (the given release) in a pseudo-terminal 250 columns wide, with the sandbox environment (claudeEnv) and a
 * bounded time. When the screen shows `answer.when`, type `answer.send` (again every second until Claude exits: a screen may show
 * its prompt a moment before it listens). `stdout` is what the terminal showed, control sequences included. `script` and the
 * session it starts are separate process groups: both are ended on timeout, after the run if anything is left, and at exit.
 */
export async function runClaudeInTerminal(
  bin: ClaudeBin,
  home: string,
  args: string[],
  opts: ClaudeRunOptions & { answer?: { when: RegExp; send: string } } = {},
): Promise<ClaudeRun> {
  requireScript();
  const command = [...(bin.kind === 'native' ? [bin.path] : [process.execPath, bin.path]), ...args].map(shellQuote).join(' ');
  // A wide screen, so no report line is wrapped; `exec` so that Claude is the session leader script waits for.
  const shell = `stty cols 250 rows 60 2>/dev/null; exec ${command}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = performance.now();
  const child = spawn('script', ['-qfec', shell, '/dev/null'], {
    cwd: opts.cwd ?? home,
    env: claudeEnv(home, opts),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const groups = new Set<number>();
  const track = (pgid: number | undefined): void => {
    if (pgid === undefined || groups.has(pgid)) return;
    groups.add(pgid);
    trackGroup(pgid);
  };
  track(child.pid);
  const killAll = (): void => {
    if (child.pid !== undefined) for (const pid of childrenOf(child.pid)) track(pid);
    for (const g of groups) killGroup(g);
  };
  let stdout = '';
  let stderr = '';
  let answering: NodeJS.Timeout | undefined;
  child.stdin.on('error', () => {}); // Enter typed just as Claude exits
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    if (child.pid !== undefined) for (const pid of childrenOf(child.pid)) track(pid);
    const { answer } = opts;
    if (answer && !answering && answer.when.test(stripVTControlCharacters(stdout))) {
      child.stdin.write(answer.send);
      answering = setInterval(() => child.stdin.writable && child.stdin.write(answer.send), 1000);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killAll();
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok, fail) => {
    child.once('error', fail);
    child.once('close', (c, s) => ok([c, s]));
  }).finally(() => {
    clearTimeout(timer);
    clearInterval(answering);
  });
  const ms = performance.now() - started;
  let strays = false;
  if (!timedOut) for (let i = 0; i < 20 && [...groups].some(groupAlive); i++) await new Promise((r) => setTimeout(r, 50));
  if ([...groups].some(groupAlive)) {
    strays = !timedOut;
    killAll();
  }
  for (const g of groups) forgetGroup(g);
  return { code, signal, stdout, stderr, ms, timedOut, strays };
}
