/**
 * Rewrite the string values of a JSON text in place: every other byte (the
 * layout, the keys, numbers, how strings are escaped) stays as it is, so a
 * unified diff of two rewritten texts shows what a diff of the originals
 * shows, minus what was rewritten. Iterative: no nesting is too deep.
 */

export type JsonPathSegment = string | number;

interface Frame {
  readonly array: boolean;
  /** The key or index of the value being read in this container. */
  at: JsonPathSegment;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

/** Where a JSON string literal that starts at `i` (its opening quote) ends (after its closing quote). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return text.length;
}

/**
 * `text` with each string value replaced by `rewrite(path, value)` (JSON
 * encoded) where that differs from the value; undefined when `text` is not
 * JSON.
 */
export function rewriteJsonStrings(text: string, rewrite: (path: readonly JsonPathSegment[], value: string) => string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const stack: Frame[] = [];
  const path = (): JsonPathSegment[] => stack.map((f) => f.at);
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      const value = JSON.parse(text.slice(i, end)) as string;
      if (top && !top.array && top.expectKey) {
        top.at = value;
        top.expectKey = false;
      } else {
        const shown = rewrite(path(), value);
        if (shown !== value) {
          out += text.slice(copied, i) + JSON.stringify(shown);
          copied = end;
        }
      }
      i = end;
      continue;
    }
    if (c === '{' || c === '[') stack.push({ array: c === '[', at: c === '[' ? 0 : '', expectKey: c === '{' });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.array) top.at = (top.at as number) + 1;
      else if (top) top.expectKey = true;
    }
    i++;
  }
  return out + text.slice(copied);
}
