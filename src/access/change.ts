/**
 * What a change is, for `access check`, from the raw difference of two trees
 * (`git diff --raw -M`): the changed files (a rename counts as both its
 * paths; a symlink is read as the text of its object, never followed), the
 * changed keys of every layer document (both versions parsed), the versions
 * the quick look at executable content needs, and claude-env.yml at both
 * sides when it changed (a wider `secrets.commands_from` lets more run).
 */
import { toPlain } from '../provenance/tree.js';
import { parseYaml } from '../repo/yaml.js';
import type { RepoPath } from '../vocabulary.js';
import type { ChangedFile, ChangedKey } from './check.js';
import type { DocumentVersions } from './executable.js';
import { changedKeyPaths, isLayerDocument } from './keys.js';

/** One entry of `git diff --raw`: modes and object ids at both sides, the status letter, and the old path of a rename or copy. */
export interface TreeChange {
  readonly status: string;
  readonly oldMode: string;
  readonly newMode: string;
  readonly oldOid: string;
  readonly newOid: string;
  readonly path: string;
  readonly from?: string;
}

/** Objects by id or `rev:path`; a missing one is an error, or undefined with `allowMissing`. */
export type ReadObjects = (objects: readonly string[], opts?: { allowMissing?: boolean }) => Promise<Array<Uint8Array | undefined>>;

export interface ChangeFacts {
  readonly files: ChangedFile[];
  readonly keys: ChangedKey[];
  readonly versions: DocumentVersions[];
  /** Every path the change touches (both paths of a rename). */
  readonly paths: string[];
  /** claude-env.yml at base and at head, as plain data, when the change touches it. */
  readonly settings?: { readonly before: unknown; readonly after: unknown };
}

const ZERO = /^0+$/;
const decoder = new TextDecoder();
const isBlob = (mode: string): boolean => mode.startsWith('100');
const present = (oid: string | undefined): oid is string => oid !== undefined && !ZERO.test(oid);

/** The change from commit `base` to commit `head`, given their raw difference and a reader of objects. */
export async function describeChange(raw: readonly TreeChange[], read: ReadObjects, base: string, head: string): Promise<ChangeFacts> {
  const links = raw.filter((c) => c.newMode === '120000' && !ZERO.test(c.newOid));
  const linkBlobs = await read(links.map((l) => l.newOid));
  const linkTargets = new Map(links.map((c, i) => [c, decoder.decode(linkBlobs[i])]));
  const files: ChangedFile[] = [];
  for (const c of raw) {
    const symlink = linkTargets.get(c);
    const extra = symlink !== undefined ? { symlink } : {};
    if (c.status === 'R') {
      files.push({ path: c.from!, status: 'renamed-from' }, { path: c.path, status: 'renamed-to', ...extra });
    } else {
      const status = c.status === 'A' || c.status === 'C' ? 'added' : c.status === 'D' ? 'deleted' : c.status === 'T' ? 'type-changed' : 'modified';
      files.push({ path: c.path, status, ...extra });
    }
  }

  // Keys: both versions of every changed layer document (a symlink or a submodule has no keys of its own).
  const docs: Array<{ path: string; before?: string; after?: string }> = [];
  // Layer documents that are not a file at one revision (a symlink, a submodule): the quick look renders for them.
  const notFiles = new Set<string>();
  for (const c of raw) {
    if (!isBlob(c.newMode) && !ZERO.test(c.newOid) && isLayerDocument(c.path)) notFiles.add(c.path);
    if (!isBlob(c.oldMode) && !ZERO.test(c.oldOid) && isLayerDocument(c.from ?? c.path)) notFiles.add(c.from ?? c.path);
  }
  for (const c of raw) {
    if (c.status === 'R') {
      if (isLayerDocument(c.from!) && isBlob(c.oldMode)) docs.push({ path: c.from!, before: c.oldOid });
      if (isLayerDocument(c.path) && isBlob(c.newMode)) docs.push({ path: c.path, after: c.newOid });
    } else if (isLayerDocument(c.path)) {
      docs.push({
        path: c.path,
        ...(isBlob(c.oldMode) && !ZERO.test(c.oldOid) ? { before: c.oldOid } : {}),
        ...(isBlob(c.newMode) && !ZERO.test(c.newOid) ? { after: c.newOid } : {}),
      });
    }
  }
  const settingsBefore = raw.find((c) => (c.from ?? c.path) === 'claude-env.yml')?.oldOid;
  const settingsAfter = raw.find((c) => c.path === 'claude-env.yml')?.newOid;
  const oids = [...new Set([...docs.flatMap((d) => [d.before, d.after]), settingsBefore, settingsAfter].filter(present))];
  const got = await read(oids);
  const blobs = new Map(oids.map((oid, i) => [oid, decoder.decode(got[i])]));
  const keys: ChangedKey[] = [];
  const versions: DocumentVersions[] = [];
  for (const d of docs) {
    const parse = (oid: string | undefined): { value: unknown; ok: boolean } => {
      if (oid === undefined) return { value: undefined, ok: true };
      const p = parseYaml(blobs.get(oid)!, d.path as RepoPath, 'base');
      return { value: p.value ?? undefined, ok: p.value !== undefined || !p.findings.some((f) => f.severity === 'error') };
    };
    const before = parse(d.before);
    const after = parse(d.after);
    if (!before.ok || !after.ok) keys.push({ file: d.path });
    else for (const segments of changedKeyPaths(d.path, before.value, after.value)) keys.push({ file: d.path, segments });
    versions.push({ path: d.path, before: before.value, after: after.value, parsed: before.ok && after.ok && !notFiles.has(d.path) });
  }
  const paths = raw.flatMap((c) => (c.from !== undefined ? [c.from, c.path] : [c.path]));
  if (settingsBefore === undefined && settingsAfter === undefined) return { files, keys, versions, paths };
  const settingsOf = (text: string | undefined): unknown => (text === undefined ? undefined : toPlain(parseYaml(text, 'claude-env.yml' as RepoPath, 'base').value ?? undefined));
  // An absent side is the revision's claude-env.yml as it stands (unchanged): read from its tree (none there: the defaults).
  const side = async (oid: string | undefined, rev: string): Promise<unknown> => {
    if (oid !== undefined) return settingsOf(ZERO.test(oid) ? undefined : blobs.get(oid));
    const [blob] = await read([`${rev}:claude-env.yml`], { allowMissing: true });
    return settingsOf(blob === undefined ? undefined : decoder.decode(blob));
  };
  return { files, keys, versions, paths, settings: { before: await side(settingsBefore, base), after: await side(settingsAfter, head) } };
}
