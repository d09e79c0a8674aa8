/**
 * validateRepo keeps everything of one validation to itself (the org's
 * schemas above all): validations of several repos may run at once in one
 * long-lived process (the controller, the agent) and each sees its own repo.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repo } from '../repo/repo.js';
import { memorySource } from '../repo/source.js';
import { validateRepo } from './index.js';

/** The same documents in both repos; only the org's schemas differ. */
const DOCUMENTS: Record<string, string> = {
  'claude-env.yml': 'version: 1\n',
  'base/config.yml': 'settings:\n  model: sonnet\n  theme: light\n',
};
/** Repo A's org wants the dark theme (its document breaks that); repo B's wants opus (its document breaks that). */
const SCHEMAS = {
  a: { properties: { settings: { properties: { theme: { const: 'dark' } } } } },
  b: { properties: { settings: { properties: { model: { const: 'opus' } } } } },
};
const repoWith = (schema: object): Repo => new Repo(memorySource({ ...DOCUMENTS, 'schemas/config.schema.json': JSON.stringify(schema) }));
const orgFindings = (r: Awaited<ReturnType<typeof validateRepo>>) => r.findings.filter((f) => f.rule === 'org-schema').map((f) => `${f.file}:${f.line}:${f.column} ${f.message}`);

describe('validateRepo', () => {
  it('two validations of two repos with different org schemas at once in one process each get their own findings', async () => {
    const [a, b] = await Promise.all([validateRepo(repoWith(SCHEMAS.a)), validateRepo(repoWith(SCHEMAS.b))]);
    assert.deepEqual(orgFindings(a), ['base/config.yml:3:10 must be "dark" (schemas/config.schema.json)']);
    assert.deepEqual(orgFindings(b), ['base/config.yml:2:10 must be "opus" (schemas/config.schema.json)']);
  });

  it('gives each of many validations at once the findings it gives alone', async () => {
    const repos = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? SCHEMAS.a : SCHEMAS.b));
    const alone: string[][] = [];
    for (const s of repos) alone.push(orgFindings(await validateRepo(repoWith(s))));
    const together = await Promise.all(repos.map(async (s) => orgFindings(await validateRepo(repoWith(s)))));
    assert.deepEqual(together, alone);
    assert.notDeepEqual(alone[0], alone[1]);
  });

  it('an org schema of one repo is not applied to a repo without schemas validated at the same time', async () => {
    const [withSchema, without] = await Promise.all([validateRepo(repoWith(SCHEMAS.b)), validateRepo(new Repo(memorySource(DOCUMENTS)))]);
    assert.equal(orgFindings(withSchema).length, 1);
    assert.deepEqual(orgFindings(without), []);
  });
});
