/** verifyGithubSignature: GitHub's `X-Hub-Signature-256` over the raw body, as GitHub documents it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyGithubSignature } from './webhook.js';

const body = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('verifyGithubSignature', () => {
  it("accepts GitHub's documented example (secret \"It's a Secret to Everybody\", body \"Hello, World!\")", () => {
    // docs.github.com, "Validating webhook deliveries": the test values and the signature they give
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(verifyGithubSignature("It's a Secret to Everybody", body('Hello, World!'), header), true);
  });

  it('accepts a signature computed as GitHub does: hex HMAC-SHA256 of the raw bytes, keyed by the secret', () => {
    const raw = body(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
    const header = `sha256=${createHmac('sha256', 'hook-secret').update(raw).digest('hex')}`;
    assert.equal(verifyGithubSignature('hook-secret', raw, header), true);
    assert.equal(verifyGithubSignature('hook-secret', raw, header.toUpperCase().replace('SHA256=', 'sha256=')), true);
  });

  it('refuses another body, another secret, and a missing or malformed header', () => {
    const raw = body('{"ref":"refs/heads/main"}');
    const good = `sha256=${createHmac('sha256', 's').update(raw).digest('hex')}`;
    assert.equal(verifyGithubSignature('s', body('{"ref":"refs/heads/evil"}'), good), false);
    assert.equal(verifyGithubSignature('other', raw, good), false);
    for (const header of [undefined, '', 'sha256=', 'sha1=' + 'a'.repeat(40), good.slice(0, -2), `${good}00`, good.replace('sha256=', ''), `sha256=${'z'.repeat(64)}`]) {
      assert.equal(verifyGithubSignature('s', raw, header), false, String(header));
    }
    // no secret configured: nothing is signed
    assert.equal(verifyGithubSignature('', raw, `sha256=${createHmac('sha256', '').update(raw).digest('hex')}`), false);
  });
});
