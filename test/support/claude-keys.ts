/**
 * The settings keys the installed Claude Code knows, read from its own
 * settings schema inside its executable (a bundle whose zod schema is plain
 * text): the object literal that holds the `$schema` key ("JSON Schema
 * reference for Claude Code settings"), its keys at the top level (a
 * conditional `...flag && { key }` spread included), and the keys of the
 * feature shapes spread into it (every `shape:()=>({…})` of the registry its
 * `...features(e)` spread reads). The anchors are the schema's descriptions
 * and shapes, not minified names, so they outlive a release's renaming; a
 * test checks the result is plausible, so a release that moves them fails
 * loudly rather than comparing against nothing.
 */
import { readFileSync } from 'node:fs';

/** Keys at depth 0 of the object literal that starts at `start` (just after its `{`), and of `&&{…}` spreads at that depth. */
function objectKeys(text: string, start: number): { keys: string[]; end: number } {
  const keys: string[] = [];
  let i = start;
  let depth = 0;
  let expectKey = true;
  let conditional = -1;
  const atKeyLevel = (): boolean => depth === 0 || depth === conditional;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let s = '';
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === '\\') i++;
        s += text[i];
      }
      i++;
      if (atKeyLevel() && expectKey && text[i] === ':') {
        keys.push(s);
        expectKey = false;
      }
      continue;
    }
    if (c === '{' && depth === 0 && text.slice(i - 2, i) === '&&') {
      depth++;
      conditional = depth;
      expectKey = true;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      depth++;
      i++;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      if (depth === conditional) conditional = -1;
      depth--;
      i++;
      continue;
    }
    if (atKeyLevel() && c === ',') {
      expectKey = true;
      i++;
      continue;
    }
    if (atKeyLevel() && expectKey) {
      const ahead = text.slice(i, i + 80);
      const spread = /^\.\.\.[A-Za-z_$][\w$]*/.exec(ahead);
      if (spread) {
        expectKey = false;
        i += spread[0].length;
        continue;
      }
      const key = /^([A-Za-z_$][\w$]*):/.exec(ahead);
      if (key) {
        keys.push(key[1]!);
        expectKey = false;
        i += key[0].length;
        continue;
      }
    }
    i++;
  }
  return { keys, end: i };
}

/**
 * The `{` of the innermost object literal that encloses `from`, found by
 * walking back over balanced brackets and whole string literals (a bundle
 * writes its schema as `object({…})` in one release and `return{key:()=>…}`
 * in another: the enclosing brace is the same in both).
 */
function enclosingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i - 1;
      for (; j >= 0; j--) {
        if (text[j] !== c) continue;
        let slashes = 0;
        for (let k = j - 1; text[k] === '\\'; k--) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = j;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') {
      if (depth > 0) depth--;
      else if (c === '{') return i;
    }
  }
  return -1;
}

/** The keys of the object literal that encloses `anchor` (a description string of one of its keys). */
function keysAround(text: string, anchor: string): string[] {
  const at = text.indexOf(anchor);
  const open = at < 0 ? -1 : enclosingBrace(text, at);
  return open < 0 ? [] : objectKeys(text, open + 1).keys;
}

/**
 * Keys of every `<shape>:()=>({…})` of the feature registry that the function
 * spreading `registry[feature].<shape>()` into one object reads (its local
 * names change between releases: matched by form, not by name).
 */
function featureKeys(text: string, shape: 'shape' | 'permissionsShape'): string[] {
  const call = shape === 'shape' ? '\\.shape\\(\\)' : '\\.permissionsShape\\?\\.\\(\\)';
  const fn = new RegExp(`function [\\w$]+\\([\\w$]+\\)\\{let ([\\w$]+)=\\{\\};for\\(let ([\\w$]+) of [\\w$]+\\)\\1=\\{\\.\\.\\.\\1,\\.\\.\\.([\\w$]+)\\[\\2\\]${call}\\}`).exec(text);
  if (!fn) return [];
  const marker = `${shape}:()=>({`;
  const name = `${fn[3]}={`;
  for (let registry = text.indexOf(name); registry !== -1; registry = text.indexOf(name, registry + 1)) {
    if (/[\w$.]/.test(text[registry - 1] ?? '')) continue;
    const { end } = objectKeys(text, registry + name.length);
    const keys: string[] = [];
    for (let at = text.indexOf(marker, registry); at !== -1 && at < end; at = text.indexOf(marker, at + 1)) keys.push(...objectKeys(text, at + marker.length).keys);
    if (keys.length > 0) return keys;
  }
  return [];
}

/** The union of the keys of every object literal that encloses a match of `pattern` (and passes `keep`). */
function keysOfObjectsAt(text: string, pattern: RegExp, keep: (keys: readonly string[]) => boolean = () => true): Set<string> {
  const keys = new Set<string>();
  for (const match of text.matchAll(pattern)) {
    const open = enclosingBrace(text, match.index);
    if (open < 0) continue;
    const found = objectKeys(text, open + 1).keys;
    if (keep(found)) for (const k of found) keys.add(k);
  }
  return keys;
}

export interface ClaudeKeys {
  /** Top-level keys of settings.json. */
  readonly settings: ReadonlySet<string>;
  /** Keys of `permissions`. */
  readonly permissions: ReadonlySet<string>;
  /** Keys of a hook handler, by its `type`. */
  readonly hookHandlers: Readonly<Record<string, ReadonlySet<string>>>;
  /** Keys of an MCP server entry (`.claude.json`, `.mcp.json`), by transport. */
  readonly mcpServers: Readonly<Record<'stdio' | 'http' | 'sse', ReadonlySet<string>>>;
  /** Fields of an agent definition (front matter of agents/*.md, or `--agents` JSON). */
  readonly agent: ReadonlySet<string>;
}

const HOOK_TYPES = ['command', 'prompt', 'agent', 'http', 'mcp_tool'] as const;

/**
 * Anchors, each a form every release so far writes the same way: a hook
 * handler's `type` literal with its "… hook type" description; the stdio
 * server's "Command cannot be empty" message; a remote server's `type`
 * literal followed by its `url`; an agent's object holding description,
 * tools and disallowedTools.
 */
export function claudeKeys(executable: string): ClaudeKeys {
  const text = readFileSync(executable, 'latin1');
  const hookHandlers: Record<string, Set<string>> = {};
  for (const type of HOOK_TYPES) hookHandlers[type] = keysOfObjectsAt(text, new RegExp(`\\("${type}"\\)\\.describe\\("[^"]*hook type"\\)`, 'g'));
  // A hook has an `if` (and an http hook a `url`): not a server.
  const remote = (type: string): Set<string> =>
    keysOfObjectsAt(text, new RegExp(`type:[\\w$.]+\\((?:"${type}"|\\["${type}"(?:,"[\\w-]+")*\\])\\)(?:\\.transform\\(\\(\\)=>"[\\w-]+"\\))?,url:`, 'g'), (keys) => !keys.includes('if'));
  return {
    settings: new Set([...keysAround(text, '"JSON Schema reference for Claude Code settings"'), ...featureKeys(text, 'shape')]),
    permissions: new Set([...keysAround(text, '"Default permission mode when Claude Code needs access'), ...featureKeys(text, 'permissionsShape')]),
    hookHandlers,
    mcpServers: {
      stdio: keysOfObjectsAt(text, /"Command cannot be empty"/g, (keys) => keys.includes('command') && keys.includes('args')),
      http: remote('http'),
      sse: remote('sse'),
    },
    agent: keysOfObjectsAt(text, /disallowedTools:[\w$.]+\(/g, (keys) => ['description', 'tools', 'disallowedTools'].every((k) => keys.includes(k))),
  };
}
