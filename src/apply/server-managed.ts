/**
 * Anthropic's server-managed settings (set in the claude.ai admin console,
 * fetched by Claude Code at start-up and kept in `<config dir>/remote-settings.json`)
 * win over file-based managed settings unless `managedSourcesBehavior` is
 * `merge` (CLAUDE-CODE.md, newer releases). Where they are in force, what
 * `apply --managed` writes is not in effect: apply and drift say so, and
 * what to set.
 */
import { isLink, type System } from '../system/system.js';
import { configDirOf, type ClaudeLocations } from './paths.js';

const join = (a: string, b: string): string => (a.endsWith('/') ? a + b : `${a}/${b}`);

/** The notice for a machine with managed settings to write, or undefined when nothing overrides them. */
export async function serverManagedNotice(sys: System, loc: ClaudeLocations): Promise<string | undefined> {
  if (loc.managedDir === undefined) return undefined;
  const file = join(configDirOf(loc), 'remote-settings.json');
  const found = await sys.read(file).catch(() => undefined);
  if (found === undefined || isLink(found)) return undefined;
  let settings: unknown;
  try {
    settings = JSON.parse(found.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings) || Object.keys(settings).length === 0) return undefined;
  if ((settings as Record<string, unknown>)['managedSourcesBehavior'] === 'merge') return undefined;
  return `server-managed settings are in force on this machine (Claude Code keeps them in ${file}) and win over file-based managed settings: what claude-env writes to ${loc.managedDir} is not in effect; set "managedSourcesBehavior": "merge" in the server-managed settings (the claude.ai admin console) to have both apply`;
}
