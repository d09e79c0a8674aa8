/**
 * What another agent cannot take of a target (claude-env.yml `harnesses`):
 * a server left out of its file (a transport it lacks, a `${…}` reference it
 * does not expand) is a warning, a key or section with no meaning for it a
 * note, each at the place in the repo that sets it, once per place with the
 * number of targets (src/render/harnesses.ts decides; nothing is guessed).
 */
import { ClaudeEnvError } from '../../errors.js';
import { mergeTarget } from '../../merge/target.js';
import { isMap, originAt, type TreeMap, type Value } from '../../provenance/tree.js';
import { harnessesOf, renderHarnesses, type HarnessNote } from '../../render/harnesses.js';
import { describeTarget } from '../../repo/target-name.js';
import type { Origin, Target } from '../../vocabulary.js';
import type { Rule } from '../rule.js';

/** The place in the repo that sets the value at `segments` (the nearest one that has a place). */
function originOf(tree: TreeMap, segments: readonly string[]): Origin | undefined {
  let container: Value = tree;
  let found: Origin | undefined;
  for (const seg of segments) {
    if (!isMap(container)) break;
    found = originAt(container, seg) ?? found;
    container = container[seg] as Value;
  }
  return found;
}

export const harnessRule: Rule = {
  findings: {
    'harness-unsupported': 'an MCP server, key or section that an agent named in claude-env.yml harnesses cannot take: a server is left out of its file, a key or section is not rendered for it',
  },
  description: 'what each agent of claude-env.yml harnesses (Codex, Gemini CLI, Copilot CLI, Cursor) cannot take of every target',
  check(ctx) {
    if (ctx.repo.settings.raw['harnesses'] === undefined) return;
    const doc = ctx.ofKind('repo-settings')[0];
    const harnessAt = (env: string, harness: string): { file: string; line: number; column: number } => {
      if (!doc) return { file: 'claude-env.yml', line: 1, column: 1 };
      const list = ctx.repo.settings.raw['harnesses'];
      const path = Array.isArray(list) ? ['harnesses', list.indexOf(harness)] : ['harnesses', env, ((list as Record<string, unknown[]>)[env] ?? []).indexOf(harness)];
      return { file: doc.path, ...ctx.locate(doc, path) };
    };
    const found = new Map<string, { note: HarnessNote; at: { file: string; line: number; column: number }; first: Target; targets: number }>();
    for (const target of ctx.repo.targets()) {
      const harnesses = harnessesOf(ctx.repo.settings, target.env);
      if (harnesses.length === 0) continue;
      let tree: TreeMap;
      try {
        tree = mergeTarget(ctx.repo, target, { cache: ctx.mergeCache }).tree;
      } catch (err) {
        if (err instanceof ClaudeEnvError) continue; // documents with errors: reported by the document rules
        throw err;
      }
      for (const note of renderHarnesses(harnesses, tree).notes) {
        // What is about a server is said where the repo sets it; what is about a whole section, where claude-env.yml names the harness.
        const own = note.segments[0] === 'mcpServers' && note.segments.length > 1 ? originOf(tree, note.segments) : undefined;
        const at: { file: string; line: number; column: number } = own ?? harnessAt(target.env, note.harness);
        const key = `${at.file}:${at.line}:${at.column}\0${note.harness}\0${note.message}`;
        const seen = found.get(key);
        if (seen) seen.targets++;
        else found.set(key, { note, at, first: target, targets: 1 });
      }
    }
    for (const { note, at, first, targets } of found.values()) {
      const which = targets === 1 ? `target ${describeTarget(first)}` : `${targets} targets, e.g. ${describeTarget(first)}`;
      const severity = note.segments.length === 2 && note.segments[0] === 'mcpServers' ? 'warning' : 'note';
      ctx.report({ rule: 'harness-unsupported', severity, file: at.file, line: at.line, column: at.column, message: `${note.harness}: ${note.segments.length > 0 ? `${note.segments.join('.')} ` : ''}${note.message} (${which})` });
    }
  },
};
