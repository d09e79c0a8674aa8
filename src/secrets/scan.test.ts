/**
 * The secretlint scanner: which secrets its recommended preset finds, where
 * each starts, and a fingerprint that names the secret without holding it.
 * The fake secrets are put together at run time, so no file of this
 * repository holds one (GitHub push protection would refuse it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scanForSecrets, secretFingerprint } from './scan.js';
import { FAKE } from '../../test/support/fake-secrets.js';


describe('scanForSecrets', () => {
  const cases: Array<[string, string, string, string]> = [
    ['an AWS secret access key assignment', `${FAKE.awsSecret[0]}=${FAKE.awsSecret[1]}\n`, '@secretlint/secretlint-rule-aws', FAKE.awsSecret[1]],
    ['a GitHub token', `token: ${FAKE.github}\n`, '@secretlint/secretlint-rule-github', FAKE.github],
    ['a Slack incoming webhook', `url: ${FAKE.slack}\n`, '@secretlint/secretlint-rule-slack', FAKE.slack],
    ['an Anthropic API key', `ANTHROPIC_API_KEY=${FAKE.anthropic}\n`, '@secretlint/secretlint-rule-anthropic', FAKE.anthropic],
    ['a PEM private key', `# key\n${FAKE.privateKey}\n`, '@secretlint/secretlint-rule-privatekey', FAKE.privateKey.slice(0, FAKE.privateKey.indexOf('\n'))],
  ];
  for (const [what, text, rule, secret] of cases) {
    it(`finds ${what} where it starts, with a fingerprint and without the secret`, async () => {
      const hits = await scanForSecrets([{ id: 'f', path: 'notes.txt', text }]);
      assert.equal(hits.length, 1, JSON.stringify(hits));
      const hit = hits[0]!;
      assert.equal(hit.rule, rule);
      assert.equal(hit.offset, text.indexOf(secret));
      assert.match(hit.fingerprint, /^sha256:[0-9a-f]{16}$/);
      assert.ok(!JSON.stringify(hit).includes(secret), 'the hit does not hold the secret');
    });
  }

  it('gives a secret the same fingerprint wherever it is, and another secret another one', async () => {
    const other = FAKE.github.slice(0, -4) + 'WXYZ';
    const hits = await scanForSecrets([
      { id: 'a', path: 'a.md', text: `x ${FAKE.github}\n` },
      { id: 'b', path: 'b/c.sh', text: `\n\n  export T=${FAKE.github}\n` },
      { id: 'c', path: 'c.md', text: `${other}\n` },
    ]);
    const fp = Object.fromEntries(hits.map((h) => [h.id, h.fingerprint]));
    assert.equal(fp['a'], fp['b']);
    assert.notEqual(fp['a'], fp['c']);
    assert.equal(fp['a'], secretFingerprint('@secretlint/secretlint-rule-github', FAKE.github));
  });

  it('does not report a bare AWS access key id (the preset scans those only with enableIDScanRule)', async () => {
    const id = ['AKIA', 'Q3EGRQ7BZ5N6WXMP'].join('');
    assert.deepEqual(await scanForSecrets([{ id: 'f', path: 'a.txt', text: `key: ${id}\n` }]), []);
  });

  it('finds nothing in text without secrets, and scans nothing when given nothing', async () => {
    assert.deepEqual(await scanForSecrets([{ id: 'f', path: 'a.yml', text: 'settings:\n  model: sonnet\n' }]), []);
    assert.deepEqual(await scanForSecrets([]), []);
  });
});
