/** redact: a resolved secret never shows, in any form a server may echo it in. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MIN_ENCODED, redact, type Secrets } from './redact.js';

const SECRET = 'tok-3f9a1c7e5b2d4860-very-secret';
const secrets: Secrets = [[SECRET, '«secret:env:TOKEN»']];
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** Whether any run of base64 characters in `text`, decoded at any of its 4 alignments, holds `secret`. */
function base64Reveals(text: string, secret: string): boolean {
  const needle = Buffer.from(secret);
  for (const run of text.match(/[A-Za-z0-9+/_-]{4,}/g) ?? []) {
    const std = run.replace(/-/g, '+').replace(/_/g, '/');
    for (let shift = 0; shift < 4; shift++) {
      const part = std.slice(shift, shift + Math.floor((std.length - shift) / 4) * 4);
      if (Buffer.from(part, 'base64').includes(needle)) return true;
    }
  }
  return false;
}

describe('redact', () => {
  it('masks the value verbatim, URL-encoded (either way of writing a space) and JSON-escaped', () => {
    const odd = 'p@ss w/"q"';
    const s: Secrets = [[odd, '«secret:env:P»']];
    for (const form of [odd, encodeURIComponent(odd), encodeURIComponent(odd).replace(/%20/g, '+'), JSON.stringify(odd).slice(1, -1)]) {
      assert.equal(redact(`got ${form}!`, s), 'got «secret:env:P»!', form);
    }
  });

  it('masks base64, standard and URL-safe, whole and inside a longer base64 text at every byte offset', () => {
    assert.equal(redact(`echo: ${b64(SECRET)}`, secrets), 'echo: «secret:env:TOKEN»');
    assert.equal(redact(`echo: ${b64url(SECRET)}`, secrets), 'echo: «secret:env:TOKEN»');
    // An Authorization: Basic echo: the secret after "user:" (offset 5, 2 mod 3), and after 3 and 4 bytes.
    for (const user of ['user:', 'bob', 'anne']) {
      const basic = `Authorization: Basic ${b64(`${user}${SECRET}`)}`;
      const out = redact(basic, secrets);
      assert.ok(!base64Reveals(out, SECRET), `${user}: ${out}`);
      assert.match(out, /«secret:env:TOKEN»/);
      assert.ok(!base64Reveals(redact(b64url(`${user}${SECRET}?x`), secrets), SECRET));
    }
  });

  it('masks hex, lower and upper case', () => {
    const hex = Buffer.from(SECRET).toString('hex');
    assert.equal(redact(`0x${hex}`, secrets), '0x«secret:env:TOKEN»');
    assert.equal(redact(`0x${hex.toUpperCase()}`, secrets), '0x«secret:env:TOKEN»');
  });

  it('leaves encodings shorter than 6 characters alone, and masks a secret that contains another whole, in one pass', () => {
    const short: Secrets = [['abc', '«secret:env:S»']];
    // base64 "YWJj" would be everywhere in base64 text: only the verbatim value is masked
    assert.equal(redact('YWJj abc', short), 'YWJj «secret:env:S»');
    assert.equal(MIN_ENCODED, 6);
    const nested: Secrets = [
      ['secret', '«secret:env:A»'],
      ['my-secret-value', '«secret:env:B»'],
    ];
    assert.equal(redact('my-secret-value and secret', nested), '«secret:env:B» and «secret:env:A»');
  });

  it('never lets base64 or hex of any secret of 5 bytes or more through, wherever it stands in the echoed bytes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 5, maxLength: 40 }), fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ maxLength: 7 }), (secret, before, after) => {
        const s: Secrets = [[secret, '«secret:env:X»']];
        const bytes = Buffer.concat([before, Buffer.from(secret), after]);
        for (const text of [bytes.toString('base64'), bytes.toString('base64url')]) {
          const out = redact(`Basic ${text}`, s);
          if (base64Reveals(out, secret)) return false;
        }
        const hex = Buffer.from(secret).toString('hex');
        return !redact(bytes.toString('hex'), s).includes(hex) && !redact(bytes.toString('hex').toUpperCase(), s).includes(hex.toUpperCase());
      }),
      { numRuns: 300 },
    );
  });
});
