#!/usr/bin/env node
// One measured process of stage (a), started by bench/run.mjs. Prints one JSON
// line on stdout: {mode, ms, maxRssKb, ...}.
//
//   node bench/render-child.mjs prep  REPO ENV OUTFILE   render every target of ENV with our API (untimed
//                                                        step) and write each target's outputs, JSON outputs
//                                                        parsed, as one NDJSON line per target
//   node bench/render-child.mjs ours  REPO ENV           time loadRepo + repoTargets + renderTarget of every target
//   node bench/render-child.mjs floor REPO ENV OUTFILE   time the floor: list + read + yaml parseDocument (with
//                                                        a LineCounter) of every YAML file of REPO once, plus
//                                                        JSON.stringify of the very output objects that `prep`
//                                                        wrote (read untimed)
//
// `ms` counts the work only (not module loading) in both modes. maxRssKb is
// process.resourceUsage().maxRSS of this whole process.

import { closeSync, openSync, readFileSync, readSync, readdirSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = resolve(process.env.BENCH_DIST ?? resolve(HERE, '..', 'dist'), 'src');

const isThenable = (v) => v !== null && typeof v === 'object' && typeof v.then === 'function';
const settle = async (v) => (isThenable(v) ? await v : v);

async function loadApi() {
  const index = await import(join(DIST, 'index.js'));
  const source = await import(join(DIST, 'blocking', 'sources.js'));
  const missing = [];
  for (const name of ['loadRepo', 'repoTargets', 'createRenderCache']) if (typeof index[name] !== 'function') missing.push(`dist/src/index.js: ${name}`);
  // The brief's renderTarget(repo, target, cache) -> {tree, outputs: Record<path, text>, findings};
  // the index may export it as renderTargetRecord (renderTarget then returning Output[]).
  const render = typeof index.renderTargetRecord === 'function' ? 'renderTargetRecord' : 'renderTarget';
  if (typeof index[render] !== 'function') missing.push('dist/src/index.js: renderTarget');
  if (typeof source.worktreeSource !== 'function') missing.push('dist/src/blocking/sources.js: worktreeSource');
  if (missing.length) throw new Error(`API missing: ${missing.join(', ')}`);
  return { ...index, worktreeSource: source.worktreeSource, render, renderOne: index[render] };
}

/** Every YAML file of the repo, sorted (what loadRepo reads). */
function yamlFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function renderAll(api, repoDir, env, onTarget) {
  const repo = await settle(api.loadRepo(api.worktreeSource(repoDir)));
  const targets = await settle(api.repoTargets(repo, { env }));
  const cache = api.createRenderCache(repo);
  let outputs = 0;
  let bytes = 0;
  let findings = 0;
  for (const target of targets) {
    const r = await settle(api.renderOne(repo, target, cache));
    if (r === null || typeof r.outputs !== 'object' || Array.isArray(r.outputs)) {
      throw new Error(`${api.render}() must return {outputs: {path: text}}; got outputs of type ${Array.isArray(r?.outputs) ? 'array' : typeof r?.outputs}`);
    }
    for (const text of Object.values(r.outputs)) {
      outputs++;
      bytes += text.length;
    }
    findings += r.findings.length;
    if (onTarget) onTarget(target, r);
  }
  return { api: api.render, targets: targets.length, outputs, bytes, findings };
}

/** The object the floor serialises for one output text: JSON outputs parsed, other outputs (Markdown) as the string. */
function outputObject(path, text) {
  if (path.endsWith('.json')) return JSON.parse(text);
  return text;
}

async function prep(repoDir, env, outFile) {
  const api = await loadApi();
  const fd = openSync(outFile, 'w');
  let pending = [];
  let pendingBytes = 0;
  let jsonOutputs = 0;
  let indent2 = 0;
  const flush = () => {
    if (pending.length) writeSync(fd, pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  const t0 = performance.now();
  const stats = await renderAll(api, repoDir, env, (target, r) => {
    const obj = {};
    for (const [path, text] of Object.entries(r.outputs)) {
      obj[path] = outputObject(path, text);
      if (path.endsWith('.json')) {
        jsonOutputs++;
        const again = JSON.stringify(obj[path], null, 2);
        if (text === again || text === `${again}\n`) indent2++;
      }
    }
    const line = `${JSON.stringify(obj)}\n`;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes > 8 << 20) flush();
  });
  flush();
  closeSync(fd);
  return { mode: 'prep', ms: performance.now() - t0, ...stats, jsonOutputs, jsonOutputsWithIndent2: indent2 };
}

async function ours(repoDir, env) {
  const api = await loadApi();
  const t0 = performance.now();
  const stats = await renderAll(api, repoDir, env);
  return { mode: 'ours', ms: performance.now() - t0, ...stats };
}

/** Reads NDJSON in chunks of whole lines; `each(lines)` gets each chunk's lines. */
function forEachChunk(file, each) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let rest = '';
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const text = rest + buf.toString('utf8', 0, n);
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(cut + 1);
    each(text.slice(0, cut).split('\n'));
  }
  if (rest.trim()) each([rest]);
  closeSync(fd);
}

async function floor(repoDir, env, outFile) {
  const { LineCounter, parseDocument } = await import('yaml');
  let ms = 0;
  const t0 = performance.now();
  const files = yamlFiles(repoDir);
  const docs = [];
  let yamlErrors = 0;
  for (const f of files) {
    // positions kept, as a loader that reports file:line:col must (our loader passes a LineCounter too)
    const doc = parseDocument(readFileSync(f, 'utf8'), { lineCounter: new LineCounter() });
    yamlErrors += doc.errors.length;
    docs.push(doc); // the render keeps its parsed repo too
  }
  const parseMs = performance.now() - t0;
  ms += parseMs;
  let targets = 0;
  let outputs = 0;
  let bytes = 0;
  let stringifyMs = 0;
  forEachChunk(outFile, (lines) => {
    const objs = lines.map((l) => JSON.parse(l)); // untimed: these are the output objects, made before timing
    const t1 = performance.now();
    for (const obj of objs) {
      targets++;
      for (const value of Object.values(obj)) {
        const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 2);
        outputs++;
        bytes += text.length;
      }
    }
    stringifyMs += performance.now() - t1;
  });
  ms += stringifyMs;
  return { mode: 'floor', ms, parseMs, stringifyMs, files: files.length, yamlErrors, docs: docs.length, targets, outputs, bytes };
}

const [mode, repoArg, env, outFile] = process.argv.slice(2);
try {
  if (!repoArg || !env) throw new Error('usage: render-child.mjs prep|ours|floor REPO ENV [OUTFILE]');
  const repoDir = resolve(repoArg);
  let result;
  if (mode === 'prep') result = await prep(repoDir, env, resolve(outFile));
  else if (mode === 'ours') result = await ours(repoDir, env);
  else if (mode === 'floor') result = await floor(repoDir, env, resolve(outFile));
  else throw new Error(`unknown mode ${mode}`);
  result.maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.stderr.write(`render-child ${mode}: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 2;
}
