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

/** The keys of the object literal around `anchor` (the nearest `object({` before it). */
function keysAround(text: string, anchor: string): string[] {
  const at = text.indexOf(anchor);
  if (at < 0) return [];
  const open = text.lastIndexOf('object({', at);
  return open < 0 ? [] : objectKeys(text, open + 'object({'.length).keys;
}

/** Keys of every `<shape>:()=>({…})` of the registry that the function spreading `.<shape>()` into an object reads. */
function featureKeys(text: string, shape: 'shape' | 'permissionsShape'): string[] {
  const call = shape === 'shape' ? '\\.shape\\(\\)' : '\\.permissionsShape\\?\\.\\(\\)';
  const fn = new RegExp(`function [\\w$]+\\(e\\)\\{let t=\\{\\};for\\(let n of e\\)t=\\{\\.\\.\\.t,\\.\\.\\.([\\w$]+)\\[n\\]${call}\\}`).exec(text);
  if (!fn) return [];
  const registry = text.indexOf(`${fn[1]}={`);
  if (registry < 0) return [];
  const { end } = objectKeys(text, registry + fn[1]!.length + 2);
  const keys: string[] = [];
  const marker = `${shape}:()=>({`;
  for (let at = text.indexOf(marker, registry); at !== -1 && at < end; at = text.indexOf(marker, at + 1)) keys.push(...objectKeys(text, at + marker.length).keys);
  return keys;
}

export interface ClaudeSettingsKeys {
  /** Top-level keys of settings.json. */
  readonly settings: ReadonlySet<string>;
  /** Keys of `permissions`. */
  readonly permissions: ReadonlySet<string>;
}

export function claudeSettingsKeys(executable: string): ClaudeSettingsKeys {
  const text = readFileSync(executable, 'latin1');
  return {
    settings: new Set([...keysAround(text, '.describe("JSON Schema reference for Claude Code settings")'), ...featureKeys(text, 'shape')]),
    permissions: new Set([...keysAround(text, '.describe("Default permission mode when Claude Code needs access")'), ...featureKeys(text, 'permissionsShape')]),
  };
}
