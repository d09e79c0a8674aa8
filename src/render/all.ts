/**
 * `render --all`: every target of the repo (or of one environment or team),
 * rendered with one merge cache, and the files of each as they go below an
 * output folder: `<env>/<team>/<user>[/<project>]/<file>`.
 */
import { fileText } from './agent-files.js';
import { createMergeCache } from '../merge/target.js';
import { segmentProblem, unsafePath } from '../paths.js';
import type { Repo } from '../repo/repo.js';
import type { Target } from '../vocabulary.js';
import { renderTarget, type Rendered } from './index.js';

export interface TargetFilter {
  readonly env?: string;
  readonly team?: string;
}

/** The targets of the repo that match; an unknown environment or team is an error naming what exists. */
export function targetsOf(repo: Repo, filter: TargetFilter): Target[] {
  if (filter.env !== undefined) repo.resolveTarget({ env: filter.env });
  if (filter.team !== undefined) repo.resolveTarget({ env: filter.env ?? repo.settings.environments[0]!, team: filter.team });
  return repo.targets({ ...(filter.env !== undefined ? { env: filter.env } : {}), ...(filter.team !== undefined ? { team: filter.team } : {}) });
}

/** Each target rendered in turn, sharing the merges of their common layers. */
export function* renderEach(repo: Repo, targets: readonly Target[]): Generator<Rendered> {
  const cache = createMergeCache(repo);
  for (const t of targets) yield renderTarget(repo, t, { cache });
}

/** `<env>/<team>/<user>[/<project>]`; a name that is not one plain folder name (a user `../x` in members.yml) is an `unsafe-path` error. */
function targetDir(t: Target): string {
  const parts = [t.env, t.team ?? '_', t.user ?? '_', ...(t.project ? [t.project] : [])];
  for (const p of parts) {
    const problem = p.includes('/') ? 'has a "/"' : segmentProblem(p);
    if (problem) throw unsafePath('target name', p, problem);
  }
  return parts.join('/');
}

export interface TreeFile {
  readonly path: string;
  readonly data: string | Uint8Array;
  readonly mode: number;
}

/** The files of a rendered target below the output folder. */
export function treeFiles(r: Rendered): TreeFile[] {
  const base = targetDir(r.target);
  return r.outputs.map((o) => ({ path: `${base}/${o.path}`, data: o.encoding === 'base64' ? Buffer.from(o.content, 'base64') : fileText(o), mode: o.mode }));
}
