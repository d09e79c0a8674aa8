/**
 * Credentials a user keeps in plain sight in their own entries, found by
 * where they stand rather than by what they are, so that drift and diff
 * (whose output leaves the machine: CI logs, reports to the controller) show
 * the entry with only the credential replaced by `«hidden»`:
 * - in a command's arguments: the value after a flag named like a credential
 *   (`--api-key sk-…`, `--token …`), `NAME=value` and `--name=value` with such
 *   a name (`--token=…`, `API_KEY=…`), and a header (`Authorization: Bearer …`,
 *   `X-Api-Key: …`);
 * - in a URL: its userinfo (`https://user:pass@host`, `https://TOKEN@host`) and
 *   the values of query and fragment parameters named like a credential
 *   (`?api_key=`, `token=`, `access_token=`, `key=`, `sig=`, `X-Amz-Signature=`);
 * - anywhere: a token with a well-known prefix (`sk-…`, `ghp_…`, `xoxb-…`,
 *   `AKIA…`, a JWT, …) and a `Bearer …` value.
 * Pure and cheap: a string with none of these comes back as it is.
 */

export const HIDDEN = '«hidden»';

/** A name that says its value is a credential (flags, variables, query parameters, headers), after any leading dashes. */
const CREDENTIAL_NAME =
  /(?:^|[-_.])(?:api[-_.]?key|apikey|access[-_.]?key|secret[-_.]?key|private[-_.]?key|key|token|secret|password|passwd|pwd|pass|auth|authorization|credentials?|bearer|sig|signature|session|cookie|jwt|pat)$/i;

export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name.replace(/^-+/, ''));
}

/** Tokens recognised by their prefix (the formats secret scanners look for). */
const KNOWN_TOKENS = new RegExp(
  [
    'sk-ant-[A-Za-z0-9_-]{20,}',
    'sk-(?:proj-)?[A-Za-z0-9_-]{20,}',
    '[rs]k_(?:live|test)_[A-Za-z0-9]{16,}',
    'gh[pousr]_[A-Za-z0-9]{30,}',
    'github_pat_[A-Za-z0-9_]{30,}',
    'glpat-[A-Za-z0-9_-]{20,}',
    'xox[abposr]-[A-Za-z0-9-]{10,}',
    '(?:AKIA|ASIA)[0-9A-Z]{16}',
    'AIza[0-9A-Za-z_-]{35}',
    'ya29\\.[0-9A-Za-z_-]{20,}',
    'npm_[A-Za-z0-9]{36}',
    'hf_[A-Za-z0-9]{30,}',
    'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}',
  ]
    .map((t) => `(?<![\\w-])${t}`)
    .join('|'),
  'g',
);

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** `name=value` where the name is a word (a variable, a flag, a parameter). */
const ASSIGNMENT = /(^|[\s;&|?#'"(,])(-{0,2}[A-Za-z_][\w.-]*)=([^\s'"&;|#)]+)/g;
/** `Name: value` of an HTTP header named like a credential, with its scheme (Bearer, Basic…) kept. */
const HEADER = /(^|[\s'"=])([A-Za-z][\w-]*)(\s*:\s*)((?:bearer|basic|token|digest|negotiate)\s+)?([^\s'"]+)/gi;
const BEARER = /\b(bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi;

function hideInUrl(url: string): string {
  // userinfo: everything between `//` and `@` before the host
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]+)@/i, `$1${HIDDEN}@`);
  // query and fragment parameters
  out = out.replace(/([?#&;])([^=&;#?]+)=([^&;#]*)/g, (whole, sep: string, name: string, value: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      /* keep it as written */
    }
    return value !== '' && isCredentialName(decoded) ? `${sep}${name}=${HIDDEN}` : whole;
  });
  return out;
}

/** `text` with every credential found by its place or its prefix replaced by `«hidden»`. */
export function hideTokens(text: string): string {
  let out = text;
  if (out.includes('://')) {
    out = out.replace(URL_IN_TEXT, (url) => {
      // A sentence's punctuation after a URL is not part of it.
      const tail = /[.,;:!?)\]]+$/.exec(url)?.[0] ?? '';
      return hideInUrl(url.slice(0, url.length - tail.length)) + tail;
    });
  }
  if (out.includes('=')) out = out.replace(ASSIGNMENT, (whole, pre: string, name: string, value: string) => (!value.startsWith(HIDDEN) && isCredentialName(name) ? `${pre}${name}=${HIDDEN}` : whole));
  if (out.includes(':')) {
    out = out.replace(HEADER, (whole, pre: string, name: string, colon: string, scheme: string | undefined, value: string) =>
      !value.startsWith(HIDDEN) && !value.startsWith('//') && isCredentialName(name) ? `${pre}${name}${colon}${scheme ?? ''}${HIDDEN}` : whole,
    );
  }
  out = out.replace(BEARER, (whole, scheme: string, value: string) => (value.startsWith(HIDDEN) ? whole : `${scheme}${HIDDEN}`));
  return out.replace(KNOWN_TOKENS, HIDDEN);
}

const FLAG = /^-{1,2}[A-Za-z][\w.-]*$/;

/** A command's arguments as they may be shown: each credential after a credential flag, and inside each argument, hidden. */
export function hideArgs(args: readonly unknown[]): unknown[] {
  return args.map((a, i) => {
    if (typeof a !== 'string') return a;
    const before = i > 0 ? args[i - 1] : undefined;
    if (typeof before === 'string' && FLAG.test(before) && isCredentialName(before) && !FLAG.test(a)) return HIDDEN;
    return hideTokens(a);
  });
}
