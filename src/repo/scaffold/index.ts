/**
 * The seed config repo that `claude-env init` writes (SPEC.md "Config repo
 * layout"): example environments, teams, projects, workflows and CI, every
 * file commented so a newcomer learns the formats from it. Pure data: the
 * CLI decides where and how to write it.
 */
import { baseFiles } from './base.js';
import { ciFiles } from './ci.js';
import { environmentFiles } from './environments.js';
import { projectFiles } from './projects.js';
import { repoFiles } from './repo.js';
import { teamFiles } from './teams.js';
import type { ScaffoldFile } from './types.js';

export type { ScaffoldFile } from './types.js';

/** Mode of a scaffold file that sets none. */
export const DEFAULT_FILE_MODE = 0o644;

/** Every file of the seed repo, sorted by path (code-unit order, locale-independent). */
export function scaffoldFiles(): ScaffoldFile[] {
  const files = [...repoFiles(), ...baseFiles(), ...environmentFiles(), ...teamFiles(), ...projectFiles(), ...ciFiles()];
  return files.map((f) => ({ ...f })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
