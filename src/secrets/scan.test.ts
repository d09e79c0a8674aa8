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

  it('finds in many texts scanned together exactly what it finds in each text alone', async () => {
    const other = FAKE.github.slice(0, -4) + 'WXYZ';
    const filler = (n: number) => `key${n}: value ${n}\n`.repeat(40);
    const inputs = Array.from({ length: 400 }, (_, i) => ({ id: String(i), path: `f/${i}.yml`, text: filler(i) }));
    // Secrets at the very start and end of texts, two of one rule in neighbouring texts, one in a far batch.
    inputs[3] = { id: '3', path: 'f/3.yml', text: `${FAKE.github}` };
    inputs[4] = { id: '4', path: 'f/4.md', text: `${other}\n${filler(4)}` };
    inputs[5] = { id: '5', path: 'f/5.sh', text: `${filler(5)}export ${FAKE.awsSecret[0]}=${FAKE.awsSecret[1]}` };
    inputs[350] = { id: '350', path: 'f/350.yml', text: `${filler(350)}url: ${FAKE.slack}\n` };
    // A disable comment hides the rest of its own text only; a .json text is read whole.
    inputs[200] = { id: '200', path: 'f/200.md', text: `<!-- secretlint-disable -->\n${FAKE.anthropic}\n` };
    inputs[201] = { id: '201', path: 'f/201.md', text: `${FAKE.anthropic}\n` };
    inputs[202] = { id: '202', path: 'f/202.json', text: JSON.stringify({ token: FAKE.github }) };
    const together = await scanForSecrets(inputs);
    const alone = (await Promise.all(inputs.map((i) => scanForSecrets([i])))).flat();
    assert.deepEqual(together, alone);
    assert.deepEqual(together.map((h) => h.id), ['3', '4', '5', '201', '202', '350']);
  });

  it('finds nothing in text without secrets, and scans nothing when given nothing', async () => {
    assert.deepEqual(await scanForSecrets([{ id: 'f', path: 'a.yml', text: 'settings:\n  model: sonnet\n' }]), []);
    assert.deepEqual(await scanForSecrets([]), []);
  });
});
