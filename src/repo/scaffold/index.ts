/**
 * The seed config repo that `claude-env init` writes (SPEC.md "Config repo
 * layout"): example environments, teams, projects, workflows and CI, every
 * file commented so a newcomer learns the formats from it. Pure data: the
 * CLI decides where and how to write it.
 *
 * The files live as they are in `src/repo/scaffold/files/` (YAML, Markdown,
 * a hook script with its executable bit, GitHub workflows), where editors,
 * actionlint and Dependabot read them; build.mjs embeds them, with their
 * modes, into a generated module. Nothing is substituted: what is in
 * `files/` is what `init` writes.
 */
import { EMBEDDED } from './embedded.js';
import type { ScaffoldFile } from './types.js';

export type { ScaffoldFile } from './types.js';

/** Mode of a scaffold file that sets none. */
export const DEFAULT_FILE_MODE = 0o644;

/** Every file of the seed repo, sorted by path (code-unit order, locale-independent). */
export function scaffoldFiles(): ScaffoldFile[] {
  return EMBEDDED.map((f) => (f.mode === DEFAULT_FILE_MODE ? { path: f.path, content: f.content } : { path: f.path, content: f.content, mode: f.mode }));
}
