/**
 * Attack rows: bounds and locks, and secrets in every encoding (see
 * harness.ts for what every row is checked for).
 *
 * The denial-of-service rows run the CLI as a child process with the bounds
 * the README states (`DOS`): each finishes within `timeoutMs` with a clear
 * error, and the YAML rows stay under `maxRssMb` of peak memory. Before
 * these bounds, the alias bomb grew validate and apply to 4.4 GB until V8
 * aborted, a stale lock file spun at 100 % CPU forever, `--wait abc` waited
 * forever and an empty lock refused every command forever.
 */
import assert from 'node:assert/strict';
import { lutimesSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { billionLaughs } from '../support/bombs.js';
import { targetArgs, type AttackRow, type Sandbox, type Step } from './harness.js';

const WORKFLOWS = 'teams/frontend-team/workflows.yml';
const PROJECT = 'projects/web-application/claude-config.yml';
/** The bounds of a denial-of-service step: 20 s and 300 MB (measured: about 1.5 s and 130 MB; see the README). */
const DOS = { timeoutMs: 20_000, maxRssMb: 300 } as const;
/** A lock step: Claude Code's lock is waited for 5 s at most. */
const LOCK = { timeoutMs: 15_000 } as const;
const APPLIED = ['.claude/**', '.claude.json'];
const re = (file: string): string => file.replaceAll('.', '\\.');

/** Set a path's own mtime `seconds` in the past. */
function age(path: string, seconds: number): void {
  const t = Date.now() / 1000 - seconds;
  lutimesSync(path, t, t);
}

/** validate, render and apply of the target, each a child process within DOS, each refusing with `rule` at `file`. */
function yamlBomb(attack: string, file: string, text: string | ((s: Sandbox) => string), rule: string): AttackRow {
  const says = new RegExp(`${re(file)}:\\d+:\\d+ .*${rule}`);
  return {
    attack,
    setup(s) {
      s.append(file, typeof text === 'string' ? text : text(s));
    },
    steps: [
      { argv: (s) => ['validate', '--repo', s.repo], exit: 1, says, child: DOS },
      { argv: (s) => targetArgs(s, 'render'), exit: 1, says, child: DOS },
      { argv: (s) => targetArgs(s, 'apply'), exit: 1, says, child: DOS },
      { argv: (s) => targetArgs(s, 'drift'), exit: 1, says, child: DOS },
    ],
  };
}

/** A home whose `.claude.json.lock` is `make`'s, `secondsOld` old. */
const claudeLock = (make: (p: string) => void, secondsOld: number) => (s: Sandbox) => {
  const p = join(s.home, '.claude.json.lock');
  make(p);
  age(p, secondsOld);
};

const applies: Step = { argv: (s) => targetArgs(s, 'apply'), exit: 0, child: LOCK };

/** What stands aside of a stale `.claude.json.lock`, with every byte it had. */
function keptAside(s: Sandbox, check: (path: string) => void): void {
  const aside = readdirSync(s.home).filter((f) => f.startsWith('.claude.json.lock.stale-'));
  assert.equal(aside.length, 1, `the stale lock is kept aside: ${readdirSync(s.home).join(', ')}`);
  check(join(s.home, aside[0]!));
}

/** A stdio MCP server (newline-delimited JSON-RPC) that names itself and its tools with its token, base64, hex and URL-encoded, and lists them. */
const ECHOING = `
  const tok = process.env.API_TOKEN;
  const enc = (s, e) => Buffer.from(s).toString(e);
  let buf = '';
  process.stderr.write('Authorization: Basic ' + enc('bob:' + tok, 'base64') + ' ' + encodeURIComponent(tok) + '\\n');
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const reply = (result) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
      if (m.method === 'initialize') reply({ protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'srv-' + enc(tok, 'base64'), version: enc(tok, 'hex') } });
      else if (m.method === 'tools/list') reply({ tools: [{ name: 't-' + enc('x:' + tok, 'base64url'), inputSchema: { type: 'object' } }, { name: 'u-' + enc(tok, 'hex').toUpperCase(), inputSchema: { type: 'object' } }] });
      else if (m.id !== undefined) reply({});
    }
  });`;
/** One that dies at once, printing its token's encodings to stderr. */
const DYING = "const t = process.env.API_TOKEN; process.stderr.write('401 Authorization: Basic ' + Buffer.from('bob:' + t).toString('base64') + ' / ' + Buffer.from(t).toString('hex') + ' / ' + Buffer.from(t).toString('base64url') + '\\n'); process.exit(1);";

function leakyServer(attack: string, code: string): AttackRow {
  return {
    attack,
    setup(s) {
      writeFileSync(join(s.root, 'server.cjs'), code);
      // The admin's own reference server (allowlisted, in base, enabled in development): the server echoes, not a layer.
      s.file('base/mcp/everything.yml', `type: stdio\ncommand: ${JSON.stringify(process.execPath)}\nargs: [${JSON.stringify(join(s.root, 'server.cjs'))}]\nenv:\n  API_TOKEN: !secret env:DOCS_MCP_TOKEN\n`);
    },
    steps: [
      { argv: (s) => targetArgs(s, 'mcp', 'check', '--server', 'everything'), exit: [0, 1], says: /«secret:env:DOCS_MCP_TOKEN»/ },
      { argv: (s) => targetArgs(s, 'mcp', 'check', '--server', 'everything', '--json'), exit: [0, 1], says: /«secret:env:DOCS_MCP_TOKEN»/ },
    ],
  };
}

export const rows: AttackRow[] = [
  yamlBomb('nine levels of nine YAML aliases (a "billion laughs", 500 bytes) in a team layer', WORKFLOWS, billionLaughs(), 'yaml-alias-limit'),
  yamlBomb("the same alias bomb in a developer's own project layer", PROJECT, `bomb:\n${billionLaughs().trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`, 'yaml-alias-limit'),
  yamlBomb('an alias inside the node it stands for (a cycle: endless expansion)', WORKFLOWS, 'loop: &loop\n  description: x\n  steps: [*loop]\n', 'yaml-alias-cycle'),
  yamlBomb('one 200 KB string repeated by 30 aliases (6 MB of text from 200 KB)', WORKFLOWS, `big: &big "${'x'.repeat(200_000)}"\nmany: [${Array(30).fill('*big').join(', ')}]\n`, 'yaml-alias-limit'),
  yamlBomb('a layer document over 512 KiB', WORKFLOWS, `# ${'x'.repeat(512 * 1024)}\n`, 'document-too-large'),
  {
    attack: 'a 32,000-key mapping (520 KB, under the size limit) in a layer: the parser compared every key with every other (validate took 18 s)',
    setup(s) {
      s.file(PROJECT, `settings:\n  env: {${Array.from({ length: 32_000 }, (_, i) => `"K${i}":"${i}"`).join(',')}}\n`);
    },
    // Measured: 3.6 s and 280 MB (validate merges the mapping for every target of the project).
    steps: [{ argv: (s) => ['validate', '--repo', s.repo, '--no-secret-scan'], exit: 0, child: { timeoutMs: DOS.timeoutMs, maxRssMb: 500 } }],
  },
  yamlBomb('a dense list of 250,000 numbers (500 KB, under the size limit): the parser costs 1 KB a node', WORKFLOWS, `dense: [${Array(250_000).fill('1').join(',')}]\n`, 'document-too-large'),
  {
    attack: 'the alias bomb in the machine\'s own ~/.claude/local-overrides.yml',
    setup(s) {
      writeFileSync(join(s.home, '.claude', 'local-overrides.yml'), billionLaughs());
    },
    steps: [
      { argv: (s) => targetArgs(s, 'apply'), exit: 1, says: /local-overrides\.yml:\d+:\d+ +yaml-alias-limit/, child: DOS },
      { argv: (s) => targetArgs(s, 'drift'), exit: 1, says: /local-overrides\.yml:\d+:\d+ +yaml-alias-limit/, child: DOS },
    ],
  },
  {
    attack: 'a stale .claude.json.lock FILE (a crash, or planted): apply spun at 100 % CPU forever',
    setup: claudeLock((p) => writeFileSync(p, 'left behind\n'), 60),
    steps: [applies],
    mayChange: [...APPLIED, '.claude.json.lock*'],
    check: (s) => keptAside(s, (p) => assert.equal(readFileSync(p, 'utf8'), 'left behind\n')),
  },
  {
    attack: 'a stale .claude.json.lock folder with a file in it',
    setup: claudeLock((p) => {
      mkdirSync(p);
      writeFileSync(join(p, 'pid'), '4242\n');
    }, 60),
    steps: [applies],
    mayChange: [...APPLIED, '.claude.json.lock*/**', '.claude.json.lock*'],
    check: (s) => keptAside(s, (p) => assert.equal(readFileSync(join(p, 'pid'), 'utf8'), '4242\n')),
  },
  {
    attack: 'a fresh .claude.json.lock FILE that never goes away: apply waits 5 s, then says who holds what',
    setup: claudeLock((p) => writeFileSync(p, ''), 0),
    steps: [{ argv: (s) => targetArgs(s, 'apply'), exit: 2, says: /\.claude\.json\.lock +lock-held +Claude Code holds .*a file in the lock's place/, child: LOCK }],
  },
  {
    attack: "an empty claude-env lock left by a full disk: every later command was refused forever",
    setup(s) {
      mkdirSync(join(s.home, '.claude-env'), { recursive: true });
      writeFileSync(join(s.home, '.claude-env', 'lock'), '');
      age(join(s.home, '.claude-env', 'lock'), 10);
    },
    steps: [applies],
    mayChange: APPLIED,
  },
  {
    attack: 'a garbled claude-env lock just written: held (it may be being written), named, never waited for past --wait',
    setup(s) {
      mkdirSync(join(s.home, '.claude-env'), { recursive: true });
      writeFileSync(join(s.home, '.claude-env', 'lock'), '{"pid": 12');
    },
    steps: [{ argv: (s) => targetArgs(s, 'apply', '--wait', '1'), exit: 2, says: /lock-held +another claude-env is changing this machine: a lock that holds no holder/, child: LOCK }],
  },
  {
    attack: 'the disk fills while claude-env writes its lock: no lock is left behind to refuse the next command',
    steps: [
      { argv: (s) => targetArgs(s, 'apply'), exit: 2, env: { CLAUDE_ENV_FAIL_LOCK_WRITE: '1' }, says: /lock-failed +cannot take the lock .*no space left on device; nothing was changed/ },
      { argv: (s) => targetArgs(s, 'apply'), exit: 0 },
    ],
    mayChange: APPLIED,
  },
  {
    attack: '--wait abc (or 1e9): waited forever',
    steps: [
      { argv: (s) => targetArgs(s, 'apply', '--wait', 'abc'), exit: 2, says: /usage +--wait must be a number of seconds from 0 to 3600 \(got "abc"\)/, child: LOCK },
      { argv: (s) => targetArgs(s, 'rollback', '--wait', '1e9'), exit: 2, says: /--wait must be a number of seconds from 0 to 3600/, child: LOCK },
      { argv: (s) => targetArgs(s, 'remediate', '--wait=-5'), exit: 2, says: /--wait must be a number of seconds/, child: LOCK },
    ],
  },
  leakyServer('an MCP server that echoes its token base64 (Authorization: Basic), hex and URL-encoded in its name, version, tools and stderr', ECHOING),
  leakyServer('an MCP server that dies printing its token base64, base64url and hex', DYING),
  {
    attack: "tokens in the user's own MCP args and URL (--api-key, --token=, ?api_key=, user:pass@) shown by drift and diff",
    setup(s) {
      const token = s.secrets[0]!;
      const file = join(s.home, '.claude.json');
      const c = JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: Record<string, unknown> };
      c.mcpServers['mine'] = { type: 'stdio', command: 'my-server', args: ['--api-key', token, `--token=${token}`, '--header', `Authorization: Bearer ${token}`], env: {} };
      c.mcpServers['remote'] = { type: 'http', url: `https://bob:${token}@mcp.example.com/mcp?api_key=${token}&region=eu` };
      // On one line, as some tools write it: apply rewrites the whole file, so diff shows every line of it.
      writeFileSync(file, JSON.stringify(c), { mode: 0o600 });
    },
    steps: [
      { argv: (s) => targetArgs(s, 'drift'), exit: 1, says: /mcpServers\.mine .*"--api-key","«hidden»"/ },
      { argv: (s) => targetArgs(s, 'drift', '--json'), exit: 1, says: /"url": "https:\/\/«hidden»@mcp\.example\.com\/mcp\?api_key=«hidden»&region=eu"/ },
      { argv: (s) => targetArgs(s, 'diff'), exit: 1, says: /"--token=«hidden»"/ },
      { argv: (s) => targetArgs(s, 'diff', '--json'), exit: 1 },
    ],
  },
];
