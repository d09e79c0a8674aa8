/**
 * Keep resolved secrets out of everything `mcp check` shows: an error text
 * may echo a header (an HTTP 401 body), a command line, or a server's stderr,
 * and a server names itself and its tools. Each secret value is replaced with
 * its `«secret:…»` description, in every form a server or an HTTP library
 * may print it in:
 * - verbatim, URL-encoded (`%20` or `+` for a space), JSON-escaped;
 * - base64, standard and URL-safe, whole (with its padding) and as it stands
 *   inside a longer base64 text at each of the 3 byte offsets (an
 *   `Authorization: Basic` echo of `user:secret`): the characters that only
 *   the secret's bytes decide;
 * - hex, lower and upper case.
 * Encoded forms shorter than MIN_ENCODED characters are left alone (they
 * would mask unrelated text): every encoded form of a secret of 5 bytes or
 * more is masked, at every offset.
 * All forms are replaced in one pass, longest first, so a description put in
 * is never read again (a secret `secret` does not mangle `«secret:…»`).
 */

/** Resolved value → its description (`«secret:env:TOKEN»`). */
export type Secrets = ReadonlyArray<readonly [value: string, description: string]>;

export const MIN_ENCODED = 6;

const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The base64 characters of `bytes` that do not depend on what stands before or after them, at byte offset `offset` mod 3. */
function base64Core(bytes: Buffer, offset: 0 | 1 | 2): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
  const start = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  return encoded.slice(start, end);
}

/** Every form of one value that is masked (the value first). */
export function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const uri = encodeURIComponent(value);
  forms.add(uri);
  forms.add(uri.replace(/%20/g, '+'));
  forms.add(JSON.stringify(value).slice(1, -1));
  const bytes = Buffer.from(value, 'utf8');
  const encoded: string[] = [bytes.toString('base64'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  for (const offset of [0, 1, 2] as const) {
    const core = base64Core(bytes, offset);
    encoded.push(core, urlSafe(core));
  }
  encoded.push(urlSafe(bytes.toString('base64')));
  for (const e of encoded) if (e.length >= MIN_ENCODED) forms.add(e);
  return [...forms].filter((f) => f.length > 0);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function redact(text: string, secrets: Secrets): string {
  const forms = new Map<string, string>();
  for (const [value, description] of secrets) {
    if (value.length === 0) continue;
    for (const form of encodedForms(value)) if (!forms.has(form)) forms.set(form, description);
  }
  const present = [...forms.keys()].filter((f) => text.includes(f));
  if (present.length === 0) return text;
  // Longest first: a secret that contains another, or a whole encoding that contains its core, is replaced whole.
  present.sort((a, b) => b.length - a.length);
  return text.replace(new RegExp(present.map(escapeRegExp).join('|'), 'g'), (form) => forms.get(form)!);
}
