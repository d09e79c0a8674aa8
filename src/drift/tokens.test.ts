/** Credentials in a user's own entries are found by where they stand and hidden; everything around them stays readable. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hideArgs, hideTokens } from './tokens.js';
import { rewriteJsonStrings } from './json-text.js';

describe('hideTokens', () => {
  const cases: Array<[string, string]> = [
    // URLs: userinfo, and token parameters of the query and the fragment
    ['https://alice:s3cret@mcp.example.com/mcp', 'https://«hidden»@mcp.example.com/mcp'],
    ['https://ghp_abc@github.com/x.git', 'https://«hidden»@github.com/x.git'],
    ['https://mcp.example.com/sse?api_key=abc123&region=eu', 'https://mcp.example.com/sse?api_key=«hidden»&region=eu'],
    ['https://h/p?token=t&access_token=a&key=k&sig=s&X-Amz-Signature=z&page=2', 'https://h/p?token=«hidden»&access_token=«hidden»&key=«hidden»&sig=«hidden»&X-Amz-Signature=«hidden»&page=2'],
    ['https://h/cb#access_token=abc&state=1', 'https://h/cb#access_token=«hidden»&state=1'],
    ['see https://h/?apiKey=abc, then', 'see https://h/?apiKey=«hidden», then'],
    ['https://mcp.example.com/mcp?monkey=1&design=2', 'https://mcp.example.com/mcp?monkey=1&design=2'],
    // assignments and flags with a value
    ['--token=abc123', '--token=«hidden»'],
    ['--api-key=abc', '--api-key=«hidden»'],
    ['API_KEY=abc', 'API_KEY=«hidden»'],
    ['GITHUB_PERSONAL_ACCESS_TOKEN=abc', 'GITHUB_PERSONAL_ACCESS_TOKEN=«hidden»'],
    ['sh -c "DB_PASSWORD=pw run --verbose=1"', 'sh -c "DB_PASSWORD=«hidden» run --verbose=1"'],
    ['--sort=name', '--sort=name'],
    // headers, with their scheme
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer «hidden»'],
    ['Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic «hidden»'],
    ['X-API-Key: abc', 'X-API-Key: «hidden»'],
    ['--header=Authorization:Token abc', '--header=Authorization:Token «hidden»'],
    ['Content-Type: application/json', 'Content-Type: application/json'],
    // well-known token formats anywhere
    ['use sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv now', 'use «hidden» now'],
    ['ghp_0123456789abcdefghijABCDEFGHIJ012345', '«hidden»'],
    ['xoxb-1234567890-abcdefghij', '«hidden»'],
    ['AKIAIOSFODNN7EXAMPLE', '«hidden»'],
    ['task-sk-this-is-not-a-token-prefix', 'task-sk-this-is-not-a-token-prefix'],
    // nothing to hide
    ['-y', '-y'],
    ['@modelcontextprotocol/server-memory', '@modelcontextprotocol/server-memory'],
    ['/tmp/web-memory.json', '/tmp/web-memory.json'],
  ];
  for (const [input, shown] of cases) {
    it(`shows ${JSON.stringify(input)} as ${JSON.stringify(shown)}`, () => assert.equal(hideTokens(input), shown));
  }
});

describe('hideArgs', () => {
  it('hides the value after a credential flag, and credentials inside each argument', () => {
    assert.deepEqual(hideArgs(['-y', 'my-server', '--api-key', 'abc', '--token', 'def', '--port', '8080', '--password', '--verbose', '--header', 'Authorization: Bearer xyz', 'API_KEY=k', 1]), [
      '-y',
      'my-server',
      '--api-key',
      '«hidden»',
      '--token',
      '«hidden»',
      '--port',
      '8080',
      '--password',
      '--verbose', // a flag is not a value
      '--header',
      'Authorization: Bearer «hidden»',
      'API_KEY=«hidden»',
      1,
    ]);
  });
});

describe('rewriteJsonStrings', () => {
  it('rewrites values by their path and keeps every other byte, keys and escapes included', () => {
    const text = '{\n  "a": ["x", {"token": "t\\u0041", "n": 1}],\n  "b" : "y"\n}';
    const seen: string[] = [];
    const out = rewriteJsonStrings(text, (path, value) => {
      seen.push(`${path.join('.')}=${value}`);
      return path.includes('token') ? 'H' : value;
    });
    assert.deepEqual(seen, ['a.0=x', 'a.1.token=tA', 'b=y']);
    assert.equal(out, '{\n  "a": ["x", {"token": "H", "n": 1}],\n  "b" : "y"\n}');
    assert.equal(rewriteJsonStrings('{"a": ', () => 'x'), undefined);
  });

  it('walks any depth without recursion', () => {
    const deep = `${'['.repeat(100_000)}"s"${']'.repeat(100_000)}`;
    assert.equal(rewriteJsonStrings(deep, () => 't'), `${'['.repeat(100_000)}"t"${']'.repeat(100_000)}`);
  });
});
