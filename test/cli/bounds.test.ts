/**
 * Bounded inputs, as a user meets them: a YAML alias bomb or an oversized
 * document in any layer is one clear finding with its place, and the command
 * that meets it finishes in seconds with its memory bounded (measured on the
 * built command, spawned, with `process.resourceUsage().maxRSS` at its exit).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, lutimesSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TEST_CACHE_DIR, cli, fixture, snapshot, tempDir } from '../helpers.js';
import { billionLaughs } from '../support/bombs.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const bin = join(ROOT, 'bin', 'claude-env.js');
const target = ['--env', 'development', '--team', 'web', '--user', 'ann', '--project', 'shop'];

/** A copy of the merge-rules fixture with `edit` applied. */
function repoWith(edit: (dir: string) => void): string {
  const dir = join(tmp.dir, `repo${n++}`);
  cpSync(fixture('merge-rules'), dir, { recursive: true });
  edit(dir);
  return dir;
}

/** The bounds the DoS rows promise for one command (see the README, "Bounded inputs"). */
export const DOS_BOUNDS = { seconds: 20, rssMB: 300 };

/**
 * Run the built command as a child, killed after `DOS_BOUNDS.seconds`, with a
 * V8 heap cap above the memory bound (a regression fails fast instead of
 * swapping); its peak resident memory comes back from its exit hook.
 */
export function spawnMeasured(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; rssMB: number } {
  const hook = `import { writeSync } from 'node:fs'; process.on('exit', () => writeSync(2, '\\nmaxrss-kb=' + process.resourceUsage().maxRSS + '\\n'));`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=1024', '--import', `data:text/javascript,${encodeURIComponent(hook)}`, bin, ...args], {
    encoding: 'utf8',
    timeout: DOS_BOUNDS.seconds * 1000,
    env: { PATH: process.env['PATH'], HOME: TEST_CACHE_DIR, CLAUDE_ENV_CACHE: TEST_CACHE_DIR, ...env },
  });
  const m = /\nmaxrss-kb=(\d+)\n$/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: m ? r.stderr.slice(0, m.index) : r.stderr, rssMB: m ? Number(m[1]) / 1024 : Infinity };
}

describe('bounded YAML', () => {
  const bomb = (dir: string): void => appendFileSync(join(dir, 'teams/web/workflows.yml'), billionLaughs());

  it('validate stops a 9-level alias bomb in a team layer with one finding at the alias, in bounded time and memory', () => {
    const repo = repoWith(bomb);
    const r = spawnMeasured(['validate', '--repo', repo]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:15:\d+  error  yaml-alias-limit  aliases expand to more than 100,000 nodes in this document \(passed at this alias, \*a4\)/m);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
  });

  it('apply refuses the same bomb, names the file, line and column, and writes nothing', () => {
    const repo = repoWith(bomb);
    const home = join(tmp.dir, `home${n++}`);
    mkdirSync(home);
    const r = spawnMeasured(['apply', '--repo', repo, ...target, '--home', home], { HOME: home });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^claude-env: teams\/web\/workflows\.yml:15:\d+  yaml-alias-limit  aliases expand/);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
    assert.deepEqual([...snapshot(home).keys()], []);
  });

  it('refuses a document over 512 KiB without parsing it', async () => {
    const repo = repoWith((dir) => appendFileSync(join(dir, 'teams/web/workflows.yml'), `# ${'x'.repeat(512 * 1024)}\n`));
    const r = await cli(['validate', '--repo', repo]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:1:1  error  document-too-large  the document is larger than 512 KiB, the limit for one document; split it/m);
  });

  it('scans a document over the limits for secrets without parsing it: every hit is reported', () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}a1B2c3`;
    const repo = repoWith((dir) => appendFileSync(join(dir, 'teams/web/workflows.yml'), `# ${'x'.repeat(600 * 1024)}\nx: !secret env:A\ny: ${token}\n`));
    const r = spawnMeasured(['validate', '--repo', repo]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:1:1  error  document-too-large/m);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:12:4  error  secret-detected/m);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
  });

  it('validate of a dense 500 KB list (250,000 nodes, under the size limit) stops at 100,000 nodes, in bounded time and memory', () => {
    const repo = repoWith((dir) => appendFileSync(join(dir, 'teams/web/workflows.yml'), `dense: [${Array(250_000).fill('1').join(',')}]\n`));
    const r = spawnMeasured(['validate', '--repo', repo]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^teams\/web\/workflows\.yml:10:\d+  error  document-too-large  the document has more than 100,000 nodes/m);
    assert.ok(r.rssMB < DOS_BOUNDS.rssMB, `peak RSS ${r.rssMB.toFixed(0)} MB`);
  });

  it('bounds the machine\'s own local-overrides.yml the same way: a cycle of aliases is an error naming it', async () => {
    const home = join(tmp.dir, `home${n++}`);
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(join(home, '.claude', 'local-overrides.yml'), 'settings: &s\n  env: {A: *s}\n');
    const r = await cli(['render', '--repo', fixture('merge-rules'), ...target, '--home', home], { env: { HOME: home, PATH: process.env['PATH'] } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /local-overrides\.yml:2:12  yaml-alias-cycle  alias \*s stands for a node that contains it/);
  });
});

describe('locks never wait forever', () => {
  const ann = ['--repo', fixture('merge-rules'), ...target];
  function home(): string {
    const h = join(tmp.dir, `home${n++}`);
    mkdirSync(join(h, '.claude'), { recursive: true });
    writeFileSync(join(h, '.claude.json'), JSON.stringify({ numStartups: 1 }, null, 2));
    return h;
  }
  const run = (args: string[], h: string, env: NodeJS.ProcessEnv = {}) => cli([...args, '--home', h], { env: { HOME: h, PATH: process.env['PATH'], ...env } });
  const old = (path: string, seconds: number): void => {
    const t = Date.now() / 1000 - seconds;
    lutimesSync(path, t, t);
  };

  it("apply moves a stale .claude.json.lock FILE aside (every byte kept) and goes on, where it used to spin forever", async () => {
    const h = home();
    writeFileSync(join(h, '.claude.json.lock'), 'left by a crash');
    old(join(h, '.claude.json.lock'), 60);
    const r = await run(['apply', ...ann], h);
    assert.equal(r.code, 0, r.stderr);
    const aside = readdirSync(h).filter((f) => f.startsWith('.claude.json.lock.stale-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(join(h, aside[0]!), 'utf8'), 'left by a crash');
    assert.ok(!existsSync(join(h, '.claude.json.lock')));
  });

  // A hang is a failure: the test gives up long before a lock that is never stale could be waited for.
  it('apply gives up on a fresh .claude.json.lock (file or folder with things in it): exits 2 naming it, changing nothing', { timeout: 60_000 }, async () => {
    const h = home();
    mkdirSync(join(h, '.claude.json.lock'));
    writeFileSync(join(h, '.claude.json.lock', 'x'), '');
    const before = snapshot(h);
    const r = await run(['apply', ...ann], h);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^claude-env: .*\.claude\.json\.lock  lock-held  Claude Code holds .*\.claude\.json\.lock \(the lock, \d+(\.\d)? s old; stale after 10 s\)/);
    const mine = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([p]) => !p.startsWith('.claude-env/')));
    assert.deepEqual(mine(snapshot(h)), mine(before));
  });

  it("takes over an empty claude-env lock (left by a full disk) once it is 5 s old; before, names it and exits 2", async () => {
    const h = home();
    mkdirSync(join(h, '.claude-env'));
    writeFileSync(join(h, '.claude-env', 'lock'), '');
    const young = await run(['apply', ...ann], h);
    assert.equal(young.code, 2);
    assert.match(young.stderr, /lock-held  another claude-env is changing this machine: a lock that holds no holder, \d+(\.\d)? s old \(empty or damaged: taken over once it is 5 s old\)/);
    old(join(h, '.claude-env', 'lock'), 6);
    const r = await run(['apply', ...ann], h);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(h, '.claude-env', 'lock')));
  });

  it('leaves no lock behind when the lock cannot be written (disk full), so the next command runs', async () => {
    const h = home();
    const r = await run(['apply', ...ann], h, { CLAUDE_ENV_FAIL_LOCK_WRITE: '1' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /lock-failed  cannot take the lock .*\.claude-env\/lock: no space left on device; nothing was changed/);
    assert.deepEqual(readdirSync(join(h, '.claude-env')).filter((f) => f.startsWith('lock')), []);
    assert.equal((await run(['apply', ...ann], h)).code, 0);
  });

  for (const argv of [['apply'], ['rollback'], ['rollback', '--list'], ['remediate'], ['onboard', 'zed', '--team', 'web', '--role', 'developer']]) {
    it(`${argv.join(' ')} --wait abc is a usage error naming --wait (exit 2), before anything runs`, async () => {
      const h = home();
      const before = snapshot(h);
      const r = await run([...argv, ...(argv[0] === 'onboard' ? ['--repo', fixture('merge-rules')] : ann), '--wait', 'abc'], h);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^claude-env: usage  --wait must be a number of seconds from 0 to 3600 \(got "abc"\)/);
      assert.deepEqual(snapshot(h), before);
    });
  }

  it('--wait takes 0 to 3600 seconds, fractions too, and refuses more or less', async () => {
    const h = home();
    for (const ok of ['0', '2.5', '3600']) assert.equal((await run(['rollback', '--list', '--wait', ok], h)).code, 0, ok);
    for (const bad of ['3601', '-1', 'Infinity', '1.5s', 'NaN']) {
      const r = await run(['rollback', '--list', `--wait=${bad}`], h);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--wait must be a number of seconds from 0 to 3600/);
    }
  });
});

describe("tokens in a user's own MCP entries", () => {
  const ann = ['--repo', fixture('merge-rules'), ...target];
  const TOKENS = ['TOK1-sk-live-abcdefghij', 'TOK2-xyz-123456', 'TOK3-bearer-abcdefgh', 'TOK4-qwerty', 'TOK5-env', 'TOK6-pass', 'TOK7-q', 'TOK8-sig', 'TOK9-h', 'TOK10-user'];
  /** The user's own servers, written on one line (as a tool may): apply rewrites the whole file, so diff shows every line. */
  const mine = {
    mine: {
      type: 'stdio',
      command: 'npx',
      args: ['-y', 'my-server', '--api-key', TOKENS[0], `--token=${TOKENS[1]}`, '--header', `Authorization: Bearer ${TOKENS[2]}`, `API_KEY=${TOKENS[3]}`],
      env: { X: TOKENS[4] },
    },
    remote: { type: 'http', url: `https://${TOKENS[9]}:${TOKENS[5]}@mcp.example.com/mcp?api_key=${TOKENS[6]}&region=eu&sig=${TOKENS[7]}`, headers: { 'X-Api-Key': TOKENS[8] } },
  };
  const run = (args: string[], h: string) => cli([...args, '--home', h], { env: { HOME: h, PATH: process.env['PATH'] } });
  const leaked = (text: string): string[] => TOKENS.filter((t) => text.includes(t));

  it('never shows them in drift --json, drift or diff, while the rest of each entry stays readable', async () => {
    const h = join(tmp.dir, `home${n++}`);
    mkdirSync(h);
    writeFileSync(join(h, '.claude.json'), JSON.stringify({ numStartups: 3, mcpServers: mine }));
    for (const args of [['drift', '--json'], ['drift'], ['diff'], ['diff', '--json']]) {
      const r = await run([...args, ...ann], h);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(leaked(r.stdout + r.stderr), [], `${args.join(' ')} shows a token:\n${r.stdout}`);
      for (const kept of ['my-server', '--api-key', 'mcp.example.com/mcp', 'region=eu']) assert.ok(r.stdout.includes(kept), `${args.join(' ')} still shows ${kept}`);
    }
    const items = (JSON.parse((await run(['drift', '--json', ...ann], h)).stdout) as { items: Array<{ path: string; actual: unknown }> }).items;
    assert.deepEqual(items.find((i) => i.path === 'mcpServers.mine')?.actual, {
      type: 'stdio',
      command: 'npx',
      args: ['-y', 'my-server', '--api-key', '«hidden»', '--token=«hidden»', '--header', 'Authorization: Bearer «hidden»', 'API_KEY=«hidden»'],
      env: { X: '«hidden»' },
    });
    assert.deepEqual(items.find((i) => i.path === 'mcpServers.remote')?.actual, {
      type: 'http',
      url: 'https://«hidden»@mcp.example.com/mcp?api_key=«hidden»&region=eu&sig=«hidden»',
      headers: { 'X-Api-Key': '«hidden»' },
    });
    const diff = (await run(['diff', ...ann], h)).stdout;
    assert.match(diff, /^-\{"numStartups":3,"mcpServers":\{"mine":\{"type":"stdio","command":"npx","args":\["-y","my-server","--api-key","«hidden»","--token=«hidden»"/m);
    assert.match(diff, /^\+ {8}"«hidden»",$/m, 'the same value, hidden the same way, on the side apply writes');
  });

  it("hides a token the user added to a managed server's args, and shows what the repo wants", async () => {
    const h = join(tmp.dir, `home${n++}`);
    mkdirSync(h);
    assert.equal((await run(['apply', ...ann], h)).code, 0);
    const file = join(h, '.claude.json');
    const c = JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: { memory: { args: string[] } } };
    c.mcpServers.memory.args.push('--token', TOKENS[0]!);
    writeFileSync(file, JSON.stringify(c, null, 2));
    const drift = await run(['drift', '--json', ...ann], h);
    const item = (JSON.parse(drift.stdout) as { items: Array<{ path: string; expected: unknown; actual: unknown }> }).items.find((i) => i.path === 'mcpServers.memory.args');
    assert.deepEqual(item && [item.expected, item.actual], [
      ['-y', '@modelcontextprotocol/server-memory'],
      ['-y', '@modelcontextprotocol/server-memory', '--token', '«hidden»'],
    ]);
    const diff = (await run(['diff', ...ann], h)).stdout;
    assert.deepEqual(leaked(diff), []);
    assert.match(diff, /^- {8}"--token",\n- {8}"«hidden»"$/m);
  });
});

describe('mcp check masks a secret in every encoding', () => {
  const SECRET = 'tok-5e1f0a9c2b7d-really-secret';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  /** Every form of the secret a server below prints, to look for in the output. */
  const FORMS = [SECRET, b64(SECRET), Buffer.from(SECRET).toString('base64url'), Buffer.from(SECRET).toString('hex'), Buffer.from(SECRET).toString('hex').toUpperCase(), b64(`user:${SECRET}`), encodeURIComponent(SECRET)];
  /** A stdio MCP server (newline-delimited JSON-RPC) that names itself and its tools with encodings of its token. */
  const echoing = `
    const tok = process.env.API_TOKEN;
    const enc = (s, e) => Buffer.from(s).toString(e);
    let buf = '';
    process.stdin.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const reply = (result) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
        if (m.method === 'initialize') reply({ protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'echo-' + enc('user:' + tok, 'base64'), version: enc(tok, 'hex') } });
        else if (m.method === 'tools/list') reply({ tools: [{ name: 't-' + enc('k=' + tok, 'base64url'), inputSchema: { type: 'object' } }, { name: 'u-' + enc(tok, 'hex').toUpperCase(), inputSchema: { type: 'object' } }] });
        else if (m.id !== undefined) reply({});
      }
    });`;
  /** One that dies printing its Authorization header, base64 and hex, to stderr. */
  const dying = "process.stderr.write('401 for Authorization: Basic ' + Buffer.from('user:' + process.env.API_TOKEN).toString('base64') + ' key ' + Buffer.from(process.env.API_TOKEN).toString('hex') + '\\n'); process.exit(1);";

  it('in server info, tool names and errors, text and JSON', { timeout: 30_000 }, async () => {
    const dir = join(tmp.dir, `mcp${n++}`);
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'base', 'mcp'), { recursive: true });
    mkdirSync(join(repo, 'teams', 'web'), { recursive: true });
    writeFileSync(join(repo, 'claude-env.yml'), 'version: 1\nenvironments: [development]\n');
    writeFileSync(join(repo, 'teams', 'web', 'members.yml'), '- { user: ann, role: developer }\n');
    for (const [name, code] of Object.entries({ echoing, dying })) {
      writeFileSync(join(dir, `${name}.cjs`), code);
      writeFileSync(join(repo, 'base', 'mcp', `${name}.yml`), `command: ${JSON.stringify(process.execPath)}\nargs: [${JSON.stringify(join(dir, `${name}.cjs`))}]\nenv:\n  API_TOKEN: !secret env:TOKEN\n`);
    }
    const env = { HOME: dir, PATH: process.env['PATH'], TOKEN: SECRET };
    for (const json of [true, false]) {
      const r = await cli(['mcp', 'check', '--repo', repo, '--env', 'development', '--team', 'web', '--user', 'ann', '--home', dir, ...(json ? ['--json'] : [])], { env });
      assert.equal(r.code, 1, r.stderr);
      const out = r.stdout + r.stderr;
      assert.deepEqual(FORMS.filter((f) => out.includes(f)), [], `a form of the secret is shown:\n${out}`);
      assert.match(out, /401 for Authorization: Basic \S*«secret:env:TOKEN»/);
      if (json) {
        const echo = (JSON.parse(r.stdout) as { servers: Array<{ name: string; up: boolean; server: { name: string; version: string }; tool_names: string[] }> }).servers.find((s) => s.name === 'echoing')!;
        assert.equal(echo.up, true);
        assert.equal(echo.server.version, '«secret:env:TOKEN»');
        assert.match(echo.server.name, /^echo-\S*«secret:env:TOKEN»/);
        assert.equal(echo.tool_names.length, 2);
        for (const t of echo.tool_names) assert.match(t, /«secret:env:TOKEN»/);
      }
    }
  });
});
