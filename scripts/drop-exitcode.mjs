#!/usr/bin/env node
/**
 * Codemod: drop the `exitCode` option from every `new ClaudeEnvError(…)` (the
 * exit code comes from the error's code, src/error-codes.ts), then the
 * `EXIT_USAGE` / `EXIT_FINDINGS` imports nothing uses any more.
 *
 *   node scripts/drop-exitcode.mjs [--write] [FILE…]   (default: every src/**\/*.ts)
 *
 * Without --write it lists what it would change and writes nothing. Text
 * outside the removed properties is kept byte for byte. Run `tsc` and the
 * tests after it; run it only on files whose owner agrees.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const write = args.includes('--write');
const given = args.filter((a) => a !== '--write');
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
const files = given.length > 0 ? given : walk('src');

/** [start, end, replacement] edits that remove each `exitCode` property of the option objects of `new ClaudeEnvError`. */
function exitCodeEdits(source) {
  const edits = [];
  const inOptions = (obj, call) => {
    if (!ts.isObjectLiteralExpression(obj)) {
      if (ts.isConditionalExpression(obj)) {
        inOptions(obj.whenTrue, call);
        inOptions(obj.whenFalse, call);
      } else if (ts.isParenthesizedExpression(obj)) inOptions(obj.expression, call);
      return;
    }
    const props = obj.properties;
    const i = props.findIndex((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText(source) === 'exitCode');
    if (i < 0) return;
    if (props.length === 1) {
      // The only option: drop the whole argument when it is the third one, else leave `{}`.
      if (call.arguments[2] === obj && call.arguments.length === 3) edits.push([call.arguments[1].end, obj.end, '']);
      else edits.push([obj.getStart(source), obj.end, '{}']);
    } else if (i < props.length - 1) edits.push([props[i].getStart(source), props[i + 1].getStart(source), '']);
    else edits.push([props[i - 1].end, props[i].end, '']);
  };
  const visit = (n) => {
    if (ts.isNewExpression(n) && n.expression.getText(source) === 'ClaudeEnvError' && n.arguments?.[2]) inOptions(n.arguments[2], n);
    ts.forEachChild(n, visit);
  };
  visit(source);
  return edits;
}

/** Edits that remove the named imports of errors.js that the text no longer uses. */
function importEdits(source, text) {
  const edits = [];
  for (const st of source.statements) {
    if (!ts.isImportDeclaration(st) || !/\/errors\.js$/.test(st.moduleSpecifier.text)) continue;
    const named = st.importClause?.namedBindings;
    if (!named || !ts.isNamedImports(named)) continue;
    const rest = text.slice(0, st.getStart(source)) + text.slice(st.end);
    const unused = named.elements.filter((e) => ['EXIT_USAGE', 'EXIT_FINDINGS'].includes(e.name.text) && !new RegExp(`\\b${e.name.text}\\b`).test(rest));
    if (unused.length === 0) continue;
    const kept = named.elements.filter((e) => !unused.includes(e)).map((e) => e.getText(source));
    edits.push(kept.length === 0 && !st.importClause.name ? [st.getFullStart(), st.end, ''] : [named.getStart(source), named.end, `{ ${kept.join(', ')} }`]);
  }
  return edits;
}

const apply = (text, edits) => [...edits].sort((a, b) => b[0] - a[0]).reduce((t, [s, e, r]) => t.slice(0, s) + r + t.slice(e), text);

let changed = 0;
for (const file of files) {
  const before = readFileSync(file, 'utf8');
  const first = exitCodeEdits(ts.createSourceFile(file, before, ts.ScriptTarget.Latest, true));
  if (first.length === 0) continue;
  const mid = apply(before, first);
  const after = apply(mid, importEdits(ts.createSourceFile(file, mid, ts.ScriptTarget.Latest, true), mid));
  changed++;
  console.log(`${file}: ${first.length} exitCode option(s) dropped`);
  if (write) writeFileSync(file, after);
}
console.log(`${changed} file(s)${write ? ' changed' : ' would change (pass --write)'}`);
