/**
 * Which team and project names may stand for a path segment in a grant
 * (`{their-team}`, `{assigned-projects}`). A name that could reach another
 * place than the folder of that exact name is refused, never cleaned up:
 * a separator or `..` would climb out, glob characters would widen the
 * match, a name not in Unicode NFC or one that differs from another
 * team's or project's name only by case or normal form would alias that
 * folder on a case-insensitive or normalising file system (macOS, Windows).
 */

/** Why a name can't be a literal path segment, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (/[/\\]/.test(name)) return 'contains a path separator';
  if (/[*?[\]{}()!+@,]/.test(name)) return 'contains glob characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
  if (name !== name.normalize('NFC')) return 'is not in Unicode normal form NFC';
  if (/[. ]$/.test(name)) return 'ends with a dot or a space (NTFS drops them)';
  return undefined;
}

/** The form two names (or paths) share when a case-insensitive, normalising file system would take them for one (NTFS also drops trailing dots and spaces). */
export const foldName = (s: string): string =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFKC')
    .split('/')
    .map((seg) => seg.replace(/[. ]+$/, ''))
    .join('/');

/** Names whose folded form is shared with another, different name of the list: each → the names it collides with. */
export function collisions(names: Iterable<string>): Map<string, string[]> {
  const byFold = new Map<string, Set<string>>();
  for (const n of names) {
    const f = foldName(n);
    let set = byFold.get(f);
    if (!set) byFold.set(f, (set = new Set()));
    set.add(n);
  }
  const out = new Map<string, string[]>();
  for (const set of byFold.values()) {
    if (set.size < 2) continue;
    for (const n of set) out.set(n, [...set].filter((o) => o !== n));
  }
  return out;
}
