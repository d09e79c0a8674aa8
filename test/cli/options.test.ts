/**
 * Options checked when parsed: every numeric or enumerated option refuses a
 * bad value with exit 2 and a message naming the option, before the command
 * starts. Each case points `--repo` at a folder that does not exist and runs
 * in an empty home: had the command started, it would have said so (no
 * config repo) or written its state; it says only what is wrong with the
 * option, and the home stays empty.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, snapshot, tempDir } from '../helpers.js';

const tmp = tempDir('claude-env-options-');
after(() => tmp.cleanup());
let n = 0;
const newHome = (): string => {
  const h = join(tmp.dir, `home${n++}`);
  mkdirSync(h);
  return h;
};

const nowhere = (): string => join(tmp.dir, 'no-such-repo');
const target = ['--env', 'development', '--team', 'web', '--user', 'ann'];

/** [argv (without --repo and --home), the option, what the message says]. */
const BAD: ReadonlyArray<readonly [string[], string, RegExp]> = [
  // the cases of issue 13
  [['apply', ...target, '--wait', 'abc'], 'wait', /--wait must be a number of seconds from 0 to 3600 \(got "abc"\)/],
  [['remediate', ...target, '--max-fixes', '-1'], 'max-fixes', /--max-fixes needs a whole number \(got "-1"\)/],
  [['mcp', 'check', ...target, '--timeout', '1e309'], 'timeout', /--timeout must be a whole number above 0 .*\(got "1e309"\)/],
  [['mcp', 'check', ...target, '--concurrency', '0'], 'concurrency', /--concurrency must be a whole number above 0 \(got "0"\)/],
  [['impact', '--base', 'main', '--limit', 'x'], 'limit', /--limit must be a whole number \(0 for no limit\) \(got "x"\)/],
  // values the parser would have turned into numbers
  [['rollback', '--list', '--wait', '0x10'], 'wait', /--wait must be .*\(got "0x10"\)/],
  [['rollback', '--wait', '-5'], 'wait', /--wait must be .*\(got "-5"\)/],
  [['impact', '--base', 'main', '--limit', ''], 'limit', /--limit must be a whole number .*\(got ""\)/],
  [['impact', '--base', 'main', '--limit', '-3'], 'limit', /--limit must be a whole number .*\(got "-3"\)/],
  [['remediate', ...target, '--max-fixes', '1e3'], 'max-fixes', /--max-fixes needs a whole number \(got "1e3"\)/],
  [['remediate', ...target, '--max-fixes=2.5'], 'max-fixes', /--max-fixes needs a whole number \(got "2.5"\)/],
  // a timer longer than Node keeps would fire at once
  [['mcp', 'check', ...target, '--timeout', '99999999999'], 'timeout', /--timeout must be a whole number above 0 \(milliseconds, at most 2147483647\) \(got "99999999999"\)/],
  [['validate', '--online', '--timeout', '-1'], 'timeout', /--timeout must be .*\(got "-1"\)/],
  [['drift', ...target, '--online', '--concurrency', 'many'], 'concurrency', /--concurrency must be a whole number above 0 \(got "many"\)/],
  [['onboard', 'zed', '--team', 'web', '--role', 'developer', '--wait', '3601'], 'wait', /--wait must be .*\(got "3601"\)/],
  // enumerated options
  [['validate', '--format', 'xml'], 'format', /--format must be one of: text, json, sarif \(got "xml"\)/],
  [['render', ...target, '--format', 'toml'], 'format', /--format must be one of: yaml, json \(got "toml"\)/],
  [['remediate', ...target, '--include', 'low'], 'include', /--include takes only "medium" \(got "low"\)/],
];

describe('options checked when parsed', () => {
  for (const [argv, option, message] of BAD) {
    it(`${argv.join(' ')}: exit 2 naming --${option}, and the command never starts`, async () => {
      const home = newHome();
      const homeFlag = argv[0] === 'impact' || argv[0] === 'validate' ? [] : ['--home', home];
      const r = await cli([...argv, '--repo', nowhere(), ...homeFlag], { cwd: home, env: { HOME: home, PATH: process.env['PATH'] } });
      // exit 2, a usage error that names the option
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^claude-env: usage  --${option} `));
      assert.match(r.stderr, message);
      // nothing reported, nothing written: the repo was never opened, the home is as it was
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /no-such-repo|not-config-repo/);
      assert.deepEqual([...snapshot(home).keys()], []);
    });
  }

  it('takes good values in any of their spellings, and hands the command their normal form', async () => {
    const home = newHome();
    const env = { HOME: home, PATH: process.env['PATH'] };
    // `--wait 010`, `--wait=2.50`: seconds; rollback --list has nothing to wait for
    for (const wait of [['--wait', '010'], ['--wait=2.50'], ['--wait', '0']]) {
      const r = await cli(['rollback', '--list', '--home', home, ...wait], { env });
      assert.equal(r.code, 0, `${wait.join(' ')}: ${r.stderr}`);
    }
    // --format given twice: the last one counts
    const r = await cli(['validate', '--repo', fixture('merge-rules'), '--format', 'sarif', '--format', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok('summary' in (JSON.parse(r.stdout) as object));
  });
});
