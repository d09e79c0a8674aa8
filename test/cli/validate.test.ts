/**
 * `claude-env validate` as a user runs it: text like a compiler, JSON with a
 * summary, SARIF 2.1.0 that validates against the official schema, and a
 * seed repo that validates clean.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initRepo } from '../../src/workspace/init.js';
import { cli, tempDir } from '../helpers.js';

const require = createRequire(import.meta.url);
const tmp = tempDir();
after(() => tmp.cleanup());

async function brokenRepo(): Promise<string> {
  const dir = join(tmp.dir, `repo-${Math.random().toString(36).slice(2)}`);
  await initRepo(dir, { PATH: process.env['PATH'] });
  writeFileSync(join(dir, 'projects/api-service/claude-config.yml'), 'settings:\n  modle: opus\n  permissions:\n    defaultMode: yolo\n    deny: ["mcp__github(x)"]\n');
  return dir;
}

describe('validate', () => {
  it('finds nothing in the seed repo and exits 0', async () => {
    const dir = join(tmp.dir, 'seed');
    await initRepo(dir, { PATH: process.env['PATH'] });
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, 'no findings\n');
  });

  it('prints findings like a compiler, sorted by place, with a summary, and exits 1', async () => {
    const r = await cli(['validate', '--repo', await brokenRepo()]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        'projects/api-service/claude-config.yml:2:3  warning  settings-unknown-key  Claude Code has no setting "modle"; did you mean "model"?',
        'projects/api-service/claude-config.yml:4:18  error  schema  must be one of: default, acceptEdits, plan, auto, dontAsk, bypassPermissions',
        'projects/api-service/claude-config.yml:5:12  error  permission-rule  invalid permission rule "mcp__github(x)": MCP rules take no parentheses; use mcp__server, mcp__server__* or mcp__server__tool (Claude Code drops it)',
        '2 error(s), 1 warning(s)',
        '',
      ].join('\n'),
    );
  });

  it('gives the JSON shape of SPEC.md with --format json', async () => {
    const r = await cli(['validate', '--repo', await brokenRepo(), '--format', 'json']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { findings: Array<Record<string, unknown>>; summary: Record<string, number> };
    assert.deepEqual(report.summary, { errors: 2, warnings: 1 });
    assert.deepEqual(Object.keys(report.findings[0]!).sort(), ['column', 'file', 'line', 'message', 'rule', 'severity']);
    assert.deepEqual(report.findings[1], {
      rule: 'schema',
      severity: 'error',
      file: 'projects/api-service/claude-config.yml',
      line: 4,
      column: 18,
      message: 'must be one of: default, acceptEdits, plan, auto, dontAsk, bypassPermissions',
    });
  });

  it("applies the org's own schemas from schemas/, and reports one that cannot load", async () => {
    const dir = join(tmp.dir, 'org-schemas');
    await initRepo(dir, { PATH: process.env['PATH'] });
    mkdirSync(join(dir, 'schemas'), { recursive: true });
    // The org wants every persona to pin a model.
    writeFileSync(join(dir, 'schemas', 'persona.schema.json'), JSON.stringify({ type: 'object', required: ['model'] }));
    writeFileSync(join(dir, 'base/personas/scribe.yml'), 'description: Writes release notes\nprompt: You write release notes.\n');
    writeFileSync(join(dir, 'schemas', 'members.schema.json'), '{ "type": "object", ');
    const r = await cli(['validate', '--repo', dir]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        'base/personas/scribe.yml:1:1  error  org-schema  missing key "model" (schemas/persona.schema.json)',
        'schemas/members.schema.json:1:1  error  org-schema-load  not valid JSON: ' + r.stdout.split('not valid JSON: ')[1]!.split('\n')[0],
        '2 error(s), 0 warning(s)',
        '',
      ].join('\n'),
    );
  });

  it('writes SARIF 2.1.0 that validates against the SARIF JSON Schema', async () => {
    const r = await cli(['validate', '--repo', await brokenRepo(), '--format', 'sarif']);
    assert.equal(r.code, 1);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string; level: string; locations: unknown[] }> }> };
    const Ajv4 = require('ajv-draft-04') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
    const addFormats = require('ajv-formats') as { default: (a: unknown) => void };
    const ajv = new Ajv4({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats.default(ajv);
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
    const validate = ajv.compile(schema);
    assert.equal(validate(sarif), true, JSON.stringify(validate.errors, null, 2));
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(
      sarif.runs[0]!.results.map((x) => [x.ruleId, x.level]),
      [
        ['settings-unknown-key', 'warning'],
        ['schema', 'error'],
        ['permission-rule', 'error'],
      ],
    );
    assert.deepEqual(sarif.runs[0]!.results[1]!.locations, [
      { physicalLocation: { artifactLocation: { uri: 'projects/api-service/claude-config.yml', uriBaseId: '%SRCROOT%' }, region: { startLine: 4, startColumn: 18 } } },
    ]);
  });
});
