/**
 * Names become paths only here (STYLE.md habit 13). A persona or workflow
 * name, or a `files/` overlay path, is written by whoever writes a layer:
 * someone with fewer rights than the user of the machine it lands on. Each
 * becomes a path under `.claude/` through one checked constructor, and the
 * same checks run where documents load (src/repo), in render and at the write
 * port (src/apply/paths.ts): no `..`, `.` or empty segment, no absolute path,
 * no backslash, no NUL or other control character, a bounded length.
 *
 * The checks say only what is unsafe; what is well named is the schema's
 * business (src/schema).
 */
import { ClaudeEnvError } from './errors.js';
import type { HomePath } from './vocabulary.js';

/** Longest file or folder name, in UTF-8 bytes (ext4, APFS, NTFS all stop at 255). */
export const MAX_SEGMENT_BYTES = 255;
/** Longest path below its root, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;

/** C0 controls (NUL included), DEL and the C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** What `shown` escapes: the controls, and the Unicode marks that reorder or hide text on a terminal. */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * A name or path as a message may print it: in double quotes, every control
 * and hiding character escaped (`\u001b`), cut after 200 characters. A name
 * can never reach a terminal as raw escape sequences.
 */
export function shown(s: string): string {
  const cut = s.length > 200 ? `${s.slice(0, 200)}…` : s;
  return `"${cut.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** A path for a finding's `file`: as it is when it is plain, else escaped like `shown` (without the quotes). */
export function shownPath(p: string): string {
  HIDDEN.lastIndex = 0;
  return HIDDEN.test(p) || p.length > 200 ? shown(p).slice(1, -1) : p;
}

/** Why `seg` cannot be one file or folder name, or undefined when it can. */
export function segmentProblem(seg: string): string | undefined {
  if (seg === '') return 'has an empty segment';
  if (seg === '.' || seg === '..') return `has a "${seg}" segment`;
  if (CONTROL.test(seg)) return 'has a control character';
  if (seg.includes('\\')) return 'has a backslash';
  if (seg.length * 3 > MAX_SEGMENT_BYTES && utf8Length(seg) > MAX_SEGMENT_BYTES) return `has a name longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/** Why `path` cannot be a relative path below a root (`/`-separated), or undefined when it can. */
export function relativePathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.startsWith('/')) return 'is an absolute path';
  if (path.length * 3 > MAX_PATH_BYTES && utf8Length(path) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  for (const seg of path.split('/')) {
    const p = segmentProblem(seg);
    if (p) return p;
  }
  return undefined;
}

/** Why a persona name cannot name `.claude/agents/<name>.md`, or undefined. */
export function personaNameProblem(name: string): string | undefined {
  if (name.includes('/')) return 'has a "/" (a persona is one file of .claude/agents)';
  return segmentProblem(name) ?? relativePathProblem(`${name}.md`);
}

/** Why a workflow name (`<name>` or `<namespace>/<name>`) cannot name `.claude/commands/<name>.md`, or undefined. */
export function workflowNameProblem(name: string): string | undefined {
  return relativePathProblem(name) ?? relativePathProblem(`commands/${name}.md`);
}

/** Why a path under a layer's `files/` cannot be written to `.claude/<path>`, or undefined. */
export function overlayPathProblem(path: string): string | undefined {
  return relativePathProblem(path) ?? relativePathProblem(`.claude/${path}`);
}

/** The error of a name that cannot become a path: exit 1, like a finding, naming the file it came from when known. */
export function unsafePath(what: string, name: string, problem: string, file?: string): ClaudeEnvError {
  return new ClaudeEnvError('unsafe-path', `${what} ${shown(name)} ${problem}: it cannot become a file name, so nothing is written`, {
    ...(file !== undefined ? { file: shownPath(file) } : {}),
  });
}

/** `.claude/agents/<name>.md`, or an `unsafe-path` error. */
export function agentFile(name: string): HomePath {
  const p = personaNameProblem(name);
  if (p) throw unsafePath('persona name', name, p);
  return `.claude/agents/${name}.md` as HomePath;
}

/** `.claude/commands/<name>.md` (`<namespace>/<name>` allowed), or an `unsafe-path` error. */
export function commandFile(name: string): HomePath {
  const p = workflowNameProblem(name);
  if (p) throw unsafePath('workflow name', name, p);
  return `.claude/commands/${name}.md` as HomePath;
}

/** `.claude/<path>` for a `files/` overlay path, or an `unsafe-path` error. */
export function overlayFile(path: string, file?: string): HomePath {
  const p = overlayPathProblem(path);
  if (p) throw unsafePath('overlay path', path, p, file);
  return `.claude/${path}` as HomePath;
}

/** A home-relative output path (`.claude/…`, `.claude.json`, `@project/…`, `@managed/…`) as the write port takes it, or an `unsafe-path` error. */
export function checkedOutputPath(path: string): HomePath {
  const rest = path.startsWith('@project/') ? path.slice('@project/'.length) : path.startsWith('@managed/') ? path.slice('@managed/'.length) : path;
  const p = relativePathProblem(rest);
  if (p) throw unsafePath('output path', path, p);
  return path as HomePath;
}

/** A path of the config repo that names nothing claude-env may read: an empty, `.`, `..` or `.git` segment (any case), a control character. */
const BAD_REPO_PATH = /(?:^|\/)(?:\.{0,2}|\.git[. ]*)(?:\/|$)|[\u0000-\u001f\u007f-\u009f]/i;

/**
 * Why a path listed by the config repo (a git tree entry, a working tree
 * name) is never read, or undefined when it may be. Git itself refuses such
 * entries on checkout (`verify_path`); a crafted tree can still hold them.
 */
export function repoEntryProblem(path: string): string | undefined {
  if (!BAD_REPO_PATH.test(path)) return undefined;
  if (CONTROL.test(path)) return 'has a control character in its name';
  for (const seg of path.split('/')) {
    if (seg === '') return 'has an empty name';
    if (seg === '.' || seg === '..') return `has an entry named "${seg}"`;
    if (/^\.git[. ]*$/i.test(seg)) return 'has an entry named ".git"';
  }
  return 'is not a plain path';
}
