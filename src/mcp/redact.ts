/**
 * Keep resolved secrets out of everything `mcp check` shows: an error text
 * may echo a header (an HTTP 401 body), a command line, or a server's stderr.
 * Each secret value is replaced with its `«secret:…»` description.
 */

/** Resolved value → its description (`«secret:env:TOKEN»`). */
export type Secrets = ReadonlyArray<readonly [value: string, description: string]>;

export function redact(text: string, secrets: Secrets): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const [value, description] of [...secrets].sort((a, b) => b[0].length - a[0].length)) {
    if (value.length === 0) continue;
    out = out.split(value).join(description);
    // Also the forms a server or an HTTP library may echo it in.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) out = out.split(encoded).join(description);
    const json = JSON.stringify(value).slice(1, -1);
    if (json !== value) out = out.split(json).join(description);
  }
  return out;
}
