/**
 * `claude-env render`: the desired state of a target — the merged tree
 * (yaml|json, `--explain` for provenance) or the native files (`--outputs`);
 * `--all --out DIR` renders every target of the repo.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Node as YamlNode } from 'yaml';
import { yamlLib } from '../repo/yaml.js';
import { ClaudeEnvError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, formatLocation, type ExitCode } from '../errors.js';
import { insideRoot } from '../apply/paths.js';
import { segmentProblem, unsafePath } from '../paths.js';
import { LinkGuard } from '../system/links.js';
import { createMergeCache } from '../merge/target.js';
import { isMap, joinKeyPath, originAt, toPlain, type Value } from '../provenance/tree.js';
import { renderTarget } from '../render/index.js';
import { outputsAsRecord } from '../render/outputs.js';
import type { Finding, Origin, Target } from '../vocabulary.js';
import type { Repo } from '../repo/repo.js';
import { localLayer, openRepo, resolveTarget, type TargetOptions } from './context.js';
import { printJson, progress, type CliIO } from './io.js';

interface RenderOptions extends TargetOptions {
  format?: 'yaml' | 'json';
  json?: boolean;
  outputs?: boolean;
  explain?: boolean;
  all?: boolean;
  out?: string;
}

export async function run(io: CliIO, opts: RenderOptions): Promise<ExitCode> {
  const repo = openRepo(io, opts);
  if (opts.all) return renderAll(io, repo, opts);
  if (opts.out) throw new ClaudeEnvError('usage', '--out is for --all; a single target prints to stdout', { exitCode: EXIT_USAGE });
  const target = resolveTarget(io, repo, opts);
  const r = renderTarget(repo, target, { extra: localLayer(io, opts), projectMcp: opts.projectDir !== undefined, managed: opts.managed !== undefined });
  warn(io, r.findings);
  const json = opts.json || opts.format === 'json';
  if (opts.outputs) {
    if (json) printJson(io, outputsAsRecord(r.outputs));
    else for (const o of r.outputs) io.stdout.write(`==> ${o.path} <==\n${o.content}${o.content.endsWith('\n') ? '' : '\n'}`);
    return EXIT_OK;
  }
  if (json) printJson(io, opts.explain ? { tree: r.tree, provenance: provenanceOf(r.tree) } : r.tree);
  else io.stdout.write(opts.explain ? explainedYaml(r.tree) : new (yamlLib().Document)(toPlain(r.tree)).toString({ lineWidth: 0 }));
  return EXIT_OK;
}

function warn(io: CliIO, findings: readonly Finding[]): void {
  const seen = new Set<string>();
  for (const f of findings) {
    const line = `${formatLocation(f)}  ${f.severity}  ${f.rule}  ${f.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    io.stderr.write(`${line}\n`);
  }
}

/** Every leaf's origin, by dotted key. */
export function provenanceOf(tree: Value): Record<string, Origin> {
  const out: Record<string, Origin> = {};
  const walk = (v: Value, path: string[]): void => {
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : isMap(v) ? Object.keys(v) : [];
    for (const k of keys) {
      const child = Array.isArray(v) ? v[Number(k)]! : (v as Record<string, Value>)[k]!;
      path.push(k);
      const o = originAt(v as object, Array.isArray(v) ? Number(k) : k);
      if ((Array.isArray(child) && child.length > 0) || (isMap(child) && Object.keys(child).length > 0)) walk(child, path);
      else if (o) out[joinKeyPath(path)] = o;
      path.pop();
    }
  };
  walk(tree, []);
  return out;
}

/** YAML of the merged tree with `# layer file:line:col` after every leaf. */
function explainedYaml(tree: Value): string {
  const { Document, isMap: isYamlMap, isSeq: isYamlSeq, isScalar } = yamlLib();
  const doc = new Document(toPlain(tree));
  const walk = (node: YamlNode | null, v: Value): void => {
    if (isYamlMap(node) && isMap(v)) {
      for (const pair of node.items) {
        const k = String((pair.key as { value: unknown }).value);
        const child = v[k];
        if (child === undefined) continue;
        const value = pair.value as YamlNode | null;
        if (isScalar(value) || (Array.isArray(child) && child.length === 0) || (isMap(child) && Object.keys(child).length === 0)) {
          const o = originAt(v, k);
          if (o && value) value.comment = ` ${o.layer} ${o.file}:${o.line}:${o.column}`;
        } else walk(value, child);
      }
    } else if (isYamlSeq(node) && Array.isArray(v)) {
      node.items.forEach((item, i) => {
        const child = v[i]!;
        if (isScalar(item)) {
          const o = originAt(v, i);
          if (o) item.comment = ` ${o.layer} ${o.file}:${o.line}:${o.column}`;
        } else walk(item as YamlNode, child);
      });
    }
  };
  walk(doc.contents as YamlNode, tree);
  const text = doc.toString({ lineWidth: 0 });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** `<env>/<team>/<user>[/<project>]` below `--out`; a name that is not one plain folder name (a user `../x` in members.yml) is an `unsafe-path` error. */
function targetDir(t: Target): string {
  const parts = [t.env, t.team ?? '_', t.user ?? '_', ...(t.project ? [t.project] : [])];
  for (const p of parts) {
    const problem = p.includes('/') ? 'has a "/"' : segmentProblem(p);
    if (problem) throw unsafePath('target name', p, problem);
  }
  return parts.join('/');
}

/**
 * Writes one rendered file below `--out` through the same checks as apply's
 * write port: the path stays under the folder (apply/paths.ts `insideRoot`),
 * and no symbolic link is on the way nor is the file one (system/links.ts).
 */
async function writeBelow(root: string, links: LinkGuard, rel: string, data: string | Uint8Array, mode: number, madeDirs: Map<string, boolean>): Promise<void> {
  const file = insideRoot(root, rel);
  const dir = dirname(file);
  // A folder this run made holds only what this run wrote: no link to look for.
  if (madeDirs.get(dir) !== true) {
    const problem = await links.problem(file, root);
    if (problem !== undefined) throw new ClaudeEnvError('unsafe-path', `${file} ${problem}; render --all stopped there`, { file, exitCode: EXIT_FINDINGS });
  }
  if (!madeDirs.has(dir)) madeDirs.set(dir, mkdirSync(dir, { recursive: true }) !== undefined);
  writeFileSync(file, data, { mode });
}

async function renderAll(io: CliIO, repo: Repo, opts: RenderOptions): Promise<ExitCode> {
  if (!opts.out && !(opts.json || opts.format === 'json')) {
    throw new ClaudeEnvError('usage', 'render --all needs --out DIR (or --json for JSON lines on stdout)', { exitCode: EXIT_USAGE });
  }
  if (opts.env !== undefined) repo.resolveTarget({ env: opts.env });
  if (opts.team !== undefined) repo.resolveTarget({ env: opts.env ?? repo.settings.environments[0]!, team: opts.team });
  const filter: { env?: string; team?: string } = {};
  if (opts.env !== undefined) filter.env = opts.env;
  if (opts.team !== undefined) filter.team = opts.team;
  const targets = repo.targets(filter);
  const cache = createMergeCache(repo);
  const out = opts.out ? resolve(io.cwd, opts.out) : undefined;
  const bar = progress(io, 'rendering');
  const madeDirs = new Map<string, boolean>();
  const links = new LinkGuard(out ? [out] : []);
  const findings: Finding[] = [];
  for (const [i, t] of targets.entries()) {
    const r = renderTarget(repo, t, { cache });
    findings.push(...r.findings);
    if (out) {
      const base = targetDir(t);
      for (const o of r.outputs) await writeBelow(out, links, `${base}/${o.path}`, o.encoding === 'base64' ? Buffer.from(o.content, 'base64') : o.content, o.mode, madeDirs);
    } else io.stdout.write(`${JSON.stringify({ target: t, outputs: outputsAsRecord(r.outputs) })}\n`);
    bar.tick(i + 1, targets.length);
  }
  bar.done();
  warn(io, findings);
  if (out && !opts.json) io.stderr.write(`rendered ${targets.length} targets into ${out}\n`);
  return EXIT_OK;
}
