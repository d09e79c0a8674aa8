/**
 * How deep a JSON value nests, counted without recursion. A shared file read
 * back from the machine (`.claude.json`, `settings.json`, `.mcp.json`) is
 * walked recursively by the merge and by structuredClone: nested deeper than
 * the stack allows it would end the command with "Maximum call stack size
 * exceeded". Claude Code writes a few levels; anything past MAX_JSON_DEPTH is
 * reported as a file that does not parse.
 */
export const MAX_JSON_DEPTH = 512;

/** Whether `v` nests deeper than `max` levels of objects and arrays. */
export function nestsDeeperThan(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
