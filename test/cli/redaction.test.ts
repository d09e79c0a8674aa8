/**
 * Every error message and report passes secret redaction before it is
 * printed: `cli/main.ts` gives each command streams that replace every
 * secret value resolved during the call (`!secret`, `!encrypted`) with its
 * description, and hide what looks like a credential on stderr.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers.js';
import { redactingIO } from '../../src/cli/redacting-io.js';

const tmp = tempDir('claude-env-redaction-');
after(() => tmp.cleanup());

describe('a secret placed in an error message', () => {
  it('is never printed: apply meets a broken .claude.json whose parse error quotes the resolved MCP token', async () => {
    // A token short enough that the JSON parser's error quotes all of it.
    const token = 'p4ss-w0rd';
    const repo = join(tmp.dir, 'repo');
    const home = join(tmp.dir, 'home');
    mkdirSync(home);
    assert.equal((await cli(['init', repo])).code, 0);
    // base/mcp/docs.yml of the seed repo: `Authorization: !secret env:DOCS_MCP_TOKEN`
    const env = { HOME: home, PATH: process.env['PATH'], DOCS_MCP_TOKEN: token };
    const target = ['--repo', repo, '--env', 'development', '--team', 'frontend-team', '--user', 'alice', '--project', 'web-application', '--home', home];
    assert.equal((await cli(['apply', ...target], { env })).code, 0);
    // The user's .claude.json loses the quote before the token: it no longer parses.
    const file = join(home, '.claude.json');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(`"${token}"`));
    writeFileSync(file, text.replace(`"${token}"`, `${token}"`));
    for (const json of [[], ['--json']]) {
      const r = await cli(['apply', ...target, ...json], { env });
      assert.equal(r.code, 2);
      // the error is there, with the token's description where the parser quoted the token
      assert.match(r.stderr, /\.claude\.json is not valid JSON/);
      assert.match(r.stderr, /«secret:env:DOCS_MCP_TOKEN»/);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(token), r.stderr);
    }
  });

  it('is never printed: mcp check of a server that fails with its token on stderr', { timeout: 30_000 }, async () => {
    const token = 'tok-9b1e47c2d5a8f306-secret';
    const repo = join(tmp.dir, 'mcp-repo');
    const home = join(tmp.dir, 'mcp-home');
    mkdirSync(join(repo, 'base', 'mcp'), { recursive: true });
    mkdirSync(join(repo, 'teams', 'web'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(repo, 'claude-env.yml'), 'version: 1\nenvironments: [development]\n');
    writeFileSync(join(repo, 'base', 'config.yml'), 'settings:\n  model: haiku\n');
    writeFileSync(join(repo, 'teams', 'web', 'members.yml'), '- { user: ann, role: developer }\n');
    // The server prints its token (as a failing tool may) and exits.
    writeFileSync(join(repo, 'base', 'mcp', 'leaky.yml'), 'command: sh\nargs: ["-c", "echo \\"401 for token $API_TOKEN\\" >&2; exit 3"]\nenv:\n  API_TOKEN: !secret env:LEAKY_TOKEN\n');
    const env = { HOME: home, PATH: process.env['PATH'], LEAKY_TOKEN: token };
    for (const json of [[], ['--json']]) {
      const r = await cli(['mcp', 'check', '--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--home', home, ...json], { env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(`${r.stdout}${r.stderr}`, /«secret:env:LEAKY_TOKEN»/);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(token));
    }
  });
});

describe('the streams a command writes to (redactingIO)', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    const io = redactingIO({ stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t), isTTY: true }, env: {}, cwd: '/' });
    return { io, out };
  };

  it('replaces a resolved value on both streams, also when one write ends in the middle of it', () => {
    const { io, out } = capture();
    io.secrets.remember('s3cr3t-value', '«secret:env:X»');
    io.stdout.write('value: s3cr');
    io.stdout.write('3t-value\n');
    io.stderr.write('claude-env: cannot use s3cr3t-value\n');
    io.stdout.write('no newline at the end: s3cr3t-value');
    io.flush();
    assert.equal(out.stdout, 'value: «secret:env:X»\nno newline at the end: «secret:env:X»');
    assert.equal(out.stderr, 'claude-env: cannot use «secret:env:X»\n');
  });

  it('hides what looks like a credential on stderr, and leaves a report on stdout as it is', () => {
    const { io, out } = capture();
    const line = 'fetch https://user:hunter2@example.com/x failed: Authorization: Bearer abcdefgh12345678\n';
    io.stderr.write(line);
    io.stdout.write(line);
    io.flush();
    assert.equal(out.stderr, 'fetch https://«hidden»@example.com/x failed: Authorization: Bearer «hidden»\n');
    assert.equal(out.stdout, line);
  });

  it('passes progress on (each line ended by the next \\r), and tells whether stderr is a terminal', () => {
    const { io, out } = capture();
    io.stderr.write('\rrendering 10/100 (10%)');
    io.stderr.write('\rrendering 20/100 (20%)');
    assert.equal(out.stderr, '\rrendering 10/100 (10%)\r');
    io.stderr.write('\r');
    assert.equal(out.stderr, '\rrendering 10/100 (10%)\rrendering 20/100 (20%)\r');
    assert.equal(io.stderr.isTTY, true);
  });
});
