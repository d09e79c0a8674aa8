/**
 * Repo path globs of access.yml (`teams/{their-team}/**`, `**\/security.yml`)
 * compiled to regular expressions by hand, so that a placeholder's value can
 * only ever be a literal path segment: it is regex-escaped, never re-read as
 * a glob, and a value that could widen a grant (see names.ts) never gets
 * here. Syntax: `**` (a whole segment: any number of segments), `*` (any
 * characters within a segment), `?` (one character), `[abc]` / `[!a-z]`,
 * `{a,b}` (alternatives), `{name}` (a placeholder). Dotfiles match like any
 * other name: a class for `**` must also cover `.github/`. Matching is
 * case-exact, code unit by code unit.
 */

/** Placeholder values: `their-team` → the author's teams, `assigned-projects` → their projects. */
export type GlobVars = Readonly<Record<string, readonly string[]>>;

export class GlobError extends Error {}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The placeholders a glob uses (`{name}` without a comma). */
export function placeholdersOf(glob: string): string[] {
  return [...glob.matchAll(/\{([^{},]*)\}/g)].map((m) => m[1]!);
}

/** One segment (no `/`) → regex source. */
function segment(seg: string, vars: GlobVars, glob: string): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') {
      while (seg[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) throw new GlobError(`unclosed "[" in "${glob}"`);
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      const end = closingBrace(seg, i, glob);
      const body = seg.slice(i + 1, end);
      const parts = splitTop(body);
      if (parts.length === 1) {
        const values = vars[body];
        if (values === undefined) throw new GlobError(`unknown placeholder "{${body}}" in "${glob}" (known: ${Object.keys(vars).map((v) => `{${v}}`).join(', ') || 'none'})`);
        // Literal values only: escaped, and a value that is not one plain segment never matches.
        const literals = values.filter((v) => v !== '' && !v.includes('/')).map(escapeRegex);
        out += literals.length === 0 ? '(?!)' : `(?:${literals.join('|')})`;
      } else out += `(?:${parts.map((p) => segment(p, vars, glob)).join('|')})`;
      i = end;
    } else if (c === '\\' && i + 1 < seg.length) {
      out += escapeRegex(seg[++i]!);
    } else out += escapeRegex(c);
  }
  return out;
}

function closingBrace(s: string, open: number, glob: string): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  throw new GlobError(`unclosed "{" in "${glob}"`);
}

function splitTop(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < body.length; j++) {
    if (body[j] === '{') depth++;
    else if (body[j] === '}') depth--;
    else if (body[j] === ',' && depth === 0) {
      parts.push(body.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** Compile a repo path glob. Throws GlobError on bad syntax or an unknown placeholder. */
export function compileGlob(glob: string, vars: GlobVars = {}): RegExp {
  const segs = glob.replace(/^\/+/, '').split('/');
  let src = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') src += last ? '.+' : '(?:[^/]+/)*';
    else src += segment(seg, vars, glob) + (last ? '' : '/');
  });
  return new RegExp(`^${src}$`);
}

/** `compile` kept for the call that makes it: each glob compiled once per call (a check or a CODEOWNERS file), nothing kept after. */
export function memoized<T>(compile: (key: string) => T): (key: string) => T {
  const seen = new Map<string, T>();
  return (key) => {
    let v = seen.get(key);
    if (v === undefined) seen.set(key, (v = compile(key)));
    return v;
  };
}
