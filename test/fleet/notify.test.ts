/**
 * The controller sends the events it records through the channels of the
 * tracked revision's claude-env.yml: here a webhook receiver on 127.0.0.1
 * gets `sync.succeeded` and `sync.failed`, signed with the key the repo
 * names by reference and the controller resolves from its own environment;
 * the key is in no message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { commit, startFleet, waitFor } from '../support/fleet.js';
import { startReceiver } from '../support/receiver.js';

const HOOK_KEY = 'hook-key-canary-5e1d7a';

describe('notifications from the controller', () => {
  it('sends sync.succeeded and sync.failed to the webhook of claude-env.yml, signed, with no secret in them', { timeout: 60_000 }, async () => {
    const receiver = await startReceiver();
    const { got, url } = receiver;
    const fleet = await startFleet({ db: 'sqlite', serve: { env: { PATH: process.env['PATH'], HOOK_KEY } } });
    try {
      const good = commit(fleet.repo, 'claude-env.yml', (s) => s.replace('notifications:\n', `notifications:\n  - { type: webhook, url: "${url}", secret: !secret env:HOOK_KEY, on: [sync.succeeded, sync.failed] }\n`));
      await fleet.controller.controller.pollOnce();
      await waitFor(() => got.length >= 1, 10_000, 'sync.succeeded at the receiver');
      const bad = commit(fleet.repo, 'environments/development/config.yml', (s) => `${s}\nsettings: [oops\n`);
      await fleet.controller.controller.pollOnce();
      await waitFor(() => got.length >= 2, 10_000, 'sync.failed at the receiver');

      const events = got.map((g) => ({ type: g.headers['x-claude-env-event'], body: JSON.parse(g.body) as { type: string; detail: { revision: string } } }));
      assert.deepEqual(events.map((e) => [e.type, e.body.type, e.body.detail.revision]), [
        ['sync.succeeded', 'sync.succeeded', good],
        ['sync.failed', 'sync.failed', bad],
      ]);
      for (const g of got) {
        // The signature is the HMAC of the exact body with the key the controller resolved.
        assert.equal(g.headers['x-signature'], `sha256=${createHmac('sha256', HOOK_KEY).update(g.body).digest('hex')}`);
        assert.ok(!g.body.includes(HOOK_KEY) && !JSON.stringify(g.headers).includes(HOOK_KEY));
      }
    } finally {
      await fleet.close();
      await receiver.close();
    }
  });
});
