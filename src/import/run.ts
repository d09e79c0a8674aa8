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
import { ClaudeEnvError } from '../errors.js';
import { canonical } from '../merge/merge.js';
import { mergeTarget } from '../merge/target.js';
import { parseStrategy, REPLACE, strategyLookup } from '../merge/strategy.js';
import { toPlain, type Value } from '../provenance/tree.js';
import { Repo } from '../repo/repo.js';
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
import { DELETE_MARK, minimalOver, secretNameOf, secretSpots, withSecretRefs, type Plain } from './layer.js';

export type IntoKind = 'user' | 'team' | 'project';

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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where each kind of layer keeps its root-shaped document and its files. */
function layerPlace(into: ImportRequest['into']): { root: string; servers?: string; files: string } {
  switch (into.kind) {
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
function yamlOf(value: Record<string, Plain>, header: string, existing?: string, keys: readonly string[] = IMPORTED_KEYS): string {
  const Y = PACKAGE_YAML.lib();
  const parsed = existing === undefined ? undefined : Y.parseDocument(existing);
  const keep = parsed !== undefined && parsed.errors.length === 0 && Y.isMap(parsed.contents);
  const doc = keep ? parsed! : new Y.Document({});
  if (!keep) doc.contents = doc.createNode({});
  for (const k of keys) doc.delete(k);
  for (const [k, v] of Object.entries(value)) doc.set(k, doc.createNode(v));
  Y.visit(doc, {
    Scalar(_k, n) {
      if (typeof n.value !== 'string') return;
      const m = /^«secret:env:([A-Za-z_][A-Za-z0-9_]*)»$/.exec(n.value);
      if (m) {
        n.value = `env:${m[1]}`;
        n.tag = '!secret';
      } else if (n.value === DELETE_MARK) {
        n.value = '';
        n.tag = '!delete';
      }
    },
  });
  const empty = Y.isMap(doc.contents) && doc.contents.items.length === 0;
  if (empty) return `${keep ? (existing!.match(/^(#.*\n)+/)?.[0] ?? header) : header}{}\n`;
  const body = doc.toString({ lineWidth: 0 });
  return keep ? body : `${header}${body}`;
}

/** A document's text at a commit, or undefined. */
function textAt(repo: Repo, path: string): string | undefined {
  const bytes = repo.source.read(path);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

const plain = (v: Value | undefined): Plain | undefined => (v === undefined ? undefined : (toPlain(v) as Plain));
const isObj = (v: unknown): v is Record<string, Plain> => v !== null && typeof v === 'object' && !Array.isArray(v);

function targetOf(repo: Repo, req: ImportRequest): Target {
  const env = req.env ?? repo.settings.environments[0];
  if (env === undefined) throw new ClaudeEnvError('usage', 'claude-env.yml names no environment: pass --env');
  const { kind, name } = req.into;
  if (kind === 'user') return repo.resolveTarget({ env, user: name, ...(req.team ? { team: req.team } : {}), ...(req.project ? { project: req.project } : {}) });
  if (kind === 'team') return repo.resolveTarget({ env, team: name, ...(req.project ? { project: req.project } : {}) });
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

export async function runImport(req: ImportRequest): Promise<Imported> {
  const { kind, name } = req.into;
  if (!NAME.test(name) || name.includes('..')) throw new ClaudeEnvError('invalid-name', `invalid ${kind} name "${name}": 1-64 ASCII letters, digits, ".", "_" or "-"`);
  const setup = found(req);
  const base = await resolveCommit(req.dir, 'HEAD');
  const repo = new Repo(gitSource(req.dir, base, { resolved: true }));
  const target = targetOf(repo, req);
  const place = layerPlace(req.into);

  // 2. The layers below: this layer without what the import writes (its other sections, such as personas, stay).
  const existingRoot = textAt(repo, place.root);
  const emptied: CommitFile[] = [
    { path: place.root, content: yamlOf({}, '', existingRoot) },
    ...(place.servers ? [{ path: place.servers, content: '{}\n' }] : []),
  ];
  const belowCommit = await commitOver(req.dir, base, emptied, 'claude-env import: the layers below', req.gitEnv);
  const belowRepo = new Repo(gitSource(req.dir, belowCommit, { resolved: true }));
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
  const hits = new Set((await req.scanner(spots.map((s, i) => ({ id: String(i), path: 'import.env', text: s.value })))).map((h) => Number(h.id)));
  const belowPlain = { settings: plain(below['settings']), mcpServers: plain(below['mcpServers']) } as Record<string, Plain | undefined>;
  const inherited = (path: readonly string[]): string | undefined => {
    let at: Plain | undefined = belowPlain[path[0]!];
    for (const k of path.slice(1)) at = isObj(at) ? at[k] : undefined;
    return secretNameOf(at);
  };
  const { tree: want, secrets } = withSecretRefs(wantRaw, spots.filter((s, i) => s.named || hits.has(i) || inherited(s.path) !== undefined), inherited);

  const notes: Skipped[] = [];
  const arrays = strategyLookup(repo.settings.arrayRules.map(([g, raw]) => [g, parseStrategy(raw) ?? REPLACE] as const));
  const layer: Record<string, Plain> = {};
  const settings = minimalOver(want['settings'], plain(below['settings']) ?? {}, ['settings'], arrays, notes);
  if (settings !== undefined) layer['settings'] = settings;
  // MCP servers against what the layers below render (claude-env's own keys are not written, so not compared).
  const belowServers = plain(below['mcpServers']);
  const rendered = toPlain(mcpEntries(below['mcpServers'])) as Record<string, Plain>;
  const servers: Record<string, Plain> = {};
  const wantServers = isObj(want['mcpServers']) ? want['mcpServers'] : {};
  for (const [server, def] of Object.entries(wantServers)) {
    const r = minimalOver(def, rendered[server], ['mcpServers', server], arrays, notes);
    const disabledBelow = isObj(belowServers) && isObj(belowServers[server]) && belowServers[server]['enabled'] === false;
    if (r !== undefined || disabledBelow) servers[server] = { ...(isObj(r) ? r : r === undefined ? {} : {}), ...(disabledBelow ? { enabled: true } : {}) };
  }
  for (const server of Object.keys(rendered)) if (!(server in wantServers)) servers[server] = { enabled: false };
  if (Object.keys(servers).length > 0) layer['mcpServers'] = servers;
  if (setup.instructions) {
    const have = plain(below['instructions']);
    if (!(Array.isArray(have) && have.some((p) => typeof p === 'string' && p.trim() === setup.instructions))) layer['instructions'] = [`${setup.instructions}\n`];
  }

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

  // 4. The documents, committed over HEAD, and proved.
  const header = `# ${place.root}: imported by claude-env import from ${kind === 'project' ? 'a project' : 'a machine'}; the smallest layer over the ones below.\n`;
  const documents: Array<{ path: string; content: string }> = [];
  if (place.servers) {
    const { mcpServers, ...root } = layer;
    documents.push({ path: place.root, content: yamlOf(root, header, existingRoot) });
    const servers = isObj(mcpServers) ? mcpServers : {};
    documents.push({ path: place.servers, content: yamlOf(servers, `# ${place.servers}: MCP servers imported by claude-env import.\n`, undefined, Object.keys(servers)) });
  } else documents.push({ path: place.root, content: yamlOf(layer, header, existingRoot) });
  const commitFiles: CommitFile[] = [...documents, ...files.map((f) => ({ path: `${place.files}/${f.path}`, content: f.bytes, mode: f.mode }))];
  const commit = await commitOver(req.dir, base, commitFiles, `claude-env import: ${kind} ${name} from ${setup.from}`, req.gitEnv);
  const after = new Repo(gitSource(req.dir, commit, { resolved: true }));
  const proof = prove(renderTarget(after, target).outputs, want, setup.files);

  const result: Imported = {
    into: `${kind}:${name}`,
    target,
    documents,
    files: files.map((f) => ({ path: `${place.files}/${f.path}`, mode: f.mode, bytes: f.bytes.length })),
    secrets,
    notExpressed: notes,
    skipped: setup.skipped,
    proof,
    commit,
    base,
  };
  if (req.dryRun) return result;

  // 5. Validated, then the branch.
  const branch = `import/${kind}-${name}`;
  if (await branchExists(req.dir, branch, req.gitEnv)) throw new ClaudeEnvError('usage', `the branch ${branch} exists already: delete it or merge it first`);
  const v = await validateRepo(after, { secretScanner: req.scanner });
  if (v.summary.errors > 0) {
    const first = v.findings.find((f) => f.severity === 'error')!;
    throw new ClaudeEnvError('invalid-config', `the imported layer does not validate (${v.summary.errors} error(s)); first: ${first.file ?? ''}${first.line ? `:${first.line}:${first.column ?? 1}` : ''} ${first.rule} ${first.message}: no branch was made`);
  }
  await createBranch(req.dir, branch, commit, req.gitEnv);
  return { ...result, branch };
}

/** Rendered again, compared with the machine: settings keys, MCP server entries, files. */
function prove(outputs: readonly Output[], want: Record<string, Plain>, files: readonly FoundFile[]): Imported['proof'] {
  const byPath = new Map(outputs.map((o) => [o.path as string, o]));
  const items: ProofItem[] = [];
  const settings = byPath.get('.claude/settings.json');
  const got = settings ? (JSON.parse(settings.content) as Record<string, unknown>) : {};
  const wantSettings = isObj(want['settings']) ? want['settings'] : {};
  for (const k of new Set([...Object.keys(wantSettings), ...Object.keys(got)])) items.push({ kind: 'settings', path: `settings.${k}`, equal: canonical(got[k] as Value) === canonical(wantSettings[k] as Value) });
  const claudeJson = byPath.get('.claude.json');
  const gotServers = (claudeJson ? (JSON.parse(claudeJson.content) as { mcpServers?: Record<string, unknown> }).mcpServers : undefined) ?? {};
  const wantServers = isObj(want['mcpServers']) ? want['mcpServers'] : {};
  for (const k of new Set([...Object.keys(wantServers), ...Object.keys(gotServers)])) items.push({ kind: 'mcp-server', path: `mcpServers.${k}`, equal: canonical(gotServers[k] as Value) === canonical(wantServers[k] as Value) });
  for (const f of files) items.push({ kind: 'file', path: `.claude/${f.path}`, equal: sameOutput(byPath.get(`.claude/${f.path}`), f) });
  const differing = items.filter((i) => !i.equal);
  return { equal: differing.length === 0, checked: items.length, differing };
}
