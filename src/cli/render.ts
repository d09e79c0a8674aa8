/**
 * `claude-env render`: the desired state of a target — the merged tree
 * (yaml|json, `--explain` for provenance) or the native files (`--outputs`);
 * `--all --out DIR` renders every target of the repo (src/render/all.ts).
 */
import { fileText } from '../render/agent-files.js';
import { readsManagedFragments } from '../system/claude-version.js';
import { resolve } from 'node:path';
import { PACKAGE_YAML } from '../repo/yaml.js';
import { ClaudeEnvError, EXIT_OK, formatLocation, type ExitCode } from '../errors.js';
import { toPlain } from '../provenance/tree.js';
import { renderTarget } from '../render/index.js';
import { renderEach, targetsOf, treeFiles } from '../render/all.js';
import { explainedYaml, provenanceOf } from '../render/explained.js';
import { outputsAsRecord } from '../render/outputs.js';
import type { Finding } from '../vocabulary.js';
import type { Repo } from '../repo/repo.js';
import { systemFor } from '../system/crash.js';
import { treeWriter } from '../workspace/write.js';
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
  if (opts.out) throw new ClaudeEnvError('usage', '--out is for --all; a single target prints to stdout');
  const target = await resolveTarget(io, repo, opts);
  const r = renderTarget(repo, target, { extra: await localLayer(io, opts), projectMcp: opts.projectDir !== undefined, managed: opts.managed !== undefined, managedFragment: opts.managed !== undefined && (await readsManagedFragments(io.env)) });
  warn(io, r.findings);
  const json = opts.json || opts.format === 'json';
  if (opts.outputs) {
    if (json) printJson(io, outputsAsRecord(r.outputs, fileText));
    else
      for (const o of r.outputs) {
        const text = fileText(o);
        io.stdout.write(`==> ${o.path} <==\n${text}${text.endsWith('\n') ? '' : '\n'}`);
      }
    return EXIT_OK;
  }
  if (json) printJson(io, opts.explain ? { tree: r.tree, provenance: provenanceOf(r.tree) } : r.tree);
  else io.stdout.write(opts.explain ? explainedYaml(r.tree, io.yaml) : new ((io.yaml ?? PACKAGE_YAML).lib().Document)(toPlain(r.tree)).toString({ lineWidth: 0 }));
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

async function renderAll(io: CliIO, repo: Repo, opts: RenderOptions): Promise<ExitCode> {
  if (!opts.out && !(opts.json || opts.format === 'json')) {
    throw new ClaudeEnvError('usage', 'render --all needs --out DIR (or --json for JSON lines on stdout)');
  }
  const targets = targetsOf(repo, { ...(opts.env !== undefined ? { env: opts.env } : {}), ...(opts.team !== undefined ? { team: opts.team } : {}) });
  const out = opts.out ? resolve(io.cwd, opts.out) : undefined;
  const write = out ? treeWriter(systemFor(io.env), out) : undefined;
  const bar = progress(io, 'rendering');
  const findings: Finding[] = [];
  let done = 0;
  for (const r of renderEach(repo, targets)) {
    findings.push(...r.findings);
    if (write) for (const f of treeFiles(r)) await write(f.path, f.data, f.mode);
    else io.stdout.write(`${JSON.stringify({ target: r.target, outputs: outputsAsRecord(r.outputs) })}\n`);
    bar.tick(++done, targets.length);
  }
  bar.done();
  warn(io, findings);
  if (out && !opts.json) io.stderr.write(`rendered ${targets.length} targets into ${out}\n`);
  return EXIT_OK;
}
