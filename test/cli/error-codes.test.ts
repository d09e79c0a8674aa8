/**
 * Errors carry a code and the boundary decides: src/error-codes.ts is the one
 * table from an error's code to its exit code (and to the HTTP status the
 * controller will answer). Every code the source throws must be in it, so a
 * code added later fails here until it is placed; an exit code passed to an
 * error is ignored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { after } from 'node:test';
import { ROOT, cli, fixture, tempDir } from '../helpers.js';
import { ERROR_CODES, exitCodeOf, httpStatusOf } from '../../src/error-codes.js';
import { ClaudeEnvError } from '../../src/errors.js';
import { RULES } from '../../src/validate/registry.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !/\.(test|prop\.test|case)\.ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** The string literals an expression can be (`'a'`, `c ? 'a' : 'b'`); none for anything else. */
function literals(e: ts.Expression | undefined): string[] {
  if (e === undefined) return [];
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
  if (ts.isConditionalExpression(e)) return [...literals(e.whenTrue), ...literals(e.whenFalse)];
  if (ts.isParenthesizedExpression(e)) return literals(e.expression);
  return [];
}

/**
 * Every error code written in src/: the first argument of `new
 * ClaudeEnvError(…)`, the code of `wrapError(step, err, code)`, and the rule
 * id of a finding (`rule: '…'`, which becomes an error's code when a command
 * stops on it). Each with where it is written.
 */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const note = (codes: string[], n: ts.Node): void => {
      for (const c of codes) if (!found.has(c)) found.set(c, `${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(n.getStart(source)).line + 1}`);
    };
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n) && n.expression.getText(source) === 'ClaudeEnvError') note(literals(n.arguments?.[0]), n);
      if (ts.isCallExpression(n) && n.expression.getText(source) === 'wrapError') note(literals(n.arguments[2]), n);
      if (ts.isPropertyAssignment(n) && n.name.getText(source) === 'rule') note(literals(n.initializer), n);
      ts.forEachChild(n, visit);
    };
    visit(source);
  }
  return found;
}

describe('the error code table (src/error-codes.ts)', () => {
  it('lists every error code the source throws', () => {
    const codes = codesInSource();
    assert.ok(codes.has('lock-held') && codes.has('unsafe-path') && codes.size > 40, 'the source is read');
    const missing = [...codes].filter(([code]) => !Object.hasOwn(ERROR_CODES, code)).map(([code, where]) => `${code} (${where})`);
    assert.deepEqual(missing, []);
  });

  it('lists every finding id of the validation rules as a finding: exit 1, HTTP 422', () => {
    const ids = RULES.flatMap((r) => Object.keys(r.findings));
    assert.ok(ids.length > 30);
    assert.deepEqual(
      ids.filter((id) => exitCodeOf(id) !== 1 || httpStatusOf(id) !== 422),
      [],
    );
  });

  it('gives the exit codes the commands have always exited with', () => {
    // 1: the config may not be written or edited (SPEC.md: findings and denials)
    for (const code of ['target-refused', 'unsafe-path', 'schema-invalid', 'members-shape', 'members-edit', 'yaml-syntax', 'merge-type-change']) assert.equal(exitCodeOf(code), 1, code);
    // 2: usage and operational errors, a held lock among them (SPEC.md)
    for (const code of ['usage', 'lock-held', 'lock-failed', 'unknown-target', 'not-config-repo', 'secret-unresolved', 'access-policy', 'git', 'internal', 'io-error', 'write-failed', 'state-corrupt']) assert.equal(exitCodeOf(code), 2, code);
  });

  it('maps each code to an HTTP status of its kind, and a code it does not know to exit 2 and 500', () => {
    assert.deepEqual(
      ['usage', 'unknown-target', 'member-exists', 'lock-held', 'target-refused', 'access-policy', 'internal', 'unauthorized', 'forbidden', 'too-large', 'unavailable'].map((c) => [c, httpStatusOf(c)]),
      [
        ['usage', 400],
        ['unknown-target', 404],
        ['member-exists', 409],
        ['lock-held', 423],
        ['target-refused', 422],
        ['access-policy', 422],
        ['internal', 500],
        ['unauthorized', 401],
        ['forbidden', 403],
        ['too-large', 413],
        ['unavailable', 503],
      ],
    );
    for (const [code, e] of Object.entries(ERROR_CODES)) assert.ok([400, 401, 403, 404, 409, 413, 422, 423, 500, 503].includes(e.http) && (e.exit === 1 || e.exit === 2), code);
    // A denial by the controller exits 1, like access check's.
    assert.deepEqual([exitCodeOf('unauthorized'), exitCodeOf('forbidden')], [1, 1]);
    assert.equal(exitCodeOf('no-such-code'), 2);
    assert.equal(httpStatusOf('no-such-code'), 500);
    assert.equal(exitCodeOf('__proto__'), 2);
  });

  it('decides the exit code from the code alone: an error carries a code and a place, never an exit code', () => {
    const held = new ClaudeEnvError('lock-held', 'another claude-env is running', { file: '/h/.claude-env/lock' });
    assert.deepEqual(held.toJSON(), { error: { code: 'lock-held', message: 'another claude-env is running', file: '/h/.claude-env/lock' } });
    assert.ok(!('exitCode' in held));
    assert.equal(exitCodeOf(held.code), 2);
    assert.equal(exitCodeOf(new ClaudeEnvError('unsafe-path', '../x leads out of its folder').code), 1);
  });
});

const tmp = tempDir('claude-env-codes-');
after(() => tmp.cleanup());

describe('claude-env exit codes at the boundary', () => {
  it('exits 2 for an unknown target, 1 for a layer with a YAML error, 2 for an unreadable access.yml, each with its code on stderr', async () => {
    // unknown-target: a usage error, exit 2
    const unknown = await cli(['render', '--repo', fixture('merge-rules'), '--env', 'qa']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^claude-env: unknown-target {2}unknown environment "qa"/);
    // --json: the same error as JSON, the same exit code
    const json = await cli(['render', '--repo', fixture('merge-rules'), '--env', 'qa', '--json']);
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stderr) as { error: { code: string } }).error.code, 'unknown-target');
    // a YAML error in a layer of the target: the render stops on the finding, exit 1
    const repo = join(tmp.dir, 'repo');
    assert.equal((await cli(['init', repo])).code, 0);
    appendFileSync(join(repo, 'users/alice/overrides.yml'), 'broken: [\n');
    const refused = await cli(['render', '--repo', repo, '--env', 'development', '--team', 'frontend-team', '--user', 'alice']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^claude-env: users\/alice\/overrides\.yml:\d+:\d+  yaml-syntax  /);
    // access.yml that cannot be read: access refuses to decide, exit 2, the finding's rule in the message
    appendFileSync(join(repo, 'access.yml'), 'broken: [\n');
    const policy = await cli(['access', 'codeowners', '--repo', repo]);
    assert.equal(policy.code, 2);
    assert.match(policy.stderr, /^claude-env: access\.yml:\d+:\d+  access-policy  yaml-syntax: /);
  });
});
