/**
 * Names that become paths, checked when a document loads (not only by
 * validate): persona names (`.claude/agents/<name>.md`), workflow names
 * (`.claude/commands/<name>.md`) and `files/` overlay paths (`.claude/<path>`).
 * A name that cannot be a path is an error finding at its key, so render and
 * apply of any chain that holds it refuse (repo.ts `chainErrors`), naming the
 * file, line and column. The checks themselves are paths.ts's, the same that
 * render and the write port run.
 */
import { ClaudeEnvError } from '../errors.js';
import { overlayPathProblem, personaNameProblem, shown, shownPath, workflowNameProblem } from '../paths.js';
import { isMap, originAt, type LayerValue } from '../provenance/tree.js';
import type { Finding, Origin, RepoPath } from '../vocabulary.js';
import type { DocumentPlace } from './layout.js';

export const UNSAFE_PATH = 'unsafe-path';

/**
 * A user, team, project or role name that is safe as one path segment and in
 * a branch name: ASCII letters, digits, `.`, `_`, `-`; starts with a letter or
 * digit; no `..`; not ending in `.` or `.lock`. Commands that make a name into
 * a path or a branch (onboard, import) check it before anything else.
 */
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkIdentityName(kind: string, name: string): void {
  if (!IDENTITY_NAME.test(name) || name.includes('..') || name.endsWith('.') || name.endsWith('.lock')) {
    throw new ClaudeEnvError('invalid-name', `invalid ${kind} name "${name}"`, {
      hint: `a ${kind} name is 1-64 ASCII letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "..", spaces or other characters)`,
    });
  }
}
export const FILES_IN_DOCUMENT = 'files-in-document';

const stem = (path: string): string => path.slice(path.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');

function finding(rule: string, file: string, at: Origin | undefined, message: string): Finding {
  return { rule, severity: 'error', file: shownPath(file), line: at?.line ?? 1, column: at?.column ?? 1, message };
}

/** The names a root-shaped tree (a config document, a team entry of teams.yml, the machine's own layer) turns into paths. */
export function rootNameFindings(root: LayerValue | undefined, file: string, out: Finding[] = []): Finding[] {
  if (!isMap(root)) return out;
  mapNameFindings(root['personas'], 'persona', file, out);
  mapNameFindings(root['workflows'], 'workflow', file, out);
  if (Object.hasOwn(root, 'files')) {
    out.push(finding(FILES_IN_DOCUMENT, file, originAt(root, 'files'), 'files is the folder files/ of a layer, not a key: a document cannot name files to copy, so this layer is not applied'));
  }
  return out;
}

function mapNameFindings(map: LayerValue | undefined, what: 'persona' | 'workflow', file: string, out: Finding[]): void {
  if (!isMap(map)) return;
  for (const name of Object.keys(map)) {
    const problem = what === 'persona' ? personaNameProblem(name) : workflowNameProblem(name);
    if (problem) out.push(finding(UNSAFE_PATH, file, originAt(map, name), nameMessage(what, name, problem)));
  }
}

function nameMessage(what: 'persona' | 'workflow', name: string, problem: string): string {
  const where = what === 'persona' ? '.claude/agents/' : '.claude/commands/';
  return `${what} name ${shown(name)} ${problem}: it cannot name a file under ${where}, so no target that holds it is rendered or applied`;
}

/** Findings of the names a document turns into paths (none for most documents). */
export function documentNameFindings(path: RepoPath, place: DocumentPlace, value: LayerValue | undefined): Finding[] {
  if (value === undefined) return [];
  switch (place.kind) {
    case 'persona': {
      const name = stem(path);
      const problem = personaNameProblem(name);
      return problem ? [finding(UNSAFE_PATH, path, undefined, nameMessage('persona', name, problem))] : [];
    }
    case 'personas': {
      const out: Finding[] = [];
      mapNameFindings(value, 'persona', path, out);
      return out;
    }
    case 'workflows': {
      const out: Finding[] = [];
      mapNameFindings(value, 'workflow', path, out);
      return out;
    }
    case 'config':
      return rootNameFindings(value, path);
    case 'environment-teams': {
      const out: Finding[] = [];
      if (isMap(value)) for (const team of Object.keys(value)) rootNameFindings(value[team], path, out);
      return out;
    }
    default:
      return [];
  }
}

/** The finding of a `files/` overlay file whose path below `files/` cannot be written to `.claude/<path>`, or undefined. */
export function overlayFinding(repoPath: string, below: string): Finding | undefined {
  const problem = overlayPathProblem(below);
  if (!problem) return undefined;
  return finding(UNSAFE_PATH, repoPath, undefined, `overlay path ${shown(below)} ${problem}: it cannot be written to .claude/, so no target that holds it is rendered or applied`);
}
