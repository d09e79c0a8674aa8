/**
 * No secret leaves the file that needs it: a canary `!secret env:` value and
 * a canary `!encrypted` value reach the agent's output file, and appear in
 * no API response, no row of the store, no log line of the controller or the
 * agent, and no report or file the agent keeps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers.js';
import { commit, enrollAgent, git, startFleet } from '../support/fleet.js';

const ENV_CANARY = 'canary-env-7f3a9c1e5d';
const AGE_CANARY = 'canary-age-2b8e6d4f0a';

/** Every file under a dir, as bytes joined (to search for a canary). */
function allBytes(dir: string): string {
  let out = '';
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out += readFileSync(p).toString('latin1');
    }
  };
  walk(dir);
  return out;
}

describe('secrets in the fleet', () => {
  it('reach the output files on the machine and nothing else: API answers, store, logs, reports', { timeout: 120_000 }, async () => {
    const logs: string[] = [];
    const fleet = await startFleet({ db: 'sqlite', serve: { log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })) } });
    const answers: string[] = [];
    try {
      // An age identity on the machine; the repo's recipients get its public key.
      const identity = join(fleet.root, 'age.key');
      execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
      const recipient = /public key: (age1\w+)/.exec(readFileSync(identity, 'utf8'))![1]!;
      commit(fleet.repo, 'claude-env.yml', (s) => s.replace('#   age:\n#     recipients:\n#       - <age public key of the platform team>', `  age:\n    recipients:\n      - ${recipient}`));
      const enc = await cli(['secret', 'encrypt', '--repo', fleet.repo], { cwd: fleet.repo, stdin: AGE_CANARY });
      assert.equal(enc.code, 0, enc.stderr);
      const encrypted = enc.stdout.trim().split('\n').join('\n    ');
      const head = commit(fleet.repo, 'teams/frontend-team/base-config.yml', (s) => s.replace(/^settings:\n/m, `settings:\n  env:\n    CANARY_FROM_ENV: !secret env:CANARY_SOURCE\n    CANARY_ENCRYPTED: ${encrypted}\n`));
      assert.equal(git(fleet.repo, ['rev-parse', 'HEAD']), head);
      await fleet.controller.controller.pollOnce();
      assert.equal((await fleet.store.environments()).find((e) => e.name === 'development')?.revision, head, (await fleet.store.syncs(5)).map((s) => s.findings).join('\n'));

      const enrollToken = await fleet.token('enroll', 'development');
      const a = await enrollAgent(fleet, join(fleet.root, 'machine'), { enrollToken, user: 'bob', team: 'frontend-team', env: { CANARY_SOURCE: ENV_CANARY } });
      // Every answer the agent gets, kept to search.
      const recording: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        answers.push(await res.clone().text());
        return res;
      };
      const agentLog: string[] = [];
      const r = await a.agent({ once: true, fetch: recording, identity, log: (e, f) => agentLog.push(JSON.stringify({ e, ...f })) }).run();
      assert.equal(r.applied?.result, 'ok', r.applied?.error_code ?? '');

      // The output file has both values, and is 0600.
      const settings = join(a.home, '.claude', 'settings.json');
      const written = JSON.parse(readFileSync(settings, 'utf8')) as { env: Record<string, string> };
      assert.equal(written.env['CANARY_FROM_ENV'], ENV_CANARY);
      assert.equal(written.env['CANARY_ENCRYPTED'], AGE_CANARY);
      assert.equal(statSync(settings).mode & 0o777, 0o600);

      // Every API answer a user can get.
      for (const path of ['/api/v1/fleet/status', `/api/v1/machines/${a.machineId}`, '/api/v1/syncs', '/api/v1/events', '/api/v1/audit', '/api/v1/tokens', '/metrics', '/ready']) {
        const res = await fetch(`${fleet.controller.url}${path}`, { headers: { Authorization: `Bearer ${fleet.admin}` } });
        assert.equal(res.status, 200, path);
        answers.push(await res.text());
      }
      await fleet.controller.controller.flush();
      const store = fleet.store;
      const rows = JSON.stringify([await store.listMachines({}), await store.reports(a.machineId), await store.syncs(), await store.auditLog(), await store.events(), await store.listTokens(), await store.environments()]);
      // The SQLite database itself, its write-ahead log included.
      const dbBytes = readdirSync(fleet.root).filter((n) => n.includes('.db')).map((n) => readFileSync(join(fleet.root, n)).toString('latin1')).join('');
      const agentFiles = allBytes(a.stateDir);
      for (const [where, text] of Object.entries({ answers: answers.join('\n'), rows, dbBytes, controllerLog: logs.join('\n'), agentLog: agentLog.join('\n'), agentFiles })) {
        assert.ok(text.length > 0, `${where} was looked at`);
        assert.ok(!text.includes(ENV_CANARY), `the env secret is not in ${where}`);
        assert.ok(!text.includes(AGE_CANARY), `the age secret is not in ${where}`);
      }
      // The agent got the references, not the values.
      assert.ok(answers.some((t) => t.includes('!secret env:CANARY_SOURCE')));
    } finally {
      await fleet.close();
    }
  });
});
