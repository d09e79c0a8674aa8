/**
 * What a machine's Claude Code setup holds, read for `claude-env import`:
 * `~/.claude/settings.json`, the `mcpServers` of `~/.claude.json`, the
 * person's own text of `~/.claude/CLAUDE.md` (a claude-env block excluded),
 * and the files under `~/.claude/` a layer's `files/` can carry (agents,
 * commands, skills, hooks, output styles, rules). Everything else there is
 * Claude Code's own state: listed as not imported, with why, never read.
 * A project folder gives its `.claude/settings.json`, `.mcp.json` and the
 * same kinds of files under its `.claude/`.
 *
 * Nothing is followed: a symbolic link is listed, not read. A file that is
 * not JSON is an error naming the file, line and column.
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClaudeEnvError, positionAt } from '../errors.js';
import { repoEntryProblem } from '../paths.js';
import { BLOCK_BEGIN, BLOCK_END } from '../render/outputs.js';

export interface FoundFile {
  /** Path under `.claude/`, POSIX. */
  readonly path: string;
  readonly bytes: Uint8Array;
  /** 0o755 when executable by its owner, else 0o644 (the modes git records). */
  readonly mode: 0o644 | 0o755;
}

export interface Skipped {
  readonly path: string;
  readonly reason: string;
}

export interface FoundSetup {
  /** Where it was read (for messages). */
  readonly from: string;
  readonly settings?: Record<string, unknown>;
  readonly mcpServers?: Record<string, Record<string, unknown>>;
  /** The person's own text of CLAUDE.md (outside claude-env's block), trimmed; absent when empty. */
  readonly instructions?: string;
  readonly files: readonly FoundFile[];
  readonly skipped: readonly Skipped[];
}

/** The folders under `.claude/` whose files a layer's `files/` carries to `.claude/<path>`. */
const CARRIED = new Set(['agents', 'commands', 'skills', 'hooks', 'output-styles', 'rules', 'statusline', 'scripts']);
/** Files and folders of `.claude/` that are Claude Code's own state or read elsewhere. */
const OWN: Readonly<Record<string, string>> = {
  'settings.json': 'read as settings',
  'settings.local.json': "Claude Code's local settings (written by Claude Code itself): not shared",
  'CLAUDE.md': 'read as instructions',
  'local-overrides.yml': "this machine's own claude-env layer: stays on the machine",
  '.credentials.json': 'credentials: never imported',
};
const MAX_FILE = 1024 * 1024;

function lineColumn(text: string, message: string): { line?: number; column?: number } {
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /at position (\d+)/.exec(message);
  if (!pos) return text.trim() === '' ? {} : { line: 1, column: 1 };
  return positionAt(text, Number(pos[1]));
}

/** A JSON object from a file, or an error naming the file, line and column. */
export function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    throw new ClaudeEnvError('unparsable-file', `${file} is not valid JSON (${message.replace(/\s*\(line \d+ column \d+\)/, '')}): nothing was imported`, { file, ...lineColumn(text, message) });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ClaudeEnvError('unparsable-file', `${file} is not a JSON object: nothing was imported`, { file, line: 1, column: 1 });
  return value as Record<string, unknown>;
}

function readText(file: string): string | undefined {
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClaudeEnvError('unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
  if (st.isSymbolicLink()) throw new ClaudeEnvError('unreadable', `${file} is a symbolic link: claude-env imports no file it would have to follow a link to`, { file });
  if (!st.isFile()) throw new ClaudeEnvError('unreadable', `${file} is not a file`, { file });
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClaudeEnvError('unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
}

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw new ClaudeEnvError('unreadable', `cannot read the folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: dir });
  }
}

/** The MCP servers of a JSON file's `mcpServers`, each an object; an unknown transport is an error naming the file. */
function serversOf(doc: Record<string, unknown>, file: string): Record<string, Record<string, unknown>> | undefined {
  const servers = doc['mcpServers'];
  if (servers === undefined) return undefined;
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) throw new ClaudeEnvError('unparsable-file', `${file}: mcpServers is not an object: nothing was imported`, { file });
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(servers as Record<string, unknown>)) {
    if (def === null || typeof def !== 'object' || Array.isArray(def)) throw new ClaudeEnvError('unparsable-file', `${file}: mcpServers.${name} is not an object: nothing was imported`, { file });
    const type = (def as Record<string, unknown>)['type'];
    if (type !== undefined && type !== 'stdio' && type !== 'http' && type !== 'sse') {
      throw new ClaudeEnvError('unparsable-file', `${file}: mcpServers.${name} has the transport ${JSON.stringify(type)}; Claude Code's are stdio, http and sse: nothing was imported`, { file });
    }
    const problem = repoEntryProblem(name);
    if (problem !== undefined || name.includes('/')) throw new ClaudeEnvError('invalid-name', `${file}: the MCP server name ${JSON.stringify(name)} is not a file name (${problem ?? 'it has a "/"'}): nothing was imported`, { file });
    out[name] = def as Record<string, unknown>;
  }
  return out;
}

/** The person's own text of a CLAUDE.md: claude-env's block (from an earlier apply) taken out. */
function ownInstructions(text: string): string | undefined {
  let own = text;
  const begin = own.indexOf(BLOCK_BEGIN);
  const end = own.indexOf(BLOCK_END);
  if (begin >= 0 && end > begin) own = own.slice(0, begin) + own.slice(end + BLOCK_END.length);
  own = own.trim();
  return own === '' ? undefined : own;
}

/** Every carried file under `root/.claude/<dir>`, links and oversized files listed, names checked. */
function walk(base: string, rel: string, files: FoundFile[], skipped: Skipped[]): void {
  for (const name of readDir(join(base, rel))) {
    const path = `${rel}/${name}`;
    const problem = repoEntryProblem(path);
    if (problem !== undefined) throw new ClaudeEnvError('invalid-name', `${join(base, path)}: ${path} ${problem}; a layer's files/ cannot carry it: nothing was imported`, { file: join(base, path) });
    const abs = join(base, path);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) skipped.push({ path, reason: 'a symbolic link: not followed' });
    else if (st.isDirectory()) walk(base, path, files, skipped);
    else if (!st.isFile()) skipped.push({ path, reason: 'not a regular file' });
    else if (st.size > MAX_FILE) skipped.push({ path, reason: `larger than ${MAX_FILE} bytes` });
    else {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(abs);
      } catch (err) {
        throw new ClaudeEnvError('unreadable', `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: abs });
      }
      files.push({ path, bytes, mode: (st.mode & 0o100) !== 0 ? 0o755 : 0o644 });
    }
  }
}

/** The `.claude/` folder of a home or a project: settings, instructions and the carried files. */
function readClaudeDir(dir: string, files: FoundFile[], skipped: Skipped[]): { settings?: Record<string, unknown>; instructions?: string } {
  const out: { settings?: Record<string, unknown>; instructions?: string } = {};
  let names: string[];
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) throw new ClaudeEnvError('unreadable', `${dir} is a symbolic link: not followed`, { file: dir });
    if (!st.isDirectory()) return out;
    names = readDir(dir);
  } catch (err) {
    if (err instanceof ClaudeEnvError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new ClaudeEnvError('unreadable', `cannot read the folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: dir });
  }
  const settingsFile = join(dir, 'settings.json');
  const settings = readText(settingsFile);
  if (settings !== undefined) out.settings = settings.trim() === '' ? {} : parseJsonObject(settings, settingsFile);
  const md = readText(join(dir, 'CLAUDE.md'));
  const own = md === undefined ? undefined : ownInstructions(md);
  if (own !== undefined) out.instructions = own;
  for (const name of names) {
    if (CARRIED.has(name)) {
      const st = lstatSync(join(dir, name));
      if (st.isSymbolicLink()) skipped.push({ path: name, reason: 'a symbolic link: not followed' });
      else if (st.isDirectory()) walk(dir, name, files, skipped);
      else skipped.push({ path: name, reason: 'not a folder' });
    } else if (OWN[name] === undefined || (name !== 'settings.json' && name !== 'CLAUDE.md')) {
      skipped.push({ path: name, reason: OWN[name] ?? "Claude Code's own state (sessions, history, caches, plugins): not configuration" });
    }
  }
  return out;
}

/** A home as Claude Code reads it (`$CLAUDE_CONFIG_DIR` not followed: give that folder's parent layout). */
export function readHome(home: string): FoundSetup {
  const st = (() => {
    try {
      return lstatSync(home);
    } catch (err) {
      throw new ClaudeEnvError('unreadable', `cannot read the home ${home}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: home });
    }
  })();
  if (!st.isDirectory()) throw new ClaudeEnvError('unreadable', `${home} is not a folder`, { file: home });
  const files: FoundFile[] = [];
  const skipped: Skipped[] = [];
  const claude = readClaudeDir(join(home, '.claude'), files, skipped);
  const stateFile = join(home, '.claude.json');
  const state = readText(stateFile);
  const servers = state === undefined || state.trim() === '' ? undefined : serversOf(parseJsonObject(state, stateFile), stateFile);
  return { from: home, ...(claude.settings ? { settings: claude.settings } : {}), ...(servers ? { mcpServers: servers } : {}), ...(claude.instructions ? { instructions: claude.instructions } : {}), files, skipped };
}

/** A project folder: `.claude/settings.json`, `.mcp.json`, `CLAUDE.md` or `.claude/CLAUDE.md`, and the carried files of `.claude/`. */
export function readProject(dir: string): FoundSetup {
  const files: FoundFile[] = [];
  const skipped: Skipped[] = [];
  try {
    if (!lstatSync(dir).isDirectory()) throw new ClaudeEnvError('unreadable', `${dir} is not a folder`, { file: dir });
  } catch (err) {
    if (err instanceof ClaudeEnvError) throw err;
    throw new ClaudeEnvError('unreadable', `cannot read the project ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: dir });
  }
  const claude = readClaudeDir(join(dir, '.claude'), files, skipped);
  const mcpFile = join(dir, '.mcp.json');
  const mcp = readText(mcpFile);
  const servers = mcp === undefined || mcp.trim() === '' ? undefined : serversOf(parseJsonObject(mcp, mcpFile), mcpFile);
  const rootMd = readText(join(dir, 'CLAUDE.md'));
  const instructions = [rootMd === undefined ? undefined : ownInstructions(rootMd), claude.instructions].filter((x): x is string => x !== undefined).join('\n\n');
  return { from: dir, ...(claude.settings ? { settings: claude.settings } : {}), ...(servers ? { mcpServers: servers } : {}), ...(instructions ? { instructions } : {}), files, skipped };
}
