/**
 * A config repo: its documents, read through a RepoSource and parsed once on
 * first use (a one-target command reads only the folders of its layers), the
 * repo settings, the members of each team, the layer chain of a target and
 * the repo's targets.
 */
import { ClaudeEnvError } from '../errors.js';
import { originAt, setOrigins, isMap, toPlain, type LayerMap, type LayerValue } from '../provenance/tree.js';
import type { Finding, LayerName, Origin, RepoPath, Target } from '../vocabulary.js';
import { DEFAULT_ENVIRONMENTS, LAYER_DOCUMENTS, isYamlPath, layerFolder, placeOf, type DocumentPlace } from './layout.js';
import { unreadable, type RefusedEntry, type RepoSource } from './source.js';
import { documentNameFindings, overlayFinding } from './names.js';
import { shownPath } from '../paths.js';
import { PACKAGE_YAML, parseYaml, type ParsedYaml, type Yaml } from './yaml.js';
import { cacheKey, decodeEntry, decodeParsed, encodeParsed, readEntry, type CacheEntry, type DocumentCache } from './doc-cache.js';

export interface RepoDocument {
  readonly path: RepoPath;
  readonly place: DocumentPlace;
  /** The document's own tree; undefined when it has YAML errors. */
  readonly value: LayerValue | undefined;
  /** YAML findings of this document. */
  readonly findings: readonly Finding[];
  /** The document's text (to point into it again: see yaml.ts `parseAst`). */
  readonly text: string;
  readonly rootOrigin: Origin;
}

/** One document of a target's chain, its tree placed at the root of the merged tree. */
export interface LayerDocument {
  readonly layer: LayerName;
  readonly file: RepoPath;
  readonly root: LayerMap | undefined;
}

export interface Member {
  readonly user: string;
  readonly role: string;
  readonly projects: readonly string[];
  readonly team: string;
  readonly origin: Origin;
}

/** Which layer folder: the names a layer of a chain is found by. */
export interface LayerId {
  readonly env?: string;
  readonly team?: string;
  readonly project?: string;
  readonly user?: string;
}

/** Whether a document can hold a section that `wanted` accepts: one placed at a section holds that one, a root-shaped one any. */
function canHold(path: string, wanted: (section: string) => boolean): boolean {
  const top = placeOf(path).section[0];
  return top === undefined || wanted(top);
}

/** The layers of a target's chain with their ids, lowest priority first. */
export function chainLayers(t: Target): Array<readonly [LayerName, LayerId]> {
  const layers: Array<readonly [LayerName, LayerId]> = [['base', {}], ['environment', { env: t.env }]];
  if (t.team !== undefined) layers.push(['environment-team', { env: t.env, team: t.team }], ['team', { team: t.team }]);
  if (t.project !== undefined) layers.push(['project', { project: t.project }]);
  if (t.user !== undefined) layers.push(['user', { user: t.user }]);
  return layers;
}

export interface RepoSettings {
  readonly environments: readonly string[];
  /** `merge.arrays` in document order: dotted glob → raw strategy value. */
  readonly arrayRules: ReadonlyArray<readonly [string, unknown]>;
  /** The whole claude-env.yml as plain data. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const LIST_LIMIT = 12;

export function listNames(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown}, … (${names.length} in all)` : shown;
}

export interface RepoOptions {
  /** Parsed documents kept between runs (blocking/doc-cache-store.ts keeps them on disk). */
  cache?: DocumentCache;
  /**
   * Parses kept across Repo instances, keyed by path and text, so two
   * revisions of one repo (impact) parse each document version once.
   */
  shared?: Map<string, ParsedYaml>;
  /** Files to read in one batch at once. */
  prefetch?: readonly string[];
  /** The YAML library (default: the `yaml` package, loaded on first use). */
  yaml?: Yaml;
}

/**
 * A key of what is derived from a Repo and kept with it (`Repo.derived`): a
 * module makes one, once, for each kind of thing it derives.
 */
export class DerivedKey<T> {
  declare private readonly type: T;
  constructor(readonly name: string) {}
}

export class Repo {
  private readonly docs = new Map<string, RepoDocument | null>();
  private readonly texts = new Map<string, string | null>();
  private readonly placed = new Map<string, LayerMap | undefined>();
  private readonly dirs = new Map<string, string[]>();
  private readonly memberCache = new Map<string, readonly Member[]>();
  private settingsCache: RepoSettings | undefined;

  private readonly cache: DocumentCache | undefined;
  private readonly shared: Map<string, ParsedYaml> | undefined;
  /** Document cache entries found by content id (source.contentId), by path: their text was never read from the source. */
  private readonly entries = new Map<string, CacheEntry>();

  /** The YAML library documents are parsed with (and what is derived from the repo writes YAML with). */
  readonly yaml: Yaml;
  /** What other modules derive from this repo and keep with it (`derived`). */
  private readonly derivations = new Map<DerivedKey<unknown>, unknown>();

  constructor(
    readonly source: RepoSource,
    opts: RepoOptions = {},
  ) {
    this.cache = opts.cache;
    this.shared = opts.shared;
    this.yaml = opts.yaml ?? PACKAGE_YAML;
    if (opts.prefetch) this.prefetch(opts.prefetch);
    // Parsed here once: every command needs the repo settings anyway.
    if (this.document('claude-env.yml') === undefined) {
      const refused = this.refusedUnder((p) => p === 'claude-env.yml');
      if (refused.length > 0) throw chainErrorToThrow(refused);
      throw new ClaudeEnvError('not-config-repo', `${source.description} is not a claude-env config repo: it has no claude-env.yml`, {
        hint: 'run `claude-env init DIR` to create one, or pass --repo DIR',
      });
    }
  }

  /**
   * What a module derives from this repo and keeps as long as the repo lives
   * (a merger of its array rules, outputs compiled from its files): made by
   * `make` the first time `key` is asked for. Each key is a module's own
   * constant, so what is kept is bounded by the modules, and by the repo's
   * size within each.
   */
  derived<T>(key: DerivedKey<T>, make: () => T): T {
    if (this.derivations.has(key)) return this.derivations.get(key) as T;
    const made = make();
    this.derivations.set(key, made);
    return made;
  }

  /** Parse a document (once). Undefined when the file does not exist. */
  document(path: string): RepoDocument | undefined {
    const hit = this.docs.get(path);
    if (hit !== undefined) return hit ?? undefined;
    const text = this.text(path);
    if (text === undefined) {
      this.docs.set(path, null);
      return undefined;
    }
    const place = placeOf(path);
    const parsed = this.parse(text, path as RepoPath, place.layer ?? 'base');
    const named = documentNameFindings(path as RepoPath, place, parsed.value);
    const findings = named.length > 0 ? [...parsed.findings, ...named] : parsed.findings;
    const doc: RepoDocument = { path: path as RepoPath, place, value: parsed.value, findings, text, rootOrigin: parsed.rootOrigin };
    this.docs.set(path, doc);
    return doc;
  }

  /**
   * Files about to be read, read in one batch by the source, except the
   * documents the document cache holds by content id (those are not read).
   */
  prefetch(paths: readonly string[]): void {
    if (!this.source.prefetch) return;
    const rest = this.cache && this.source.contentId ? paths.filter((p) => !this.texts.has(p) && !this.inCache(p)) : paths;
    if (rest.length > 0) this.source.prefetch(rest);
  }

  /** Whether the document cache has the document at `path` by its content id (read only when the document is needed). */
  private inCache(path: string): boolean {
    if (!this.cache?.has) return this.fromCache(path);
    if (!isYamlPath(path)) return false;
    const id = this.source.contentId?.(path);
    return id !== undefined && this.cache.has(`g-${id}`);
  }

  /** Whether the document cache holds the document at `path` by its content id (its text is then known). */
  private fromCache(path: string): boolean {
    if (!isYamlPath(path)) return false;
    const id = this.source.contentId?.(path);
    const data = id === undefined ? undefined : this.cache?.get(`g-${id}`);
    const entry = data === undefined ? undefined : readEntry(data);
    if (!entry) return false;
    this.entries.set(path, entry);
    this.texts.set(path, entry.text);
    return true;
  }

  /** A file's text, read once (not parsed). Undefined when the file does not exist. */
  text(path: string): string | undefined {
    const hit = this.texts.get(path);
    if (hit !== undefined) return hit ?? undefined;
    if (this.cache && this.fromCache(path)) return this.texts.get(path)!;
    const bytes = this.source.read(path);
    const text = bytes === undefined ? undefined : decoder.decode(bytes);
    this.texts.set(path, text ?? null);
    return text;
  }

  /**
   * Everything a target's render is made from, as (name, content) parts in
   * chain order, without parsing: repo settings, every document of every
   * layer, and each overlay file with its mode. Equal parts give equal
   * outputs, so a hash of them keys the rendered outputs between runs.
   */
  chainParts(t: Target): Array<readonly [string, string | Uint8Array]> {
    const parts: Array<readonly [string, string | Uint8Array]> = [['claude-env.yml', this.text('claude-env.yml') ?? '']];
    for (const [layer, id] of chainLayers(t)) {
      const { docs, folder } = this.layerPaths(layer, id);
      this.prefetch(docs);
      for (const path of docs) {
        const text = this.text(path);
        if (text !== undefined) parts.push([path, text]);
      }
      if (folder === undefined) continue;
      const overlay = this.hasSubdir(folder, 'files') ? this.source.list(`${folder}/files`) : [];
      for (const path of overlay) parts.push([`${path}\0${this.source.mode(path) & 0o111 ? 'x' : '-'}`, this.readFile(path)]);
    }
    // What the source refused is in no part: a chain that needs it must fail here, not be found in a cache.
    for (const [layer, id] of chainLayers(t)) this.checkRefused(layer, id);
    return parts;
  }

  /** Entries the source refused (symlinks, paths that are not plain) that `needed` picks, as error findings. */
  refusedUnder(needed: (path: string) => boolean): Finding[] {
    const all = this.source.refused?.() ?? [];
    return all.length === 0 ? [] : all.filter((e) => needed(e.path)).map(refusedFinding);
  }

  /**
   * Throws the findings of the refused entries a layer would read: the layer
   * folder or a folder above it, one of its documents, anything of its
   * `files/` overlay. A working tree learns of its links as it is read, so
   * this runs after the layer's files were listed and read.
   */
  private checkRefused(layer: LayerName, id: LayerId): void {
    if (!this.source.refused || this.source.refused().length === 0) return;
    const above = (p: string, path: string): boolean => p === path || path.startsWith(`${p}/`);
    let needed: (p: string) => boolean;
    if (layer === 'environment-team') {
      const doc = `environments/${id.env}/teams.yml`;
      needed = (p) => above(p, doc);
    } else {
      const name = layer === 'environment' ? id.env : layer === 'team' ? id.team : layer === 'project' ? id.project : id.user;
      const folder = layerFolder(layer, name)!;
      const docs = layer === 'base' ? ['base/config.yml', 'base/mcp', 'base/personas', 'base/security'] : (LAYER_DOCUMENTS[layer] ?? []).map((n) => `${folder}/${n}`);
      needed = (p) => above(p, folder) || above(`${folder}/files`, p) || docs.some((d) => above(d, p) || above(p, d));
    }
    const found = this.refusedUnder(needed);
    if (found.length > 0) throw chainErrorToThrow(found);
  }

  /**
   * The files of a layer that a merge reads: its documents (only those that
   * can hold one of `sections`, when given) and its `files/` overlay (unless
   * `sections` leaves `files` out). What to prefetch for a chain.
   */
  layerFiles(layer: LayerName, id: LayerId, sections?: ReadonlySet<string>): string[] {
    const { docs, folder } = this.layerPaths(layer, id);
    const out = sections === undefined ? docs : docs.filter((p) => canHold(p, (s) => sections.has(s)));
    if (folder !== undefined && (sections === undefined || sections.has('files')) && this.hasSubdir(folder, 'files')) out.push(...this.source.list(`${folder}/files`));
    return out;
  }

  /** The document paths of a layer (those that may exist), and its folder for the `files/` overlay. */
  private layerPaths(layer: LayerName, id: LayerId, section?: string): { docs: string[]; folder?: string } {
    if (layer === 'environment-team') return { docs: [`environments/${id.env}/teams.yml`] };
    const name = layer === 'environment' ? id.env : layer === 'team' ? id.team : layer === 'project' ? id.project : id.user;
    if (layer !== 'base' && !this.hasFolder(layer, name!)) return { docs: [] };
    const folder = layerFolder(layer, name)!;
    const all = layer === 'base' ? this.baseDocuments() : (LAYER_DOCUMENTS[layer] ?? []).map((n) => `${folder}/${n}`);
    const docs = section === undefined ? all : all.filter((p) => canHold(p, (s) => s === section));
    return { docs, folder };
  }

  /** Compiled artefacts (such as glob regular expressions) kept in the document cache, keyed by what they were made from. */
  get artifactCache(): { get(key: string): string | undefined; set(key: string, value: string): void } | undefined {
    const cache = this.cache;
    if (!cache) return undefined;
    return { get: (key) => cache.get(`a-${cacheKey(key)}`), set: (key, value) => cache.set(`a-${cacheKey(key)}`, value) };
  }

  /** Parse a document's text, through the document cache when there is one. */
  private parse(text: string, file: RepoPath, layer: LayerName): ParsedYaml {
    if (!this.shared) return this.parseCached(text, file, layer);
    const key = `${file}\0${text}`;
    let parsed = this.shared.get(key);
    if (!parsed) {
      parsed = this.parseCached(text, file, layer);
      this.shared.set(key, parsed);
    }
    return parsed;
  }

  private parseCached(text: string, file: RepoPath, layer: LayerName): ParsedYaml {
    if (!this.cache) return parseYaml(text, file, layer, this.yaml);
    const found = this.entries.get(file);
    const own = found && found.text === text ? decodeEntry(found, file, layer) : undefined;
    if (own) return own;
    const key = cacheKey(text);
    const hit = this.cache.get(key);
    const decoded = hit === undefined ? undefined : decodeParsed(hit, text, file, layer);
    const id = this.source.contentId?.(file);
    if (decoded) {
      // Found by text: kept by content id too, so that the next run need not read the file at all.
      if (id !== undefined) this.cache.set(`g-${id}`, hit!);
      return decoded;
    }
    const parsed = parseYaml(text, file, layer, this.yaml);
    // A document past its size bound is not kept: the entry would hold all its text.
    if (parsed.findings.some((f) => f.rule === 'document-too-large')) return parsed;
    const data = encodeParsed(parsed, text);
    this.cache.set(key, data);
    if (id !== undefined) this.cache.set(`g-${id}`, data);
    return parsed;
  }

  private fileList: readonly string[] | undefined;

  /** Every file of the repo (listed once), in path order. */
  files(): readonly string[] {
    return (this.fileList ??= this.source.list(''));
  }

  /** Every YAML document of the repo, in path order. */
  allDocuments(onProgress?: (done: number, total: number) => void): RepoDocument[] {
    const paths = this.files().filter(isYamlPath);
    this.prefetch(paths);
    return paths
      .map((p, i) => {
        const d = this.document(p);
        onProgress?.(i + 1, paths.length);
        return d;
      })
      .filter((d): d is RepoDocument => d !== undefined);
  }

  subdirs(dir: string): string[] {
    let names = this.dirs.get(dir);
    if (!names) {
      names = this.source.listDirs(dir);
      this.dirs.set(dir, names);
    }
    return names;
  }

  get settings(): RepoSettings {
    if (this.settingsCache) return this.settingsCache;
    const doc = this.document('claude-env.yml')!;
    const raw = (isMap(doc.value) ? (toPlain(doc.value) as Record<string, unknown>) : {}) ?? {};
    const envs = Array.isArray(raw['environments']) && raw['environments'].every((e) => typeof e === 'string') ? (raw['environments'] as string[]) : DEFAULT_ENVIRONMENTS;
    const merge = raw['merge'];
    const arrays = isPlainObject(merge) && isPlainObject(merge['arrays']) ? Object.entries(merge['arrays']) : [];
    this.settingsCache = { environments: envs, arrayRules: arrays, raw };
    return this.settingsCache;
  }

  teams(): string[] {
    return this.subdirs('teams');
  }
  projects(): string[] {
    return this.subdirs('projects');
  }
  /** Users with a shared user layer folder (`users/<user>/`). */
  userFolders(): string[] {
    return this.subdirs('users');
  }

  members(team: string): readonly Member[] {
    const hit = this.memberCache.get(team);
    if (hit) return hit;
    const path = `teams/${team}/members.yml`;
    // Between runs the member list is kept in the artefact cache, keyed by the file's content id (a git blob id) where
    // the source has one, else by its text: a one-target command need not decode the document, nor read it from git.
    const store = this.artifactCache;
    const id = store ? this.source.contentId?.(path) : undefined;
    const text = store && id === undefined ? this.text(path) : undefined;
    const key = id !== undefined ? `members\0${team}\0blob ${id}` : text === undefined ? undefined : `members\0${team}\0${text}`;
    if (store && key !== undefined) {
      const cached = store.get(key);
      if (cached !== undefined) {
        try {
          const entry = JSON.parse(cached) as { key: string; members: Member[] };
          if (entry.key === key) {
            this.memberCache.set(team, entry.members);
            return entry.members;
          }
        } catch {
          /* a damaged entry is a miss */
        }
      }
    }
    const out = this.readMembers(team, path);
    if (store && key !== undefined && !this.document(path)?.findings.some((f) => f.severity === 'error')) store.set(key, JSON.stringify({ key, members: out }));
    this.memberCache.set(team, out);
    return out;
  }

  private readMembers(team: string, path: string): Member[] {
    const doc = this.document(path);
    const out: Member[] = [];
    if (doc && Array.isArray(doc.value)) {
      const items = doc.value;
      items.forEach((item, i) => {
        if (!isMap(item)) return;
        const m = item as Record<string, unknown>;
        if (typeof m['user'] !== 'string') return;
        const projects = Array.isArray(m['projects']) ? (m['projects'] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
        const origin = originOfItem(items, i, doc.path);
        out.push({ user: m['user'], role: typeof m['role'] === 'string' ? m['role'] : '', projects, team, origin });
      });
    }
    return out;
  }

  /** The teams a user is a member of. Reads every team's members.yml. */
  teamsOf(user: string): string[] {
    return this.teams().filter((t) => this.members(t).some((m) => m.user === user));
  }

  /**
   * Check a target against the repo and fill in what can be derived: the team
   * of a user who is in exactly one team. Unknown names are usage errors that
   * say what exists.
   */
  resolveTarget(t: Partial<Target>): Target {
    const envs = this.settings.environments;
    if (!t.env) throw new ClaudeEnvError('unknown-target', 'no environment given', { hint: `pass --env (one of: ${listNames(envs)}) or set the machine identity` });
    if (!envs.includes(t.env)) throw new ClaudeEnvError('unknown-target', `unknown environment "${t.env}"`, { hint: `environments: ${listNames(envs)}` });
    let team = t.team;
    if (team !== undefined && !this.hasSubdir('teams', team)) {
      this.throwIfRefused(`teams/${team}`);
      throw new ClaudeEnvError('unknown-target', `unknown team "${team}"`, { hint: `teams: ${listNames(this.teams())}` });
    }
    if (t.user !== undefined) {
      // A user is found in the members lists: one the source refused (a link) is that finding, not "unknown user".
      const membersRefused = (): void => {
        const found = this.refusedUnder((p) => p === 'teams' || (p.startsWith('teams/') && (p.endsWith('/members.yml') || p.indexOf('/', 6) < 0)));
        if (found.length > 0) throw chainErrorToThrow(found);
      };
      if (team === undefined) {
        const teams = this.teamsOf(t.user);
        if (teams.length === 0) membersRefused();
        if (teams.length === 0) throw new ClaudeEnvError('unknown-target', `unknown user "${t.user}": not a member of any team`, { hint: 'members are listed in teams/<team>/members.yml' });
        if (teams.length > 1) throw new ClaudeEnvError('unknown-target', `user "${t.user}" is in several teams; pass --team`, { hint: `teams: ${listNames(teams)}` });
        team = teams[0]!;
      } else if (!this.members(team).some((m) => m.user === t.user)) {
        membersRefused();
        throw new ClaudeEnvError('unknown-target', `unknown user "${t.user}" in team "${team}"`, {
          hint: `members of ${team}: ${listNames(this.members(team).map((m) => m.user))}`,
        });
      }
    }
    if (t.project !== undefined && !this.hasSubdir('projects', t.project)) {
      this.throwIfRefused(`projects/${t.project}`);
      throw new ClaudeEnvError('unknown-target', `unknown project "${t.project}"`, { hint: `projects: ${listNames(this.projects())}` });
    }
    const out: Target = { env: t.env };
    if (team !== undefined) out.team = team;
    if (t.project !== undefined) out.project = t.project;
    if (t.user !== undefined) out.user = t.user;
    return out;
  }

  /** A layer folder that looks missing because the source refused it (a link, a name that is not plain): that finding, not "unknown". */
  private throwIfRefused(folder: string): void {
    const found = this.refusedUnder((p) => p === folder || folder.startsWith(`${p}/`));
    if (found.length > 0) throw chainErrorToThrow(found);
  }

  /**
   * The repo's targets (SPEC.md): for each environment, each member of each
   * team with each project assigned to them, or with no project when none is.
   */
  targets(filter: { env?: string; team?: string } = {}): Target[] {
    const out: Target[] = [];
    const envs = filter.env ? [filter.env] : this.settings.environments;
    const teams = filter.team ? [filter.team] : this.teams();
    for (const env of envs) {
      for (const team of teams) {
        for (const m of this.members(team)) {
          if (m.projects.length === 0) out.push({ env, team, user: m.user });
          for (const project of m.projects) out.push({ env, team, project, user: m.user });
        }
      }
    }
    return out;
  }

  /** The documents of a layer, each placed at the root, in merge order. */
  /**
   * With `section`, only the documents that can hold that top-level section
   * (root-shaped ones, and those placed at it): explaining `settings.model`
   * need not read the MCP server, persona or security documents.
   */
  layerDocuments(layer: LayerName, id: LayerId, section?: string): LayerDocument[] {
    const out: LayerDocument[] = [];
    if (layer === 'environment-team') {
      const path = `environments/${id.env}/teams.yml`;
      const key = `${path}#${id.team}`;
      if (!this.placed.has(key)) {
        const doc = this.document(path);
        const entry = doc && isMap(doc.value) ? (doc.value as LayerMap)[id.team!] : undefined;
        this.placed.set(key, isMap(entry) ? (entry as LayerMap) : undefined);
      }
      if (this.document(path)) out.push({ layer, file: path as RepoPath, root: this.placed.get(key) });
      this.checkRefused(layer, id);
      return out;
    }
    const { docs: names, folder } = this.layerPaths(layer, id, section);
    if (folder === undefined) {
      this.checkRefused(layer, id);
      return out;
    }
    this.prefetch(names);
    for (const path of names) {
      const doc = this.document(path);
      if (!doc) continue;
      out.push({ layer, file: doc.path, root: this.placedRoot(doc) });
    }
    const files = section === undefined || section === 'files' ? this.filesDocument(layer, folder) : undefined;
    if (files) out.push(files);
    this.checkRefused(layer, id);
    return out;
  }

  private readonly folderSets = new Map<string, Set<string>>();
  private readonly folderLookups = new Map<string, number>();

  /**
   * Whether `parent/name` is a folder. A few lookups ask the source one by one
   * (a one-target command need not list 20,000 user folders); past that, one
   * listing of the parent answers the rest (render --all, validate).
   */
  hasSubdir(parent: string, name: string): boolean {
    let set = this.folderSets.get(parent);
    if (!set) {
      const n = (this.folderLookups.get(parent) ?? 0) + 1;
      this.folderLookups.set(parent, n);
      if ((n <= 16 || this.source.indexed) && this.source.isDir) return !name.includes('/') && name !== '' && name !== '.' && name !== '..' && this.source.isDir(`${parent}/${name}`);
      set = new Set(this.subdirs(parent));
      this.folderSets.set(parent, set);
    }
    return set.has(name);
  }

  private hasFolder(layer: LayerName, name: string): boolean {
    return this.hasSubdir(layer === 'environment' ? 'environments' : layer === 'team' ? 'teams' : layer === 'project' ? 'projects' : 'users', name);
  }

  private baseDocuments(): string[] {
    const paths = this.source.list('base').filter((p) => p.endsWith('.yml'));
    const rank = (p: string): number => (p === 'base/config.yml' ? 0 : p.startsWith('base/mcp/') ? 1 : p.startsWith('base/personas/') ? 2 : p.startsWith('base/security/') ? 3 : 9);
    return paths.filter((p) => rank(p) < 9 && p.split('/').length <= 3).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  }

  /** A document's tree placed at its section of the merged tree. */
  private placedRoot(doc: RepoDocument): LayerMap | undefined {
    if (this.placed.has(doc.path)) return this.placed.get(doc.path);
    let root: LayerMap | undefined;
    const v = doc.value;
    if (isMap(v)) {
      root = v as LayerMap;
      const self = doc.rootOrigin;
      for (let i = doc.place.section.length - 1; i >= 0; i--) {
        const wrap: LayerMap = { [doc.place.section[i]!]: root };
        root = setOrigins(Object.freeze(wrap), { self, keys: Object.freeze({ [doc.place.section[i]!]: self }) });
      }
    }
    this.placed.set(doc.path, root);
    return root;
  }

  /** Overlay files whose paths cannot be written (paths.ts `overlayPathProblem`), by the key of their `files/` document: errors of any chain that holds them. */
  private readonly overlayProblems = new Map<string, Finding[]>();

  /** The `files/` overlay of a layer folder as a document `{files: {<path under .claude>: <repo path>}}`. */
  private filesDocument(layer: LayerName, folder: string): LayerDocument | undefined {
    const key = `${folder}/files/`;
    if (!this.placed.has(key)) {
      const paths = this.hasSubdir(folder, 'files') ? this.source.list(`${folder}/files`) : [];
      let root: LayerMap | undefined;
      const problems: Finding[] = [];
      if (paths.length > 0) {
        const files: Record<string, string> = {};
        const keys: Record<string, Origin> = {};
        for (const p of paths) {
          const target = p.slice(key.length);
          const problem = overlayFinding(p, target);
          if (problem) {
            problems.push(problem);
            continue;
          }
          files[target] = p;
          keys[target] = { layer, file: p as RepoPath, line: 1, column: 1 };
        }
        const self: Origin = { layer, file: key as RepoPath, line: 1, column: 1 };
        const inner = setOrigins(Object.freeze(files), { self, keys: Object.freeze(keys) });
        root = setOrigins(Object.freeze({ files: inner }), { self, keys: Object.freeze({ files: self }) });
      }
      this.placed.set(key, root);
      if (problems.length > 0) this.overlayProblems.set(key, problems);
    }
    if (this.overlayProblems.has(key)) return { layer, file: key as RepoPath, root: this.placed.get(key) };
    const root = this.placed.get(key);
    return root ? { layer, file: key as RepoPath, root } : undefined;
  }

  /** The full chain of documents for a target, lowest priority first. */
  chain(t: Target): LayerDocument[] {
    return chainLayers(t).flatMap(([layer, id]) => this.layerDocuments(layer, id));
  }

  /** Errors in the documents of a chain: render refuses to go on with them. */
  chainErrors(chain: readonly LayerDocument[]): Finding[] {
    const seen = new Set<string>();
    const out: Finding[] = [];
    for (const l of chain) {
      if (seen.has(l.file)) continue;
      seen.add(l.file);
      if (l.file.endsWith('/')) {
        out.push(...(this.overlayProblems.get(l.file) ?? []));
        continue;
      }
      for (const f of this.document(l.file)?.findings ?? []) if (f.severity === 'error') out.push(f);
    }
    for (const f of this.document('claude-env.yml')?.findings ?? []) if (f.severity === 'error') out.push(f);
    return out;
  }

  /** Read a repo file as bytes (files/ overlays). */
  readFile(path: string): Uint8Array {
    const b = this.source.read(path);
    if (b === undefined) throw unreadable(path, new Error('ENOENT'));
    return b;
  }
}

/** A refused entry of the repo as an error finding at its path (escaped: a name never reaches a terminal raw). */
export function refusedFinding(e: RefusedEntry): Finding {
  return { rule: e.rule, severity: 'error', file: shownPath(e.path), line: 1, column: 1, message: e.message };
}

function originOfItem(items: readonly LayerValue[], i: number, file: RepoPath): Origin {
  return originAt(items as object, i) ?? { layer: 'base', file, line: 1, column: 1 };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A render cannot go on with errors in its documents: the first one, with a count of the rest. */
export function chainErrorToThrow(errors: readonly Finding[]): ClaudeEnvError {
  const f = errors[0]!;
  return new ClaudeEnvError(f.rule, f.message, {
    file: f.file,
    line: f.line,
    column: f.column,
    hint: errors.length > 1 ? `${errors.length - 1} more error(s); run \`claude-env validate\` for all` : 'run `claude-env validate` for all findings',
  });
}
