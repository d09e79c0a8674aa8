import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretValue, setOrigins, type TreeMap } from '../provenance/tree.js';
import type { Origin, RepoPath } from '../vocabulary.js';
import { unmetExpectations, parseExpectations } from './expect.js';
import { redact } from './redact.js';
import { expandVariables, resolveServer, serverDefinitions } from './servers.js';

const at = (line: number, column = 1): Origin => ({ layer: 'base', file: 'base/mcp/a.yml' as RepoPath, line, column });

describe('serverDefinitions', () => {
  it('lists the enabled servers with their transport and the line of their command or url', () => {
    const a: TreeMap = setOrigins({ command: 'node', args: ['a.js'] }, { self: at(1), keys: { command: at(1, 10), args: at(2, 7) } });
    const b: TreeMap = setOrigins({ type: 'http', url: 'http://x/mcp' }, { self: at(1), keys: { type: at(1, 7), url: at(2, 6) } });
    const c: TreeMap = { type: 'sse', url: 'http://x/sse' };
    const off: TreeMap = { command: 'node', enabled: false };
    const defs = serverDefinitions({ a, b, c, off });
    assert.deepEqual(
      defs.map((d) => [d.name, d.transport, d.origin?.line, d.origin?.column]),
      [
        ['a', 'stdio', 1, 10],
        ['b', 'http', 2, 6],
        ['c', 'sse', undefined, undefined],
      ],
    );
  });
});

describe('expandVariables', () => {
  it('expands ${VAR} and ${VAR:-default} as Claude Code does, and leaves an unset variable as written', () => {
    const env = { HOST: 'mcp.example.com', EMPTY: '' };
    assert.equal(expandVariables('https://${HOST}/mcp', env), 'https://mcp.example.com/mcp');
    assert.equal(expandVariables('${PORT:-8080} ${EMPTY:-dflt}', env), '8080 dflt');
    assert.equal(expandVariables('${MISSING} $HOST', env), '${MISSING} $HOST');
  });
});

describe('resolveServer', () => {
  it('resolves secrets, remembers their values to hide them, and prefers --timeout over the entry timeout', async () => {
    const def = serverDefinitions({ api: { type: 'http', url: 'https://${HOST}/mcp', headers: { Authorization: new SecretValue('env', 'TOKEN') }, timeout: 5000 } })[0]!;
    const resolveSecret = async (s: SecretValue): Promise<string> => `value-of-${s.ref}`;
    const spec = await resolveServer(def, { env: { HOST: 'h' }, resolveSecret, defaultTimeoutMs: 10_000 });
    assert.deepEqual([spec.url, spec.headers, spec.timeoutMs, spec.secrets], ['https://h/mcp', { Authorization: 'value-of-TOKEN' }, 5000, [['value-of-TOKEN', '«secret:env:TOKEN»']]]);
    assert.equal((await resolveServer(def, { env: {}, resolveSecret, defaultTimeoutMs: 10_000, timeoutMs: 250 })).timeoutMs, 250);
  });
});

describe('redact', () => {
  it('replaces every resolved secret, also URL- and JSON-encoded, with its description', () => {
    const secrets = [['p@ss "word"', '«secret:env:PW»'] as const];
    assert.equal(redact('a p@ss "word" b p%40ss%20%22word%22 c p@ss \\"word\\"', secrets), 'a «secret:env:PW» b «secret:env:PW» c «secret:env:PW»');
  });
});

describe('unmetExpectations', () => {
  it('reports missing tools, too few tools and a slow server, each at the line that expects it', () => {
    const expect = parseExpectations(setOrigins({ tools: ['a', 'z'], min_tools: 3, max_latency_ms: 100 }, { self: at(3), keys: { tools: at(4, 10), min_tools: at(5, 14), max_latency_ms: at(6, 19) } }));
    const unmet = unmetExpectations('s', expect, { toolNames: ['a', 'b'], latencyMs: 150 });
    assert.deepEqual(
      unmet.map((u) => [u.expectation, u.origin?.line, u.message]),
      [
        ['tools', 4, 'server "s" does not list the expected tool z; it lists a, b'],
        ['min_tools', 5, 'server "s" lists 2 tool(s), expected at least 3'],
        ['max_latency_ms', 6, 'server "s" took 150 ms to connect, initialize and list, over its budget of 100 ms'],
      ],
    );
    assert.deepEqual(unmetExpectations('s', expect, { toolNames: ['a', 'b', 'z'], latencyMs: 99 }), []);
  });
});
