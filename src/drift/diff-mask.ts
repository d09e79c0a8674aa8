/**
 * What `diff` shows of a JSON file it shares with the user (`settings.json`,
 * `.claude.json`, `.mcp.json`): the file as it is, except the credentials
 * the user keeps in it, as drift hides them (values.ts `shownActual`):
 * - a string the repo renders at that very place is shown (it is the repo's);
 * - under `env` or `headers`, any other string is `«hidden»`, unless the repo
 *   renders a plain string there (then the difference is the point, and only
 *   the credentials inside it are hidden);
 * - in `args`, the value after a credential flag, and everywhere the
 *   credentials inside a string (a URL's userinfo and token parameters,
 *   `--token=…`, a header, a known token), are hidden (tokens.ts).
 * - at the place of a rendered `«secret:…»`, a value of the rendered shape
 *   is left to diff.ts (which shows it as its placeholder), any other is
 *   `«hidden»`.
 * Both sides go through the same rewrite, so a line that is the same on disk
 * and in what apply writes stays the same.
 */
import type { Output } from '../render/outputs.js';
import { agentMcpView } from '../render/agent-files.js';
import { HIDDEN, hideArgs, hideTokens, isCredentialName } from './tokens.js';
import { rewriteJsonStrings, type JsonPathSegment } from './json-text.js';
import { SECRET, SENSITIVE_KEYS, sameShape } from './values.js';

const JSON_KINDS: ReadonlySet<string> = new Set(['settings-json', 'claude-json', 'mcp-json', 'agent-mcp']);

function at(root: unknown, path: readonly JsonPathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur) ? typeof seg !== 'number' : !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON text that does not parse: credentials hidden by name and by shape, line by line. */
function hideInBrokenJson(text: string): string {
  return hideTokens(text).replace(/("((?:[^"\\\n]|\\.)*)"\s*:\s*)"((?:[^"\\\n]|\\.)*)"/g, (whole, head: string, name: string, value: string) =>
    value !== HIDDEN && (isCredentialName(name) || SENSITIVE_KEYS.has(name)) ? `${head}"${HIDDEN}"` : whole,
  );
}

function shownText(text: string, rendered: unknown): string {
  const own = parse(text);
  if (own === undefined) return hideInBrokenJson(text);
  const argsShown = new WeakMap<object, unknown[]>();
  return (
    rewriteJsonStrings(text, (path, value) => {
      if (SECRET.test(value)) return value;
      const want = at(rendered, path);
      if (want === value) return value;
      // A secret's place: diff.ts shows the resolved value as its placeholder when it has the rendered shape; anything else there is hidden.
      if (typeof want === 'string' && SECRET.test(want)) return sameShape(want, value) ? value : HIDDEN;
      if (path.some((s) => typeof s === 'string' && SENSITIVE_KEYS.has(s))) return typeof want === 'string' ? hideTokens(value) : HIDDEN;
      const parent = at(own, path.slice(0, -1));
      if (path[path.length - 2] === 'args' && Array.isArray(parent)) {
        let shown = argsShown.get(parent);
        if (!shown) argsShown.set(parent, (shown = hideArgs(parent)));
        const s = shown[path[path.length - 1] as number];
        return typeof s === 'string' ? s : value;
      }
      return hideTokens(value);
    }) ?? text
  );
}

/**
 * Another agent's MCP file (Codex's TOML, JSON with comments) as diff shows
 * it: as JSON, read in its own format, so the same hiding applies; one that
 * does not parse with every quoted value hidden.
 */
function agentFileAsJson(path: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return `${JSON.stringify(agentMcpView(path, text), null, 2)}\n`;
  } catch {
    return hideTokens(text).replace(/"((?:[^"\\\n]|\\.)*)"/g, (whole, value: string) => (value === HIDDEN ? whole : `"${HIDDEN}"`));
  }
}

/** The desired and actual texts of one output as `diff` shows them. */
export function shownFileTexts(output: Output, desired: string | undefined, actual: string | undefined): { desired: string | undefined; actual: string | undefined } {
  if (!JSON_KINDS.has(output.kind)) return { desired, actual };
  if (output.kind === 'agent-mcp') {
    desired = agentFileAsJson(output.path, desired);
    actual = agentFileAsJson(output.path, actual);
  }
  const rendered = parse(output.content);
  return {
    desired: desired === undefined ? undefined : shownText(desired, rendered),
    actual: actual === undefined ? undefined : shownText(actual, rendered),
  };
}
