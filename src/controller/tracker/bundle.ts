/**
 * A machine's bundle: the files of the config repo that its target's render
 * and admission read at a revision, found by rendering the target through a
 * RepoSource that records every path it is asked for. Rendering a repo made
 * of just those files gives the same outputs, so an agent needs nothing else
 * (and sees no other team's layers). Secrets stay as their references.
 */
import { createHash } from 'node:crypto';
import type { Assignment, BundleFile } from '../api.js';
import { admitted } from '../../apply/outputs.js';
import { Repo } from '../../repo/repo.js';
import type { ParsedYaml, Yaml } from '../../repo/yaml.js';
import type { RepoSource } from '../../repo/source.js';
import type { Target } from '../../vocabulary.js';

export type Bundle = Assignment;

/** `source` with every file it lists, reads or tells the mode of noted in `seen`. */
export function recordingSource(source: RepoSource, seen: Set<string>): RepoSource {
  const note = (path: string): void => {
    if (!seen.has(path) && source.read(path) !== undefined) seen.add(path);
  };
  return {
    description: source.description,
    ...(source.indexed !== undefined ? { indexed: source.indexed } : {}),
    list(dir) {
      const paths = source.list(dir);
      // A listing of the whole repo is a walk (validate), never a render's: those are not bundled.
      if (dir !== '') for (const p of paths) seen.add(p);
      return paths;
    },
    listDirs: (dir) => source.listDirs(dir),
    ...(source.isDir ? { isDir: (dir: string) => source.isDir!(dir) } : {}),
    read(path) {
      const bytes = source.read(path);
      if (bytes !== undefined) seen.add(path);
      return bytes;
    },
    mode(path) {
      note(path);
      return source.mode(path);
    },
    ...(source.prefetch ? { prefetch: (paths: readonly string[]) => source.prefetch!(paths) } : {}),
    ...(source.refused ? { refused: () => source.refused!() } : {}),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file as a bundle carries it: text when it is valid UTF-8, else base64. */
export function bundleFile(bytes: Uint8Array, mode: number): BundleFile {
  try {
    const text = utf8.decode(bytes);
    // A BOM is dropped by the decoder: such a file travels as bytes, unchanged.
    if (Buffer.from(text, 'utf8').equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) return { mode, text };
  } catch {
    /* not UTF-8 */
  }
  return { mode, base64: Buffer.from(bytes).toString('base64') };
}

/** A bundle file's bytes. */
export function bundleBytes(f: BundleFile): Buffer {
  return 'text' in f ? Buffer.from(f.text, 'utf8') : Buffer.from(f.base64, 'base64');
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** SHA-256 (hex) of the files alone: equal for two revisions that give a target the same files. */
export function filesDigest(files: Readonly<Record<string, BundleFile>>): string {
  const h = createHash('sha256');
  for (const path of Object.keys(files).sort(byCodeUnit)) {
    const f = files[path]!;
    const bytes = bundleBytes(f);
    h.update(`${path}\0${f.mode.toString(8)}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** The ETag: SHA-256 (hex) of the revision and the files, the same in every process. */
export function bundleEtag(revision: string, files: Readonly<Record<string, BundleFile>>): string {
  return createHash('sha256').update(`claude-env-bundle\0${revision}\0${filesDigest(files)}`).digest('hex');
}

export interface BundleInput {
  /** The revision as a snapshot (system/repo-source.ts `openRevision`). */
  readonly source: RepoSource;
  /** Its commit. */
  readonly revision: string;
  readonly target: Target;
  readonly yaml?: Yaml;
  /** Parses kept across the bundles of one revision (keyed by path and text: see RepoOptions.shared). */
  readonly shared?: Map<string, ParsedYaml>;
  /** Bundle files made before from this revision, by path: one object per file, whatever the number of bundles holding it. */
  readonly files?: Map<string, BundleFile>;
}

/**
 * The bundle of a target: its name checked against the repo (members.yml),
 * then rendered and admitted as apply does it (with the project's
 * `.mcp.json` and managed settings too, which a machine may ask for), on a
 * Repo of its own over a recording source: every path read is bundled.
 * Throws what the render throws (an unknown target, a chain with errors).
 */
export async function bundleOf(input: BundleInput): Promise<Bundle> {
  const seen = new Set<string>();
  const repo = new Repo(recordingSource(input.source, seen), { ...(input.yaml ? { yaml: input.yaml } : {}), ...(input.shared ? { shared: input.shared } : {}) });
  const target = repo.resolveTarget(input.target);
  // The render and the checks apply makes before it writes; what they find is the agent's to report.
  await admitted(repo, target, { projectMcp: true, managed: true });
  // A null prototype: a file named `__proto__` is a file like any other.
  const files = Object.create(null) as Record<string, BundleFile>;
  for (const path of [...seen].sort(byCodeUnit)) {
    let f = input.files?.get(path);
    if (!f) {
      f = bundleFile(input.source.read(path)!, input.source.mode(path));
      input.files?.set(path, f);
    }
    files[path] = f;
  }
  return { revision: input.revision, environment: target.env, target, etag: bundleEtag(input.revision, files), files };
}
