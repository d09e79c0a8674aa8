/**
 * `--help` and `--version` go through the same output as every command (the
 * `CliIO` given to `main`), never straight to the console; the sub-commands
 * `mcp check`, `access check|codeowners` and `secret encrypt|decrypt` have a
 * help of their own, with their own options.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';

/** Run main in process, and fail if anything reaches the console instead of io. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const console_ = globalThis.console;
  const leaked: unknown[] = [];
  const spy = { ...console_, log: (...a: unknown[]) => leaked.push(a), info: (...a: unknown[]) => leaked.push(a), error: (...a: unknown[]) => leaked.push(a), warn: (...a: unknown[]) => leaked.push(a) };
  globalThis.console = spy as Console;
  try {
    const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: { PATH: process.env['PATH'] }, cwd: '/' });
    assert.deepEqual(leaked, [], 'nothing is printed on the console');
    return { code, stdout, stderr };
  } finally {
    globalThis.console = console_;
  }
}

/** The long option names in a help text's Options section. */
const optionsOf = (help: string): string[] => [...(help.split('\nOptions:\n')[1] ?? '').matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);

describe('claude-env --help and --version', () => {
  it('print the version and the commands on the output given to main, exit 0', async () => {
    // --version and -v: name/version, platform and node, on stdout
    for (const flag of ['--version', '-v']) {
      const v = await run([flag]);
      assert.deepEqual([v.code, v.stderr], [0, '']);
      assert.match(v.stdout, /^claude-env\/0\.1\.0 \S+ node-v\d+/);
    }
    // --help: usage, every command, the global options
    const h = await run(['--help']);
    assert.deepEqual([h.code, h.stderr], [0, '']);
    assert.match(h.stdout, /^claude-env\/0\.1\.0\n\nUsage:\n {2}\$ claude-env <command> \[options\]\n\nCommands:\n/);
    for (const command of ['demo', 'init [dir]', 'validate', 'render', 'explain <key>', 'apply', 'rollback', 'drift', 'mcp <check>', 'diff', 'remediate', 'secret [action] [value]', 'access <action>', 'history', 'impact', 'onboard <user>']) {
      assert.ok(h.stdout.includes(`\n  ${command} `), command);
    }
    assert.deepEqual(optionsOf(h.stdout), ['--help', '--version']);
  });

  it("shows a command's own options, with their defaults", async () => {
    const r = await run(['validate', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage:\n {2}\$ claude-env validate \[options\]\n\ncheck the whole repo in one pass/);
    assert.match(r.stdout, /\n {2}--format <format> +text \| json \| sarif \(default: text\)\n/);
    assert.ok(optionsOf(r.stdout).includes('--online'));
  });
});

describe('help of each sub-command', () => {
  const cases: ReadonlyArray<readonly [string[], string, string[], string[]]> = [
    // [argv, usage line, options it shows, options of a sibling it does not show]
    [['access', 'check'], 'claude-env access check [options]', ['--author', '--base', '--head', '--approved-by', '--json', '--repo', '--rev', '--help'], ['--out']],
    [['access', 'codeowners'], 'claude-env access codeowners [options]', ['--out', '--json', '--repo', '--rev', '--help'], ['--author', '--base', '--head', '--approved-by']],
    [['secret', 'encrypt'], 'claude-env secret encrypt [options]', ['--recipient', '--file', '--json', '--repo', '--help'], ['--identity']],
    [['secret', 'decrypt'], 'claude-env secret decrypt [options]', ['--identity', '--file', '--json', '--repo', '--help'], ['--recipient']],
    [['mcp', 'check'], 'claude-env mcp check [options]', ['--server', '--timeout', '--concurrency', '--identity', '--json', '--env', '--team', '--user', '--home', '--help'], []],
  ];
  for (const [argv, usage, shown, hidden] of cases) {
    it(`claude-env ${argv.join(' ')} --help shows its usage and its options only`, async () => {
      const r = await run([...argv, '--help']);
      assert.deepEqual([r.code, r.stderr], [0, '']);
      assert.ok(r.stdout.includes(`Usage:\n  $ ${usage}\n`), r.stdout);
      const options = optionsOf(r.stdout);
      for (const o of shown) assert.ok(options.includes(o), `${o} in ${options.join(' ')}`);
      for (const o of hidden) assert.ok(!options.includes(o), `${o} not in ${options.join(' ')}`);
    });
  }

  it('claude-env access --help lists the sub-commands and how to get the help of each', async () => {
    const r = await run(['access', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\nCommands:\n {2}access check +may --author make the change.*\n {2}access codeowners +CODEOWNERS from access\.yml/);
    assert.match(r.stdout, /\$ claude-env access check --help\n {2}\$ claude-env access codeowners --help/);
    assert.deepEqual(optionsOf(r.stdout), ['--repo', '--rev', '--help']);
  });
});
