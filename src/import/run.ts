/**
 * `claude-env import`: a machine's Claude Code setup (a home, a project) as
 * a layer of the config repo, proved by rendering it back.
 *   1. Read the setup (import/home.ts): settings, MCP servers, the person's
 *      CLAUDE.md text, the files a layer's `files/` carries.
 *   2. What the layers below the chosen one give the target: the repo at
 *      HEAD with that layer's documents emptied, merged and rendered.
 *   3. The smallest layer over it (import/layer.ts), secret values as
 *      `!secret env:NAME` (secretlint's hits, credential-named variables,
 *      auth headers), files only where the layers below do not already
 *      render the same bytes.
 *   4. One commit over HEAD with the layer's documents (the working tree,
 *      index and current branch untouched), rendered for the target: every
 *      settings key, every MCP server entry and every file is compared with
 *      the machine's; what differs is listed, never hidden.
 *   5. Unless `--dry-run`: validated as `validate` does, then the branch
 *      `import/<kind>-<name>` at it (a failure leaves no branch).
 */
import { ClaudeEnvError, positionAt } from '../errors.js';
import { mergeTarget, mergerFor } from '../merge/target.js';
import type { StrategyLookup } from '../merge/strategy.js';
import { SecretValue, toPlain, type Value } from '../provenance/tree.js';
import { Repo } from '../repo/repo.js';
import { checkIdentityName } from '../repo/names.js';
import { repoEntryProblem, segmentProblem } from '../paths.js';
import { PACKAGE_YAML } from '../repo/yaml.js';
import { renderTarget } from '../render/index.js';
import { mcpEntries, type Output } from '../render/outputs.js';
import { gitSource } from '../blocking/sources.js';
import { branchExists, commitOver, createBranch, type CommitFile } from '../system/git-commit.js';
import { resolveCommit } from '../system/git-changes.js';
import { globRegex } from '../validate/policy.js';
import { validateRepo } from '../validate/index.js';
import type { SecretScanner } from '../validate/rule.js';
import type { Target } from '../vocabulary.js';
import { readHome, readProject, type FoundFile, type FoundSetup, type Skipped } from './home.js';
import { DELETE_MARK, KEEP_MARK, isRuleSet, isObj, mapStrings, minimalOver, same, secretNameOf, secretRef, secretSpots, underneath, withSecretRefs, type Plain } from './layer.js';
import { encrypt } from '../secrets/age.js';
import { ageRecipients } from '../repo/settings.js';

export type IntoKind = 'user' | 'team' | 'project' | 'base';

export interface ImportRequest {
  /** The config repo's working tree (HEAD is read; nothing in the tree is touched). */
  readonly dir: string;
  readonly fromHome?: string;
  readonly fromProject?: string;
  readonly into: { readonly kind: IntoKind; readonly name: string };
  /** The target the layer is proved for (default: the first environment; the user's team from members.yml). */
  readonly env?: string;
  readonly team?: string;
  readonly project?: string;
  readonly dryRun: boolean;
  readonly scanner: SecretScanner;
  readonly gitEnv: NodeJS.ProcessEnv;
  /** Secrets as `!encrypted` values for the age recipients of claude-env.yml, not `!secret env:` references. */
  readonly encrypt?: boolean;
}

export interface ProofItem {
  readonly kind: 'settings' | 'mcp-server' | 'file';
  readonly path: string;
  readonly equal: boolean;
}

export interface Imported {
  readonly into: string;
  readonly target: Target;
  /** The layer's documents (YAML text) and files, as committed. */
  readonly documents: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  readonly files: ReadonlyArray<{ readonly path: string; readonly mode: number; readonly bytes: number }>;
  /** Environment variables the machines need: the secrets, by name, and where each was found. */
  readonly secrets: ReadonlyArray<{ readonly name: string; readonly at: string; readonly inherited?: boolean }>;
  /** What the layer cannot say, and what was not imported: with why. */
  readonly notExpressed: readonly Skipped[];
  readonly skipped: readonly Skipped[];
  readonly proof: { readonly equal: boolean; readonly checked: number; readonly differing: readonly ProofItem[] };
  readonly commit: string;
  readonly base: string;
  /** Set unless --dry-run. */
  readonly branch?: string;
}

/**
 * Where each kind of layer keeps its root-shaped document and its files, and
 * its MCP servers when they are documents of their own: a team's
 * mcp-preferences.yml, the base's one file per server under base/mcp/.
 */
function layerPlace(into: ImportRequest['into']): { root: string; servers?: string; serverDir?: string; files: string } {
  switch (into.kind) {
    case 'base':
      return { root: 'base/config.yml', serverDir: 'base/mcp', files: 'base/files' };
    case 'user':
      return { root: `users/${into.name}/overrides.yml`, files: `users/${into.name}/files` };
    case 'team':
      return { root: `teams/${into.name}/base-config.yml`, servers: `teams/${into.name}/mcp-preferences.yml`, files: `teams/${into.name}/files` };
    case 'project':
      return { root: `projects/${into.name}/claude-config.yml`, files: `projects/${into.name}/files` };
  }
}

/** The sections an import writes in a root-shaped document; its other sections (personas, workflows…) stay as they are. */
const IMPORTED_KEYS = ['settings', 'mcpServers', 'instructions'];

/**
 * YAML of a layer document: `value`'s sections set over the existing text's
 * (comments and other sections kept; the imported sections replaced, or
 * removed where `value` has none), `«secret:env:X»` as `!secret env:X`, the
 * delete mark as `!delete`. Without `keys`, the whole document is `value`.
 */
function yamlOf(value: Record<string, Plain>, header: string, existing?: string, keys: readonly string[] = IMPORTED_KEYS, armored: ReadonlyMap<string, string> = new Map()): string {
  const Y = PACKAGE_YAML.lib();
  const parsed = existing === undefined ? undefined : Y.parseDocument(existing);
  const keep = parsed !== undefined && parsed.errors.length === 0 && Y.isMap(parsed.contents);
  const doc = keep ? parsed! : new Y.Document({});
  if (!keep) doc.contents = doc.createNode({});
  // Key by key: what is already as it should be stays as the document has it, comments included.
  for (const k of keys) if (!Object.hasOwn(value, k)) doc.delete(k);
  for (const [k, v] of Object.entries(value)) setIn(doc, [k], v);
  tagSecrets(doc, armored);
  const empty = Y.isMap(doc.contents) && doc.contents.items.length === 0;
  if (empty) return `${keep ? (existing!.match(/^(#.*\n)+/)?.[0] ?? header) : header}{}\n`;
  const body = doc.toString({ lineWidth: 0 });
  return keep ? body : `${header}${body}`;
}

/**
 * `value` at `path` of a YAML document, changing only what differs: a map is
 * set key by key (keys it lacks go), a value equal to what is there stays,
 * node and comments; `KEEP_MARK` leaves whatever is there.
 */
function setIn(doc: import('yaml').Document, path: readonly string[], value: Plain): void {
  const Y = PACKAGE_YAML.lib();
  if (value === KEEP_MARK) return;
  const node = doc.getIn(path, true);
  if (isObj(value) && Y.isMap(node)) {
    for (const item of [...node.items]) {
      const k = Y.isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!Object.hasOwn(value, k)) doc.deleteIn([...path, k]);
    }
    for (const [k, v] of Object.entries(value)) setIn(doc, [...path, k], v);
    return;
  }
  const plainNode = node === undefined ? undefined : Y.isNode(node) ? (node.toJSON() as unknown) : node;
  if (node !== undefined && !(Y.isNode(node) && node.tag !== undefined) && same(plainNode, value)) return;
  doc.setIn(path, doc.createNode(withoutKeep(value)));
}

/** A value with the places the base keeps taken out (nothing is there to keep in a new node). */
function withoutKeep(v: Plain): Plain {
  if (Array.isArray(v)) return v.map(withoutKeep);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== KEEP_MARK).map(([k, x]) => [k, withoutKeep(x)]));
  return v;
}

/** A document's `«secret:env:X»` strings as `!secret env:X` (or their `!encrypted` text), the delete mark as `!delete`. */
function tagSecrets(doc: import('yaml').Document, armored: ReadonlyMap<string, string>): void {
  const Y = PACKAGE_YAML.lib();
  Y.visit(doc, {
    Scalar(_k, n) {
      if (typeof n.value !== 'string') return;
      const name = secretNameOf(n.value);
      const age = armored.get(n.value);
      if (age !== undefined) {
        n.value = age;
        n.tag = '!encrypted';
        n.type = 'BLOCK_LITERAL';
      } else if (name !== undefined) {
        n.value = `env:${name}`;
        n.tag = '!secret';
      } else if (n.value === DELETE_MARK) {
        n.value = '';
        n.tag = '!delete';
      }
    },
  });
}

/**
 * A one-server document edited key by key: each key of `entry` whose value
 * differs is set, `drop`'s keys go, everything else (comments, claude-env's
 * own keys such as `expect`, key order) stays as the repo has it.
 */
function editedServer(existing: string | undefined, entry: Record<string, Plain>, drop: readonly string[], header: string, armored: ReadonlyMap<string, string>): string {
  const Y = PACKAGE_YAML.lib();
  const parsed = existing === undefined ? undefined : Y.parseDocument(existing);
  const doc = parsed !== undefined && parsed.errors.length === 0 && Y.isMap(parsed.contents) ? parsed : new Y.Document({});
  const fresh = doc !== parsed;
  for (const k of drop) doc.delete(k);
  for (const [k, v] of Object.entries(entry)) setIn(doc, [k], v);
  tagSecrets(doc, armored);
  const body = doc.toString({ lineWidth: 0 });
  return fresh ? `${header}${body}` : body;
}

const plain = (v: Value | undefined): Plain | undefined => (v === undefined ? undefined : (toPlain(v) as Plain));

function targetOf(repo: Repo, req: ImportRequest): Target {
  const env = req.env ?? repo.settings.environments[0];
  if (env === undefined) throw new ClaudeEnvError('usage', 'claude-env.yml names no environment: pass --env');
  const { kind, name } = req.into;
  if (kind === 'user') return repo.resolveTarget({ env, user: name, ...(req.team ? { team: req.team } : {}), ...(req.project ? { project: req.project } : {}) });
  if (kind === 'team') return repo.resolveTarget({ env, team: name, ...(req.project ? { project: req.project } : {}) });
  if (kind === 'base') return repo.resolveTarget({ env, ...(req.team ? { team: req.team } : {}), ...(req.project ? { project: req.project } : {}) });
  return repo.resolveTarget({ env, project: name, ...(req.team ? { team: req.team } : {}) });
}

/** The setup to import: a home, a project, or both (the project's on top, as Claude Code reads them). */
function found(req: ImportRequest): FoundSetup {
  if (!req.fromHome && !req.fromProject) throw new ClaudeEnvError('usage', 'import needs --from-home DIR or --from-project DIR');
  const home = req.fromHome ? readHome(req.fromHome) : undefined;
  const project = req.fromProject ? readProject(req.fromProject) : undefined;
  if (!home) return project!;
  if (!project) return home;
  const settings = { ...(home.settings ?? {}), ...(project.settings ?? {}) };
  const servers = { ...(home.mcpServers ?? {}), ...(project.mcpServers ?? {}) };
  const byPath = new Map<string, FoundFile>();
  for (const f of [...home.files, ...project.files]) byPath.set(f.path, f);
  const instructions = [home.instructions, project.instructions].filter(Boolean).join('\n\n');
  return {
    from: `${home.from} + ${project.from}`,
    ...(home.settings || project.settings ? { settings } : {}),
    ...(home.mcpServers || project.mcpServers ? { mcpServers: servers } : {}),
    ...(instructions ? { instructions } : {}),
    files: [...byPath.values()],
    skipped: [...home.skipped, ...project.skipped.map((s) => ({ ...s, path: `project:${s.path}` }))],
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });
function contentOf(f: FoundFile): { content: string; encoding: 'utf8' | 'base64' } {
  try {
    return { content: decoder.decode(f.bytes), encoding: 'utf8' };
  } catch {
    return { content: Buffer.from(f.bytes).toString('base64'), encoding: 'base64' };
  }
}
const sameOutput = (o: Output | undefined, f: FoundFile): boolean => {
  if (!o) return false;
  const c = contentOf(f);
  return o.encoding === c.encoding && o.content === c.content && o.mode === f.mode;
};

interface Context {
  readonly dir: string;
  readonly scanner: SecretScanner;
  readonly gitEnv: NodeJS.ProcessEnv;
  readonly encrypt?: boolean;
}

/** One layer computed over a commit: its documents and files, and what the proof compares. */
interface Layer {
  readonly documents: Array<{ path: string; content: string }>;
  readonly files: CommitFile[];
  readonly fileViews: Imported['files'];
  readonly secrets: Imported['secrets'];
  readonly notes: Skipped[];
  /** The setup as the target should render it (secrets as references). */
  readonly want: Record<string, Plain>;
}

/** Steps 2 and 3 over `parent`: the smallest layer at `place` that gives `target` the setup. */
async function layerOver(ctx: Context, parent: string, target: Target, into: ImportRequest['into'], setup: FoundSetup, partial = false): Promise<Layer> {
  const repo = new Repo(gitSource(ctx.dir, parent, { resolved: true }));
  const place = layerPlace(into);
  // 2. The layers below: this layer without what the import writes (its other sections, such as personas, stay).
  const existingRoot = repo.text(place.root);
  // The base's servers are a file each: the layers below have none of them.
  const serverFiles = place.serverDir === undefined ? [] : repo.source.list(place.serverDir).filter((p) => /\.ya?ml$/.test(p));
  const emptied: CommitFile[] = [
    { path: place.root, content: yamlOf({}, '', existingRoot) },
    ...(place.servers ? [{ path: place.servers, content: '{}\n' }] : []),
    ...serverFiles.map((path) => ({ path, content: null })),
  ];
  const belowCommit = await commitOver(ctx.dir, parent, emptied, 'claude-env import: the layers below', ctx.gitEnv);
  const belowRepo = new Repo(gitSource(ctx.dir, belowCommit, { resolved: true }));
  const below = mergeTarget(belowRepo, target).tree;
  const belowOutputs = new Map(renderTarget(belowRepo, target).outputs.map((o) => [o.path as string, o]));

  // 3. Secrets as references, then the smallest layer.
  const credentialGlobs = (() => {
    const sec = plain(below['security']);
    const env = isObj(sec) ? sec['env'] : undefined;
    const list = isObj(env) && Array.isArray(env['credential_patterns']) ? env['credential_patterns'].filter((x): x is string => typeof x === 'string') : ['*_TOKEN', '*_SECRET', '*_PASSWORD', '*_API_KEY', '*_PRIVATE_KEY'];
    return list.map((g) => globRegex(g, 'i'));
  })();
  const wantRaw: Record<string, Plain> = {
    ...(setup.settings ? { settings: setup.settings as Plain } : {}),
    ...(setup.mcpServers ? { mcpServers: setup.mcpServers as Plain } : {}),
  };
  const spots = secretSpots(wantRaw, (n) => credentialGlobs.some((r) => r.test(n)));
  const hits = new Set((await ctx.scanner(spots.map((sp, i) => ({ id: String(i), path: 'import.env', text: sp.value })))).map((h) => Number(h.id)));
  const belowPlain = { settings: plain(below['settings']), mcpServers: plain(below['mcpServers']) } as Record<string, Plain | undefined>;
  // The repo as it is (this layer too): a secret it already references at the same place keeps its name.
  const head = mergeTarget(repo, target).tree;
  const headPlain = { settings: plain(head['settings']), mcpServers: plain(head['mcpServers']) } as Record<string, Plain | undefined>;
  const inherited = (path: readonly string[]): string | undefined => {
    const at = (tree: Record<string, Plain | undefined>): Plain | undefined => {
      let v: Plain | undefined = tree[path[0]!];
      for (const k of path.slice(1)) v = isObj(v) ? v[k] : undefined;
      return v;
    };
    return secretNameOf(at(belowPlain)) ?? secretNameOf(at(headPlain));
  };
  const refs = withSecretRefs(wantRaw, spots.filter((sp, i) => sp.named || hits.has(i) || inherited(sp.path) !== undefined), inherited);
  const { secrets } = refs;
  let want = refs.tree;
  // --encrypt: each new secret as an age value for the repo's recipients (its description is what the target renders).
  const armored = new Map<string, string>();
  if (ctx.encrypt) {
    const recipients = ageRecipients(repo.settings);
    if (recipients.length === 0) throw new ClaudeEnvError('usage', '--encrypt needs the age recipients of claude-env.yml (secrets.age.recipients): nothing was imported');
    const described = new Map<string, string>();
    for (const sec of secrets) {
      if (sec.inherited) continue;
      const value = refs.values.get(sec.name)!;
      const text = (await encrypt(value, recipients)).trim();
      const shown = new SecretValue('age', text).describe();
      described.set(secretRef(sec.name), shown);
      armored.set(shown, `${text}\n`);
    }
    want = mapStrings(want, (v) => described.get(v));
  }

  const notes: Skipped[] = [];
  const merger = mergerFor(repo);
  const arrays: StrategyLookup = (path) => merger.strategyAt(path);
  const layer: Record<string, Plain> = {};
  // The base is under every other layer: what they set wins over it (`underneath`); any other layer is over the ones below.
  const isBase = into.kind === 'base';
  const settings = isBase ? underneath(want['settings'], plain(below['settings']), ['settings'], arrays, notes) : minimalOver(want['settings'], plain(below['settings']) ?? {}, ['settings'], arrays, notes, partial);
  if (settings !== undefined) layer['settings'] = settings;
  // MCP servers against what the layers below render (claude-env's own keys are not written, so not compared).
  const belowServers = plain(below['mcpServers']);
  const rendered = toPlain(mcpEntries(below['mcpServers'])) as Record<string, Plain>;
  const servers: Record<string, Plain> = {};
  const wantServers = isObj(want['mcpServers']) ? want['mcpServers'] : {};
  for (const [server, def] of Object.entries(isBase ? {} : wantServers)) {
    const r = minimalOver(def, rendered[server], ['mcpServers', server], arrays, notes, partial);
    const disabledBelow = isObj(belowServers) && isObj(belowServers[server]) && belowServers[server]['enabled'] === false;
    if (r !== undefined || disabledBelow) servers[server] = { ...(isObj(r) ? r : {}), ...(disabledBelow ? { enabled: true } : {}) };
  }
  if (!partial && !isBase) for (const server of Object.keys(rendered)) if (!(server in wantServers)) servers[server] = { enabled: false };
  // The base defines each server whole, in a document of its own; one the layers above define, the machine lacking it, stays.
  if (isBase) for (const server of Object.keys(rendered)) if (!(server in wantServers)) notes.push({ path: `mcpServers.${server}`, reason: 'the layers above the base define it, and this machine has not: the base cannot take it away' });
  if (Object.keys(servers).length > 0) layer['mcpServers'] = servers;
  // The managed block of CLAUDE.md is what the repo gives (import reads the person's own text outside it): the layer's
  // instructions stay, and the person's text is added where no layer has it yet.
  const given = (v: Plain | undefined): boolean => Array.isArray(v) && v.some((p) => typeof p === 'string' && p.trim() === setup.instructions);
  const own = plain(isObj(repo.document(place.root)?.value) ? (repo.document(place.root)!.value as Record<string, Value>)['instructions'] : undefined);
  if (setup.instructions && !given(plain(below['instructions'])) && !given(own)) layer['instructions'] = [...(Array.isArray(own) ? own : []), `${setup.instructions}\n`];
  else layer['instructions'] = KEEP_MARK;

  // Files: those the layers below do not already render byte for byte. One the layers below render from a persona or
  // workflow (not a files/ overlay), with other bytes, cannot be carried as a file: listed.
  const files = setup.files.filter((f) => {
    const o = belowOutputs.get(`.claude/${f.path}`);
    if (sameOutput(o, f)) return false;
    if (o !== undefined && o.kind !== 'file') {
      notes.push({ path: `.claude/${f.path}`, reason: `the layers below render it from a ${o.kind === 'agent' ? 'persona' : 'workflow'}, and this machine's differs: change that ${o.kind === 'agent' ? 'persona' : 'workflow'} instead` });
      return false;
    }
    return true;
  });

  const header = `# ${place.root}: imported by claude-env import; the smallest layer over the ones below.\n`;
  const documents: Array<{ path: string; content: string }> = [];
  if (place.servers) {
    const { mcpServers, ...root } = layer;
    documents.push({ path: place.root, content: yamlOf(root, header, existingRoot, IMPORTED_KEYS, armored) });
    const own = isObj(mcpServers) ? mcpServers : {};
    documents.push({ path: place.servers, content: yamlOf(own, `# ${place.servers}: MCP servers imported by claude-env import.\n`, undefined, Object.keys(own), armored) });
  } else if (place.serverDir !== undefined) {
    documents.push({ path: place.root, content: yamlOf(layer, header, existingRoot, IMPORTED_KEYS, armored) });
    documents.push(...serverDocuments(repo, place.serverDir, serverFiles, wantServers, toPlain(mcpEntries(head['mcpServers'])) as Record<string, Plain>, armored, notes));
  } else documents.push({ path: place.root, content: yamlOf(layer, header, existingRoot, IMPORTED_KEYS, armored) });
  return {
    documents,
    files: files.map((f) => ({ path: `${place.files}/${f.path}`, content: f.bytes, mode: f.mode })),
    fileViews: files.map((f) => ({ path: `${place.files}/${f.path}`, mode: f.mode, bytes: f.bytes.length })),
    secrets,
    notes,
    want,
  };
}

/** claude-env's own keys of a server document, which a machine's entry never has: kept as the repo has them. */
const SERVER_OWN_KEYS = new Set(['expect']);

/**
 * The base's servers, one document each (`base/mcp/<name>.yml`), against
 * what the repo at HEAD renders for the target (`head`): a server it
 * already renders as the machine has it stays as it is; another one the
 * machine has is set key by key in its document (a new document for a new
 * server); a server of the base the machine lacks gets `enabled: false`.
 */
function serverDocuments(repo: Repo, dir: string, existing: readonly string[], servers: Record<string, Plain>, head: Record<string, Plain>, armored: ReadonlyMap<string, string>, notes: Skipped[]): Array<{ path: string; content: string }> {
  const out: Array<{ path: string; content: string }> = [];
  const byName = new Map(existing.map((p) => [p.slice(dir.length + 1).replace(/\.ya?ml$/, ''), p]));
  for (const [name, def] of Object.entries(servers)) {
    if (same(head[name], def)) continue;
    // The checks the repo's own source makes of every path it reads (paths.ts), and one file, not a folder.
    const problem = name.includes('/') ? 'has a "/"' : (segmentProblem(name) ?? repoEntryProblem(`${dir}/${name}.yml`));
    if (problem !== undefined) {
      notes.push({ path: `mcpServers.${name}`, reason: `the server's name ${problem}, so it cannot be a file of ${dir}/` });
      continue;
    }
    const path = byName.get(name) ?? `${dir}/${name}.yml`;
    const text = repo.text(path);
    const now = text === undefined ? {} : plain((repo.document(path)?.value ?? undefined) as Value | undefined);
    const entry = isObj(def) ? def : {};
    const drop = Object.keys(isObj(now) ? now : {}).filter((k) => !SERVER_OWN_KEYS.has(k) && !Object.hasOwn(entry, k));
    out.push({ path, content: editedServer(text, entry, drop, `# ${path}: imported by claude-env import.\n`, armored) });
  }
  for (const [name, path] of byName) {
    if (Object.hasOwn(servers, name) || !Object.hasOwn(head, name)) continue;
    // A server of the base this machine does not have: kept for the others, off here.
    out.push({ path, content: editedServer(repo.text(path), { enabled: false }, [], '', armored) });
  }
  return out;
}

/** Step 5: validated as `validate` does, then the branch (a failure leaves no branch). */
async function branchAt(ctx: Context, branch: string, commit: string): Promise<void> {
  if (await branchExists(ctx.dir, branch, ctx.gitEnv)) throw new ClaudeEnvError('usage', `the branch ${branch} exists already: delete it or merge it first`);
  const v = await validateRepo(new Repo(gitSource(ctx.dir, commit, { resolved: true })), { secretScanner: ctx.scanner });
  if (v.summary.errors > 0) {
    const first = v.findings.find((f) => f.severity === 'error')!;
    throw new ClaudeEnvError('import-invalid', `the imported layer does not validate (${v.summary.errors} error(s)); first: ${first.file ?? ''}${first.line ? `:${first.line}:${first.column ?? 1}` : ''} ${first.rule} ${first.message}: no branch was made`);
  }
  await createBranch(ctx.dir, branch, commit, ctx.gitEnv);
}

/**
 * Nothing secret is ever written to git, not even as an object no branch
 * holds: the layer's documents (their `!encrypted` values aside) and the
 * text files it carries are scanned before the commit, and a secret found
 * (one outside env and headers, such as a token in a server's args or a
 * hook script) stops the import, naming where it is.
 */
async function refuseSecrets(ctx: Context, layers: readonly Layer[]): Promise<void> {
  const inputs: Array<{ id: string; path: string; text: string }> = [];
  const add = (path: string, text: string): void => void inputs.push({ id: String(inputs.length), path, text });
  for (const layer of layers) {
    for (const d of layer.documents) add(d.path, d.content.replace(/-----BEGIN AGE ENCRYPTED FILE-----[^]*?-----END AGE ENCRYPTED FILE-----/g, (m) => m.replace(/[^\n]/g, ' ')));
    for (const f of layer.files) {
      let text: string;
      try {
        text = decoder.decode(f.content as Uint8Array);
      } catch {
        continue;
      }
      add(f.path, text);
    }
  }
  const [hit] = await ctx.scanner(inputs);
  if (hit === undefined) return;
  const at = inputs[Number(hit.id)]!;
  const { line } = positionAt(at.text, hit.offset);
  throw new ClaudeEnvError('secret-detected', `what would be imported holds a secret (${hit.kind}) at ${at.path}:${line}, outside env and headers where it could become a reference: move it into an environment variable on the machine first; nothing was written`);
}

export async function runImport(req: ImportRequest): Promise<Imported> {
  const { kind, name } = req.into;
  if (kind !== 'base') checkIdentityName(kind, name);
  const setup = found(req);
  const base = await resolveCommit(req.dir, 'HEAD');
  const target = targetOf(new Repo(gitSource(req.dir, base, { resolved: true })), req);
  // A project alone is partial: Claude Code merges it over the user's own settings and servers.
  const partial = req.fromHome === undefined;
  const layer = await layerOver(req, base, target, req.into, setup, partial);
  await refuseSecrets(req, [layer]);
  // 4. The documents, committed over HEAD, and proved.
  const commit = await commitOver(req.dir, base, [...layer.documents, ...layer.files], `claude-env import: ${kind} ${name} from ${setup.from}`, req.gitEnv);
  const proof = prove(renderTarget(new Repo(gitSource(req.dir, commit, { resolved: true })), target).outputs, layer.want, setup.files, partial);
  const result: Imported = { into: kind === 'base' ? 'base' : `${kind}:${name}`, target, documents: layer.documents, files: layer.fileViews, secrets: layer.secrets, notExpressed: layer.notes, skipped: setup.skipped, proof, commit, base };
  if (req.dryRun) return result;
  const branch = kind === 'base' ? 'import/base' : `import/${kind}-${name}`;
  await branchAt(req, branch, commit);
  return { ...result, branch };
}

export interface CommonRequest extends Context {
  /** The homes, one per developer of the team. */
  readonly homes: readonly string[];
  /** Each home's user (default: the name of its folder). */
  readonly users?: readonly string[];
  readonly team: string;
  readonly env?: string;
  readonly dryRun: boolean;
}

export interface CommonImported {
  readonly team: Imported;
  readonly users: readonly Imported[];
  readonly commit: string;
  readonly base: string;
  readonly branch?: string;
}

/** What every setup has: equal values, the common items of unique/append lists, equal servers and files. */
function commonOf(setups: readonly FoundSetup[], strategy: StrategyLookup): FoundSetup {
  const common = (values: ReadonlyArray<Plain | undefined>, path: readonly string[]): Plain | undefined => {
    if (values.some((v) => v === undefined)) return undefined;
    const first = values[0]!;
    if (values.every((v) => same(v, first))) return first;
    if (values.every(isObj)) {
      const out: Record<string, Plain> = {};
      for (const k of Object.keys(first as Record<string, Plain>)) {
        const c = common(values.map((v) => (v as Record<string, Plain>)[k]), [...path, k]);
        if (c !== undefined) out[k] = c;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    if (values.every(Array.isArray)) {
      const s = strategy(path);
      if (s.kind !== 'unique' && s.kind !== 'append') return undefined;
      const items = (first as Plain[]).filter((item) => values.every((v) => (v as Plain[]).some((x) => same(x, item))));
      return items.length === 0 ? undefined : items;
    }
    return undefined;
  };
  const settings = common(setups.map((x) => x.settings as Plain | undefined), ['settings']);
  const servers: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(setups[0]!.mcpServers ?? {})) {
    if (setups.every((x) => x.mcpServers?.[name] !== undefined && same(x.mcpServers[name], def))) servers[name] = def;
  }
  const files = setups[0]!.files.filter((f) => setups.every((x) => x.files.some((g) => g.path === f.path && g.mode === f.mode && Buffer.compare(Buffer.from(g.bytes), Buffer.from(f.bytes)) === 0)));
  const instructions = setups.every((x) => x.instructions === setups[0]!.instructions) ? setups[0]!.instructions : undefined;
  return {
    from: `${setups.length} homes`,
    ...(isObj(settings) ? { settings: settings as Record<string, unknown> } : {}),
    ...(Object.keys(servers).length > 0 ? { mcpServers: servers } : {}),
    ...(instructions ? { instructions } : {}),
    files,
    skipped: [],
  };
}

/**
 * `import --common HOME…`: the team layer as what the homes share, then a
 * user layer for each home with the rest, over it; one commit, each home
 * proved against its user's target; the branch `import/common-<team>`.
 */
export async function runCommon(req: CommonRequest): Promise<CommonImported> {
  checkIdentityName('team', req.team);
  if (req.homes.length < 2) throw new ClaudeEnvError('usage', '--common needs at least two homes');
  const users = req.users ?? req.homes.map((h) => h.replace(/\/+$/, '').split('/').pop() ?? '');
  if (users.length !== req.homes.length) throw new ClaudeEnvError('usage', `--users names ${users.length} users for ${req.homes.length} homes`);
  if (new Set(users).size !== users.length) throw new ClaudeEnvError('usage', `two homes are the same user: ${users.join(', ')}`);
  for (const u of users) checkIdentityName('user', u);
  const setups = req.homes.map((h) => readHome(h));
  const base = await resolveCommit(req.dir, 'HEAD');
  const repo = new Repo(gitSource(req.dir, base, { resolved: true }));
  const env = req.env ?? repo.settings.environments[0];
  if (env === undefined) throw new ClaudeEnvError('usage', 'claude-env.yml names no environment: pass --env');
  const merger = mergerFor(repo);
  const shared = commonOf(setups, (path) => merger.strategyAt(path));
  const teamInto = { kind: 'team' as const, name: req.team };
  const teamTarget = repo.resolveTarget({ env, team: req.team });
  const userTargets = users.map((user) => repo.resolveTarget({ env, team: req.team, user }));

  const teamLayer = await layerOver(req, base, teamTarget, teamInto, shared);
  await refuseSecrets(req, [teamLayer]);
  const teamCommit = await commitOver(req.dir, base, [...teamLayer.documents, ...teamLayer.files], `claude-env import: the team layer of ${req.team}`, req.gitEnv);
  const userLayers: Layer[] = [];
  for (let i = 0; i < users.length; i++) userLayers.push(await layerOver(req, teamCommit, userTargets[i]!, { kind: 'user', name: users[i]! }, setups[i]!));
  await refuseSecrets(req, userLayers);
  const all = [...userLayers.flatMap((l) => [...l.documents, ...l.files])];
  const commit = await commitOver(req.dir, teamCommit, all, `claude-env import: ${req.team} and ${users.join(', ')} from ${req.homes.length} homes`, req.gitEnv);
  const after = new Repo(gitSource(req.dir, commit, { resolved: true }));
  const teamProof = prove(renderTarget(after, teamTarget).outputs, teamLayer.want, shared.files);
  const team: Imported = { into: `team:${req.team}`, target: teamTarget, documents: teamLayer.documents, files: teamLayer.fileViews, secrets: teamLayer.secrets, notExpressed: teamLayer.notes, skipped: [], proof: teamProof, commit, base };
  const perUser: Imported[] = userLayers.map((l, i) => ({
    into: `user:${users[i]}`,
    target: userTargets[i]!,
    documents: l.documents,
    files: l.fileViews,
    secrets: l.secrets,
    notExpressed: l.notes,
    skipped: setups[i]!.skipped,
    proof: prove(renderTarget(after, userTargets[i]!).outputs, l.want, setups[i]!.files),
    commit,
    base,
  }));
  const result: CommonImported = { team, users: perUser, commit, base };
  if (req.dryRun) return result;
  const branch = `import/common-${req.team}`;
  await branchAt(req, branch, commit);
  return { ...result, branch };
}

/** Whether `got` holds all of `want`: every key it sets, and every item of its lists (a project's settings merge over the user's). */
function covers(got: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(got) && want.every((w) => got.some((g) => same(g, w)));
  if (isObj(want)) return isObj(got) && Object.keys(want).every((k) => covers(got[k], want[k]));
  return same(got, want);
}

/**
 * Rendered again, compared with the machine: settings keys, MCP server
 * entries, files. A home is the whole of what its Claude Code reads, so
 * every key must be equal; a project (`partial`) is what Claude Code merges
 * over the user's own, so each key it sets must be there, with its list
 * items, and the rest is not the project's to say.
 */
/** A settings key as Claude Code reads it: permission rules as sets (layer.ts `isRuleSet`), in one order. */
function asRead(key: string, v: unknown): unknown {
  if (key !== 'permissions' || !isObj(v)) return v;
  const permissions = { ...v };
  for (const k of Object.keys(permissions)) {
    const list = permissions[k];
    if (isRuleSet(['settings', 'permissions', k]) && Array.isArray(list)) permissions[k] = [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return permissions;
}

function prove(outputs: readonly Output[], want: Record<string, Plain>, files: readonly FoundFile[], partial = false): Imported['proof'] {
  const byPath = new Map(outputs.map((o) => [o.path as string, o]));
  const items: ProofItem[] = [];
  const settings = byPath.get('.claude/settings.json');
  const got = settings ? (JSON.parse(settings.content) as Record<string, unknown>) : {};
  const wantSettings = isObj(want['settings']) ? want['settings'] : {};
  const matches = (k: string, g: unknown, w: unknown): boolean => (partial ? covers(g, w) : same(asRead(k, g), asRead(k, w)));
  for (const k of new Set([...Object.keys(wantSettings), ...(partial ? [] : Object.keys(got))])) items.push({ kind: 'settings', path: `settings.${k}`, equal: matches(k, got[k], wantSettings[k]) });
  const claudeJson = byPath.get('.claude.json');
  const gotServers = (claudeJson ? (JSON.parse(claudeJson.content) as { mcpServers?: Record<string, unknown> }).mcpServers : undefined) ?? {};
  const wantServers = isObj(want['mcpServers']) ? want['mcpServers'] : {};
  for (const k of new Set([...Object.keys(wantServers), ...(partial ? [] : Object.keys(gotServers))])) items.push({ kind: 'mcp-server', path: `mcpServers.${k}`, equal: same(gotServers[k], wantServers[k]) });
  for (const f of files) items.push({ kind: 'file', path: `.claude/${f.path}`, equal: sameOutput(byPath.get(`.claude/${f.path}`), f) });
  const differing = items.filter((i) => !i.equal);
  return { equal: differing.length === 0, checked: items.length, differing };
}
