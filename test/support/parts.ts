/**
 * The checker of the parts map (parts.json at the repo root): which part each
 * source file belongs to, every import of it (read with the TypeScript
 * compiler, so type imports, `export … from`, `import()` with a literal and
 * `import('…')` types all count), and the arrows the map does not allow.
 * It works on a map of file → text, so a test can plant an import in memory.
 */
import ts from 'typescript';
import picomatch from 'picomatch';
import { posix } from 'node:path';

export type Layer = 'kernel' | 'core' | 'api' | 'edge' | 'shell';

export interface Part {
  readonly layer: Layer;
  readonly files: readonly string[];
  /** Parts this one may import; `*` for any. */
  readonly uses: readonly string[];
}

export interface PartsMap {
  readonly layers: Readonly<Record<Layer, string>>;
  readonly rules: {
    readonly 'core may not import': readonly Layer[];
    readonly 'edge may not import': readonly Layer[];
    readonly 'kernel may not import': readonly Layer[];
    readonly 'api may not import': readonly Layer[];
    readonly 'nobody imports': readonly Layer[];
    readonly 'node modules the core and the kernel may not import': readonly string[];
  };
  readonly parts: Readonly<Record<string, Part>>;
  readonly pending: ReadonlyArray<{ readonly from: string; readonly to: string; readonly why: string }>;
}

export interface Import {
  readonly file: string;
  readonly line: number;
  /** As written: `import type`, `import`, `export from`, `import()`, `import type()`. */
  readonly how: string;
  readonly specifier: string;
}

export interface Arrow extends Import {
  readonly from: string;
  /** A part, or `node:<module>`. */
  readonly to: string;
  readonly why: string;
}

/** Every module specifier `file` names, with how and where. */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (node: ts.Node, how: string, specifier: ts.Expression | ts.TypeNode | undefined): void => {
    let literal: ts.StringLiteral | undefined;
    if (specifier && ts.isStringLiteral(specifier)) literal = specifier;
    else if (specifier && ts.isLiteralTypeNode(specifier) && ts.isStringLiteral(specifier.literal)) literal = specifier.literal;
    if (!literal) return;
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, how, specifier: literal.text });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.importClause?.isTypeOnly ? 'import type' : 'import', node.moduleSpecifier);
    else if (ts.isExportDeclaration(node)) add(node, node.isTypeOnly ? 'export type from' : 'export from', node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, 'import =', node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, 'import()', node.arguments[0]);
    else if (ts.isImportTypeNode(node)) add(node, 'import type()', node.argument);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The part of a repo-relative file (the first whose patterns match), or undefined. */
export function partOf(map: PartsMap, file: string): string | undefined {
  for (const [name, part] of Object.entries(map.parts)) if (picomatch.isMatch(file, part.files as string[])) return name;
  return undefined;
}

const isTest = (file: string): boolean => /\.(test|prop\.test|case)\.ts$/.test(file);

/** The repo-relative source a relative specifier names (`x.js` → `x.ts`, or `x.d.ts` for a generated module), or undefined for a package or a node module. */
function target(from: string, specifier: string, files: ReadonlyMap<string, string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const path = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [path.replace(/\.js$/, '.ts'), path.replace(/\.js$/, '.d.ts')];
  return candidates.find((c) => files.has(c)) ?? candidates[0];
}

const nodeModule = (specifier: string): string | undefined => {
  const m = /^node:(.+)$/.exec(specifier);
  return m ? m[1] : ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'dns', 'tls', 'worker_threads', 'cluster', 'os', 'vm', 'readline', 'inspector', 'process'].includes(specifier) ? specifier : undefined;
};

export interface Verdict {
  /** Arrows the map does not allow, pending ones left out. */
  readonly wrong: Arrow[];
  /** Arrows the map does not allow but lists as pending. */
  readonly pending: Arrow[];
  /** Source files in no part. */
  readonly unmapped: string[];
  /** Relative imports of files that are not in the set. */
  readonly unresolved: Import[];
}

/** Check every import of `files` (repo-relative path → text; tests beside modules are skipped) against the map. */
export function checkParts(map: PartsMap, files: ReadonlyMap<string, string>): Verdict {
  const wrong: Arrow[] = [];
  const pending: Arrow[] = [];
  const unmapped: string[] = [];
  const unresolved: Import[] = [];
  const layerOf = (part: string): Layer => map.parts[part]!.layer;
  const forbiddenNode = new Set(map.rules['node modules the core and the kernel may not import']);
  const mayNot: Partial<Record<Layer, readonly Layer[]>> = {
    core: map.rules['core may not import'],
    edge: map.rules['edge may not import'],
    kernel: map.rules['kernel may not import'],
    api: map.rules['api may not import'],
  };
  for (const [file, text] of files) {
    if (!file.endsWith('.ts') || isTest(file)) continue;
    const from = partOf(map, file);
    if (from === undefined) {
      unmapped.push(file);
      continue;
    }
    for (const imp of importsOf(file, text)) {
      const why = (to: string): string | undefined => {
        if (to.startsWith('node:')) {
          const layer = layerOf(from);
          return (layer === 'core' || layer === 'kernel') && forbiddenNode.has(to.slice(5)) ? `the ${layer} does no I/O` : undefined;
        }
        if (to === from) return undefined;
        const toLayer = layerOf(to);
        if (map.rules['nobody imports'].includes(toLayer)) return `nobody imports the ${toLayer}`;
        if (mayNot[layerOf(from)]?.includes(toLayer)) return `the ${layerOf(from)} may not import the ${toLayer}`;
        const uses = map.parts[from]!.uses;
        return uses.includes('*') || uses.includes(to) ? undefined : `${from} does not list ${to} in its uses`;
      };
      let to: string | undefined;
      const node = nodeModule(imp.specifier);
      if (node !== undefined) to = `node:${node}`;
      else {
        const path = target(file, imp.specifier, files);
        if (path === undefined) continue; // a package
        if (!files.has(path)) {
          unresolved.push(imp);
          continue;
        }
        to = partOf(map, path);
        if (to === undefined) continue; // reported as unmapped
      }
      const reason = why(to);
      if (reason === undefined) continue;
      const arrow = { ...imp, from, to, why: reason };
      (map.pending.some((p) => p.from === from && p.to === to) ? pending : wrong).push(arrow);
    }
  }
  return { wrong, pending, unmapped, unresolved };
}

export const describeArrow = (a: Arrow): string => `${a.file}:${a.line}  ${a.from} → ${a.to}  (${a.how} '${a.specifier}': ${a.why})`;
