/**
 * parseYaml is bounded (YAML_LIMITS): a document past its size, or whose
 * aliases would expand past their budget or without end, is one finding at
 * the place that did it, and yields no tree; anchors and aliases used for
 * reuse parse as before.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeParsed, encodeParsed } from './doc-cache.js';
import { parseYaml, YAML_LIMITS } from './yaml.js';
import { toPlain } from '../provenance/tree.js';
import type { RepoPath } from '../vocabulary.js';

const file = 'teams/web/workflows.yml' as RepoPath;
const parse = (text: string) => parseYaml(text, file, 'team');
const brief = (text: string) => parse(text).findings.map((f) => `${f.line}:${f.column} ${f.rule}`);

/** Nine levels of nine aliases: 9^9 (387 million) strings from about 500 bytes. */
function billionLaughs(levels = 9): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}

describe('parseYaml bounds', () => {
  it('stops a billion laughs at the alias that passes the budget, with no tree', () => {
    const text = billionLaughs();
    assert.ok(text.length < 600);
    const r = parse(text);
    assert.equal(r.value, undefined);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.severity, f.file]),
      [['yaml-alias-limit', 'error', file]],
    );
    const f = r.findings[0]!;
    // The budget runs out while line 6 (a5) expands its aliases of a4: the finding points at one of them.
    assert.equal(f.line, 6);
    assert.equal(text.split('\n')[5]!.slice(f.column - 1, f.column + 2), '*a4');
    assert.match(f.message, /aliases expand to more than 100,000 nodes/);
  });

  it('counts the text aliases repeat too: one long string repeated is a limit', () => {
    const long = 'x'.repeat(200_000);
    const text = `a: &a "${long}"\nb: [${Array(30).fill('*a').join(', ')}]\n`;
    const r = parse(text);
    assert.equal(r.value, undefined);
    assert.equal(r.findings[0]?.rule, 'yaml-alias-limit');
    assert.match(r.findings[0]!.message, /4 MiB of text/);
  });

  it('reports an alias inside the node it stands for as a cycle, never recursing without end', () => {
    assert.deepEqual(brief('a: &a [*a]\n'), ['1:8 yaml-alias-cycle']);
    assert.deepEqual(brief('a: &a\n  b:\n    c: *a\n'), ['3:8 yaml-alias-cycle']);
    assert.equal(parse('a: &a {b: *a}\n').value, undefined);
  });

  it('keeps anchors, aliases and a `<<` key working as before, origins and all', () => {
    const text = [
      'base: &base {type: stdio, command: npx, env: &env {LOG: info}}',
      'one:',
      '  <<: *base',
      '  args: [one]',
      'two: {server: *base, env: *env, list: [*env, *env]}',
      'redef: &base 7',
      'last: *base',
      '',
    ].join('\n');
    const r = parse(text);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(toPlain(r.value!), {
      base: { type: 'stdio', command: 'npx', env: { LOG: 'info' } },
      one: { '<<': { type: 'stdio', command: 'npx', env: { LOG: 'info' } }, args: ['one'] },
      two: { server: { type: 'stdio', command: 'npx', env: { LOG: 'info' } }, env: { LOG: 'info' }, list: [{ LOG: 'info' }, { LOG: 'info' }] },
      redef: 7,
      last: 7, // the last anchor of that name before the alias, as YAML says
    });
  });

  it('lets aliases add up to the budget', () => {
    // 1,000 aliases of a 90-node anchor: 91,000 nodes added, under 100,000.
    const anchor = `[${Array(89).fill('1').join(',')}]`;
    const text = `a: &a ${anchor}\nb: [${Array(1000).fill('*a').join(',')}]\n`;
    const r = parse(text);
    assert.deepEqual(r.findings, []);
    assert.equal((toPlain(r.value!) as { b: unknown[] }).b.length, 1000);
  });

  it('refuses a document over the size limit before parsing it, counting UTF-8 bytes', () => {
    const max = YAML_LIMITS.documentBytes;
    assert.equal(max, 512 * 1024);
    const over = `# ${'x'.repeat(max)}\n`;
    assert.deepEqual(brief(over), ['1:1 document-too-large']);
    assert.match(parse(over).findings[0]!.message, /the document is larger than 512 KiB, the limit for one document/);
    // 300,000 two-byte characters are 600 KB: over, though fewer characters than the limit.
    assert.deepEqual(brief(`a: "${'é'.repeat(300_000)}"\n`), ['1:1 document-too-large']);
    // Just under: parsed.
    assert.deepEqual(brief(`a: "${'é'.repeat(200_000)}"\n`), []);
    assert.deepEqual(brief(`# ${'x'.repeat(max - 4)}\n`), []);
  });

  it('refuses a document of more than 100,000 nodes where the limit passes, counted before parsing where it is dense', () => {
    // A dense list (the parser's tree costs 1 KB a node): counted by the lexer, never parsed.
    const text = `a: 1\nlist: [${Array(100_000).fill('1').join(',')}]\n`;
    const r = parse(text);
    assert.equal(r.value, undefined);
    assert.deepEqual(r.findings.map((f) => `${f.line}:${f.column} ${f.rule}`), ['2:200000 document-too-large']);
    assert.match(r.findings[0]!.message, /^the document has more than 100,000 nodes \(keys, values and list items; passed here\), the limit for one document; split it$/);
    assert.deepEqual(brief(`- ${Array(100_001).fill('1').join('\n- ')}\n`), ['100001:3 document-too-large']);
    assert.deepEqual(brief(`[${Array(100_001).fill('"q"').join(',')}]\n`), ['1:399998 document-too-large'], 'the list itself is a node too');
    // Keys with empty values: the lexer counts only the keys, the conversion counts both.
    assert.deepEqual(brief(`${Array.from({ length: 60_000 }, (_, i) => `k${i}:`).join('\n')}\n`), ['50000:8 document-too-large']);
    assert.deepEqual(parse(`list: [${Array(99_000).fill('1').join(',')}]\n`).findings, []);
  });

  it('finds duplicate keys once, where the mapping is written, in one pass over a large mapping', { timeout: 20_000 }, () => {
    assert.deepEqual(brief('a: 1\nb: 2\na: 3\n'), ['3:1 yaml-duplicate-key']);
    assert.deepEqual(brief('x: &x {k: 1, k: 2}\ny: [*x, *x]\n'), ['1:14 yaml-duplicate-key']);
    assert.equal(parse('a: 1\na: 2\n').value, undefined);
    // 35,000 keys (410 KB): the parser's own check compared every key with every key before it (13 s).
    const big = Array.from({ length: 35_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const r = parse(`${big}\n`);
    assert.deepEqual(r.findings, []);
    assert.equal(Object.keys(r.value as object).length, 35_000);
  });
});

describe('document cache bounds', () => {
  it('treats an entry with more nodes than a document can hold, or too long, or nested too deep, as a miss', () => {
    const text = 'a: 1\n';
    const good = encodeParsed(parse(text), text);
    // The planted entries carry the current format, so only the bounds can refuse them.
    const k = (JSON.parse(good) as { k: string }).k;
    // A list of 300,000 numbers: more nodes than any document parses to.
    const planted = `{"k":${JSON.stringify(k)},"t":${JSON.stringify(text)},"v":["l",1,1${',1,1,0'.repeat(300_000)}],"r":[1,1],"f":[]}`;
    assert.equal(decodeParsed(planted, text, file, 'team'), undefined);
    const deep = `${'["l",1,1,1,1,'.repeat(100_000)}0${']'.repeat(100_000)}`;
    const nested = `{"k":${JSON.stringify(k)},"t":${JSON.stringify(text)},"v":${deep},"r":[1,1],"f":[]}`;
    assert.equal(decodeParsed(nested, text, file, 'team'), undefined);
    assert.equal(decodeParsed(' '.repeat(64 * 1024 * 1024), text, file, 'team'), undefined);
    // The entry itself still reads back.
    assert.deepEqual(toPlain(decodeParsed(good, text, file, 'team')!.value!), { a: 1 });
  });
});
