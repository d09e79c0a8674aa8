/**
 * Secrets on a developer machine: `!secret env:|file:|cmd:` references and
 * `!encrypted` age values are resolved at apply into the files that need
 * them (mode 0600) and nowhere else; drift tells a changed secret without
 * showing either value; every reference that cannot be resolved is an error
 * naming the reference and where the repo sets it, and nothing is written;
 * `secret encrypt|decrypt` interoperate with Debian's `age` both ways; and a
 * canary in every channel appears in no output, log, state or restore-point
 * listing of any command.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, snapshot, tempDir, type CliRun } from '../helpers.js';
import { pathWithClaude, requireComponent } from '../support/claude.js';
import { FAKE } from '../support/fake-secrets.js';

const tmp = tempDir('claude-env-secrets-');
after(() => tmp.cleanup());

/** A distinct canary per channel: any of them anywhere but the outputs that need it is a leak. */
const CANARY = {
  env: 'CANARY-ENV-7f3a9c1e',
  file: 'CANARY-FILE-0b8d2e44',
  cmd: 'CANARY-CMD-91c5aa07',
  age: 'CANARY-AGE-3e6f0d12',
  header: 'CANARY-HDR-55b1c9f8',
  plain: 'CANARY-PLAIN-c0ffee99',
  changed: 'CANARY-CHANGED-d15ea5e0',
};
const CANARY_RE = /CANARY-[A-Z]+-[0-9a-f]{8}/g;

const age = (): string => requireComponent('age (Debian package, installed by test/setup.sh)', () => execFileSync('sh', ['-c', 'command -v age && command -v age-keygen'], { encoding: 'utf8' }).split('\n')[0]!);

let repo = '';
let identity = '';
let recipient = '';
let secretsDir = '';
const target = (): string[] => ['--repo', repo, '--env', 'development', '--team', 'frontend-team', '--user', 'alice', '--project', 'web-application'];
const envFor = (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOME: home,
  PATH: process.env['PATH'],
  CANARY_ENV: CANARY.env,
  DOCS_MCP_TOKEN: `Bearer ${CANARY.header}`,
  CLAUDE_ENV_AGE_IDENTITY: identity,
  ...extra,
});
let n = 0;
const newHome = (): string => {
  const home = join(tmp.dir, `home${n++}`);
  mkdirSync(home);
  return home;
};

before(async () => {
  age();
  repo = join(tmp.dir, 'repo');
  assert.equal((await cli(['init', repo])).code, 0);
  identity = join(tmp.dir, 'identity.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  recipient = /public key: (age1\w+)/.exec(readFileSync(identity, 'utf8'))![1]!;
  secretsDir = join(tmp.dir, 'secrets');
  mkdirSync(secretsDir);
  writeFileSync(join(secretsDir, 'file-secret'), `${CANARY.file}\n`);
  writeFileSync(join(secretsDir, 'cmd-secret'), CANARY.cmd);
  // the age value is made with Debian's age, as a platform engineer would
  const armored = execFileSync('age', ['-e', '-a', '-r', recipient], { input: CANARY.age, encoding: 'utf8' });
  // alice's user layer may run a command for her secret: this repo trusts user layers with commands (the default is base and environments only).
  writeFileSync(join(repo, 'claude-env.yml'), readFileSync(join(repo, 'claude-env.yml'), 'utf8').replace('commands_from: [base, environments]', 'commands_from: [base, environments, users]'));
  writeFileSync(
    join(repo, 'users/alice/overrides.yml'),
    [
      'settings:',
      '  env:',
      '    API_TOKEN: !secret env:CANARY_ENV',
      `    FILE_TOKEN: !secret file:${join(secretsDir, 'file-secret')}`,
      `    CMD_TOKEN: !secret cmd:cat ${join(secretsDir, 'cmd-secret')}`,
      '    AGE_TOKEN: !encrypted |',
      ...armored.trimEnd().split('\n').map((l) => `      ${l}`),
      '',
    ].join('\n'),
  );
  // a plain secret in a file of the repo that no layer reads: only the scan sees it
  mkdirSync(join(repo, 'docs'), { recursive: true });
  writeFileSync(join(repo, 'docs/notes.md'), `# notes\nthe staging token is ${CANARY.plain}\nGITHUB_TOKEN=${FAKE.github}\nANTHROPIC_API_KEY=${FAKE.anthropic}\n`);
});

describe('apply with secrets', () => {
  it('writes every resolved value into the files that need them, mode 0600, and drift finds none', async () => {
    const home = newHome();
    const r = await cli(['apply', ...target(), '--home', home], { env: envFor(home) });
    assert.equal(r.code, 0, r.stderr);
    const settingsFile = join(home, '.claude/settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    assert.deepEqual(
      { API_TOKEN: settings.env.API_TOKEN, FILE_TOKEN: settings.env.FILE_TOKEN, CMD_TOKEN: settings.env.CMD_TOKEN, AGE_TOKEN: settings.env.AGE_TOKEN },
      { API_TOKEN: CANARY.env, FILE_TOKEN: CANARY.file, CMD_TOKEN: CANARY.cmd, AGE_TOKEN: CANARY.age },
    );
    assert.equal(statSync(settingsFile).mode & 0o777, 0o600);
    const claudeJson = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'));
    assert.equal(claudeJson.mcpServers.docs.headers.Authorization, `Bearer ${CANARY.header}`);
    const drift = await cli(['drift', ...target(), '--home', home, '--json'], { env: envFor(home) });
    assert.equal(drift.code, 0, drift.stdout);
    assert.deepEqual(JSON.parse(drift.stdout).items, []);
    // and diff shows nothing: the resolved values on disk are the ones apply wrote
    const diff = await cli(['diff', ...target(), '--home', home], { env: envFor(home) });
    assert.equal(diff.code, 0, diff.stdout);
    assert.equal(diff.stdout, '');
  });

  it('reports a secret changed on disk as drift, showing neither value, and remediate puts it back', async () => {
    const home = newHome();
    assert.equal((await cli(['apply', ...target(), '--home', home], { env: envFor(home) })).code, 0);
    const file = join(home, '.claude/settings.json');
    const s = JSON.parse(readFileSync(file, 'utf8'));
    s.env.API_TOKEN = CANARY.changed;
    writeFileSync(file, JSON.stringify(s, null, 2));
    const drift = await cli(['drift', ...target(), '--home', home, '--json'], { env: envFor(home) });
    assert.equal(drift.code, 1);
    const items = JSON.parse(drift.stdout).items as Array<{ path: string; expected: unknown; actual: unknown }>;
    assert.deepEqual(items.map((i) => [i.path, i.expected, i.actual]), [['settings.env.API_TOKEN', '«secret:env:CANARY_ENV»', '«hidden»']]);
    assert.doesNotMatch(drift.stdout + drift.stderr, CANARY_RE);
    const text = await cli(['drift', ...target(), '--home', home], { env: envFor(home) });
    assert.doesNotMatch(text.stdout + text.stderr, CANARY_RE);
    // diff says the secret changed, showing neither value
    const diff = await cli(['diff', ...target(), '--home', home], { env: envFor(home) });
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /\n- {4}"API_TOKEN": "«changed secret:env:CANARY_ENV»",\n\+ {4}"API_TOKEN": "«secret:env:CANARY_ENV»",\n/);
    assert.doesNotMatch(diff.stdout + diff.stderr, CANARY_RE);
    const fix = await cli(['remediate', ...target(), '--home', home, '--include', 'medium'], { env: envFor(home) });
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).env.API_TOKEN, CANARY.env);
  });

  const failures: Array<{ name: string; env?: Record<string, string>; setup?: () => () => void; message: RegExp }> = [
    { name: 'an unset environment variable', env: { CANARY_ENV: '' }, message: /users\/alice\/overrides\.yml:3:24  secret-unresolved  cannot resolve !secret «secret:env:CANARY_ENV»: the environment variable CANARY_ENV is not set/ },
    {
      name: 'an unreadable file',
      setup: () => {
        const f = join(secretsDir, 'file-secret');
        const text = readFileSync(f);
        writeFileSync(`${f}.bak`, text);
        execFileSync('rm', [f]);
        return () => writeFileSync(f, text);
      },
      message: /overrides\.yml:4:25  secret-unresolved  cannot resolve !secret «secret:file:.*file-secret»: cannot read .*file-secret \(ENOENT\)/,
    },
    {
      name: 'a command that fails',
      setup: () => {
        const f = join(secretsDir, 'cmd-secret');
        chmodSync(secretsDir, 0o755);
        const text = readFileSync(f);
        execFileSync('rm', [f]);
        return () => writeFileSync(f, text);
      },
      message: /overrides\.yml:5:24  secret-unresolved  cannot resolve !secret «secret:cmd:[0-9a-f]{12}»: the command exited with code 1/,
    },
    {
      name: 'a command that hangs past its timeout',
      setup: () => {
        const f = join(repo, 'users/alice/overrides.yml');
        const text = readFileSync(f, 'utf8');
        writeFileSync(f, text.replace(/CMD_TOKEN: !secret cmd:.*/, 'CMD_TOKEN: !secret cmd:sleep 30'));
        return () => writeFileSync(f, text);
      },
      env: { CLAUDE_ENV_SECRET_TIMEOUT_MS: '300' },
      message: /overrides\.yml:5:24  secret-unresolved  cannot resolve !secret «secret:cmd:[0-9a-f]{12}»: the command did not finish within 0\.3 s and was killed/,
    },
    {
      name: 'a wrong age identity',
      setup: () => {
        const other = join(tmp.dir, 'other-identity.txt');
        execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
        identity = other;
        const real = join(tmp.dir, 'identity.txt');
        return () => void (identity = real);
      },
      message: /overrides\.yml:6:27  secret-unresolved  cannot resolve !encrypted «secret:age:[0-9a-f]{12}»: none of the given age identities can decrypt it/,
    },
    {
      name: 'a damaged ciphertext',
      setup: () => {
        const f = join(repo, 'users/alice/overrides.yml');
        const text = readFileSync(f, 'utf8');
        const lines = text.split('\n');
        const i = lines.findIndex((l) => l.includes('BEGIN AGE')) + 2;
        lines[i] = lines[i]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
        writeFileSync(f, lines.join('\n'));
        return () => writeFileSync(f, text);
      },
      message: /overrides\.yml:6:27  secret-unresolved  cannot resolve !encrypted «secret:age:[0-9a-f]{12}»: the ciphertext is damaged/,
    },
    { name: 'no age identity at all', env: { CLAUDE_ENV_AGE_IDENTITY: '' }, message: /secret-unresolved  cannot resolve !encrypted «secret:age:[0-9a-f]{12}»: no age identity given\n {2}pass --identity FILE or set \$CLAUDE_ENV_AGE_IDENTITY/ },
  ];
  for (const c of failures) {
    it(`stops on ${c.name} with exit 2, names the reference and where it is set, never a value, and writes nothing`, async () => {
      const home = newHome();
      const undo = c.setup?.();
      try {
        const env = envFor(home, c.env ?? {});
        for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
        const before = snapshot(home);
        const r = await cli(['apply', ...target(), '--home', home], { env });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, c.message);
        assert.doesNotMatch(r.stdout + r.stderr, CANARY_RE);
        assert.deepEqual(snapshot(home), before, 'no byte of the home changed');
      } finally {
        undo?.();
      }
    });
  }

  it('reports an unknown provider as an invalid repo (exit 1, file:line:col) and writes nothing', async () => {
    const home = newHome();
    const f = join(repo, 'users/alice/overrides.yml');
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.replace('!secret env:CANARY_ENV', '!secret vault:kv/token'));
    try {
      const r = await cli(['apply', ...target(), '--home', home], { env: envFor(home) });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /users\/alice\/overrides\.yml:3:24  secret-ref  !secret needs "env:NAME", "file:PATH" or "cmd:COMMAND" \(unknown provider "vault"\)/);
      assert.deepEqual(readdirSync(home), []);
    } finally {
      writeFileSync(f, text);
    }
  });
});

describe('secret encrypt and decrypt', () => {
  it('encrypts for the recipients of claude-env.yml so that Debian’s age decrypts it', async () => {
    const cfg = join(repo, 'claude-env.yml');
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.replace('\nsecrets:\n', `\nsecrets:\n  age:\n    recipients: [${recipient}]\n`));
    try {
      const r = await cli(['secret', 'encrypt', '--repo', repo], { stdin: 'round trip one\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^!encrypted \|\n {2}-----BEGIN AGE ENCRYPTED FILE-----\n/);
      const armor = r.stdout.split('\n').slice(1).map((l) => l.replace(/^ {2}/, '')).join('\n');
      assert.equal(execFileSync('age', ['-d', '-i', identity], { input: armor, encoding: 'utf8' }), 'round trip one');
    } finally {
      writeFileSync(cfg, text);
    }
  });

  it('decrypts what Debian’s age encrypted, given as YAML or bare armor', async () => {
    const armored = execFileSync('age', ['-e', '-a', '-r', recipient], { input: 'round trip two', encoding: 'utf8' });
    for (const input of [armored, `!encrypted |\n${armored.replace(/^/gm, '  ')}`]) {
      const r = await cli(['secret', 'decrypt', '--identity', identity, '--repo', repo], { stdin: input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'round trip two\n');
    }
  });

  it('refuses a value on the command line, a missing recipient and a wrong identity, each with exit 2', async () => {
    const onLine = await cli(['secret', 'encrypt', 'hunter2', '--repo', repo]);
    assert.equal(onLine.code, 2);
    assert.match(onLine.stderr, /a value on the command line is visible to every process/);
    assert.doesNotMatch(onLine.stderr, /hunter2/);
    const noRecipient = await cli(['secret', 'encrypt', '--repo', repo], { stdin: 'x' });
    assert.equal(noRecipient.code, 2);
    assert.match(noRecipient.stderr, /age-recipient  no age recipients: set secrets\.age\.recipients in claude-env\.yml/);
    const other = join(tmp.dir, 'third-identity.txt');
    execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
    const armored = execFileSync('age', ['-e', '-a', '-r', recipient], { input: 'x', encoding: 'utf8' });
    const wrong = await cli(['secret', 'decrypt', '--identity', other, '--repo', repo], { stdin: armored });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /none of the given age identities can decrypt it/);
  });
});

describe('apply --managed', () => {
  it('writes the enforced policy as Claude Code’s managed-settings.json where no Claude Code reads fragments: enforce.settings, required deny rules, bypass disabled, the MCP allowlist', async () => {
    const home = newHome();
    const managed = join(tmp.dir, `managed${n}`);
    const r = await cli(['apply', ...target(), '--home', home, '--managed', managed], { env: envFor(home, { PATH: pathWithClaude('none', tmp.dir) }) });
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(readFileSync(join(managed, 'managed-settings.json'), 'utf8'));
    assert.deepEqual(m, {
      permissions: { disableBypassPermissionsMode: 'disable', deny: ['Read(./.env)', 'Read(./secrets/**)', 'Read(~/.ssh/**)', 'Bash(sudo:*)'] },
      allowedMcpServers: [{ serverName: 'memory' }, { serverName: 'everything' }, { serverName: 'docs' }],
    });
    // drift remembers the managed dir; a hand edit there is critical drift
    const noClaude = envFor(home, { PATH: pathWithClaude('none', tmp.dir) });
    assert.equal((await cli(['drift', ...target(), '--home', home], { env: noClaude })).code, 0);
    writeFileSync(join(managed, 'managed-settings.json'), '{}\n');
    const d = await cli(['drift', ...target(), '--home', home, '--json'], { env: noClaude });
    assert.equal(d.code, 1);
    const report = JSON.parse(d.stdout);
    assert.equal(report.risk_level, 'critical');
    assert.deepEqual(report.items.map((i: { file: string; severity: string }) => [i.file, i.severity]), [['@managed/managed-settings.json', 'critical']]);
  });
});

describe('the canary', () => {
  it('appears in no output, error, log, state or restore-point listing of any command, text or --json', async () => {
    const home = newHome();
    const project = join(tmp.dir, 'project');
    mkdirSync(project);
    const env = envFor(home);
    const runs: Array<[string, CliRun]> = [];
    const run = async (args: string[], extra: Record<string, string> = {}): Promise<CliRun> => {
      const e = { ...env, ...extra };
      for (const [k, v] of Object.entries(e)) if (v === '') delete e[k];
      const r = await cli(args, { env: e, cwd: repo });
      runs.push([args.join(' '), r]);
      return r;
    };
    const t = [...target(), '--home', home];
    // the scan finds the plain secrets of docs/notes.md, and says so without showing them
    const scan = await run(['validate', '--repo', repo, '--json']);
    assert.equal(scan.code, 1);
    assert.deepEqual(
      (JSON.parse(scan.stdout).findings as Array<{ rule: string; file: string }>).filter((f) => f.rule === 'secret-detected').map((f) => f.file),
      ['docs/notes.md', 'docs/notes.md'],
    );
    await run(['validate', '--repo', repo, '--format', 'sarif']);
    for (const json of [[], ['--json']]) {
      await run(['validate', '--repo', repo, ...json]);
      await run(['render', ...t, ...json]);
      await run(['render', ...t, '--outputs', ...json]);
      await run(['render', ...t, '--explain', ...json]);
      await run(['explain', 'settings.env', ...t, ...json]);
      await run(['explain', 'settings.env.AGE_TOKEN', ...t, ...json]);
      await run(['apply', ...t, '--dry-run', ...json]);
      await run(['apply', ...t, '--project-dir', project, ...json]);
      await run(['diff', ...t, ...json]);
      await run(['drift', ...t, ...json]);
      // a hand edit of a secret, then drift, diff and remediate
      const file = join(home, '.claude/settings.json');
      const s = JSON.parse(readFileSync(file, 'utf8'));
      s.env.CMD_TOKEN = CANARY.changed;
      writeFileSync(file, JSON.stringify(s, null, 2));
      await run(['drift', ...t, ...json]);
      await run(['diff', ...t, ...json]);
      await run(['remediate', ...t, ...json]);
      await run(['rollback', '--list', ...t, ...json]);
      await run(['rollback', ...t, ...json]);
      await run(['apply', ...t, ...json]);
      // errors forced: each channel failing in turn
      await run(['apply', ...t, ...json], { CANARY_ENV: '' });
      await run(['apply', ...t, ...json], { CLAUDE_ENV_AGE_IDENTITY: join(tmp.dir, 'nope.txt') });
      await run(['apply', ...t, ...json], { CLAUDE_ENV_CORRUPT_WRITE_AT: '1' });
      await run(['remediate', ...t, ...json], { CLAUDE_ENV_CORRUPT_WRITE_AT: '1' });
    }
    assert.ok(runs.length >= 40);
    for (const [args, r] of runs) {
      const all = `${r.stdout}\n${r.stderr}`;
      const leaks = [...all.matchAll(CANARY_RE)].map((m) => m[0]);
      for (const plain of [FAKE.github, FAKE.anthropic]) for (let i = 0; i + 12 <= plain.length; i += 6) if (all.includes(plain.slice(i, i + 12))) leaks.push(`part of ${plain.slice(0, 7)}…`);
      assert.deepEqual(leaks, [], `claude-env ${args} printed a secret`);
    }
    // claude-env's own files: state, audit log, journal, restore-point manifests (the saved files themselves are 0600 copies of outputs)
    const stateDir = join(home, '.claude-env');
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const metadata = walk(stateDir).filter((f) => !/\/restore\/[^/]+\/(?!manifest\.json$)[^/]+$/.test(f));
    assert.ok(metadata.some((f) => f.endsWith('audit.log')) && metadata.some((f) => f.endsWith('state.json')) && metadata.some((f) => f.endsWith('manifest.json')));
    for (const f of metadata) assert.doesNotMatch(readFileSync(f, 'latin1'), CANARY_RE, `${f} holds a secret`);
    for (const f of walk(stateDir)) assert.equal(statSync(f).mode & 0o077, 0, `${f} is readable by others`);
    // the outputs that need them hold them
    const settings = readFileSync(join(home, '.claude/settings.json'), 'utf8');
    for (const c of [CANARY.env, CANARY.file, CANARY.cmd, CANARY.age]) assert.ok(settings.includes(c));
    assert.ok(readFileSync(join(home, '.claude.json'), 'utf8').includes(CANARY.header));
    // and no other file of the home or the project does
    for (const [path] of snapshot(home)) {
      if (path.startsWith('.claude-env/') || path === '.claude/settings.json' || path === '.claude.json') continue;
      assert.doesNotMatch(readFileSync(join(home, path), 'latin1'), CANARY_RE, `${path} holds a secret`);
    }
    for (const [path] of snapshot(project)) assert.doesNotMatch(readFileSync(join(project, path), 'latin1'), CANARY_RE, `${path} holds a secret`);
  });
});
