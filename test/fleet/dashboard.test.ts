/**
 * The controller's web dashboard (`serve`, GET /dashboard), over real HTTP: a browser signs in with a user's API token
 * (a form; the token then lives in an HttpOnly, SameSite=Strict cookie for /dashboard only) and sees the environments,
 * their rollouts and the machines with their states. What a machine says about itself (its hostname) is shown
 * escaped, the page runs no script, and no token is ever in it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { enrollAgent, startFleet, waitFor } from '../support/fleet.js';

const HOSTILE = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';

describe('the dashboard', () => {
  it('shows a signed-in user the environments, rollouts and machines, escaped, with no script and no token in the page', { timeout: 120_000 }, async (t) => {
    const fleet = await startFleet({ db: 'sqlite' });
    t.after(() => fleet.close());
    const base = fleet.controller.url;
    const enrollToken = await fleet.token('enroll', 'development');
    // One machine applies and reports; another says its hostname is markup.
    const bob = await enrollAgent(fleet, join(fleet.root, 'bob'), { enrollToken, user: 'bob', team: 'frontend-team', project: 'web-application' });
    await bob.agent({ once: true }).run();
    const enrolled = await fetch(`${base}/api/v1/enroll`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${enrollToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'carol', team: 'frontend-team', hostname: HOSTILE }),
    });
    assert.equal(enrolled.status, 201, await enrolled.text());
    await waitFor(async () => (await fleet.controller.controller.fleetStatus({})).machines.some((m) => m.user === 'bob' && m.state === 'in_sync'), 30_000, 'bob in sync');

    // Not signed in: the sign-in form, and nothing of the fleet
    const anonymous = await fetch(`${base}/dashboard`);
    const signIn = await anonymous.text();
    assert.equal(anonymous.status, 401);
    assert.match(signIn, /<form method="post" action="\/dashboard\/login">/);
    assert.doesNotMatch(signIn, /frontend-team|bob/);
    assert.equal(anonymous.headers.get('content-security-policy'), "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    assert.equal(anonymous.headers.get('cache-control'), 'no-store');

    const login = (token: string) => fetch(`${base}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
    // A wrong token, an enroll token, a user with no role in access.yml: refused, the token never echoed
    const wrong = await login('not-a-token');
    assert.equal(wrong.status, 401);
    assert.ok(!(await wrong.text()).includes('not-a-token'));
    const notUser = await login(enrollToken);
    assert.equal(notUser.status, 403);
    assert.ok(!(await notUser.text()).includes(enrollToken));
    assert.equal((await login(await fleet.token('user', 'mallory'))).status, 403);

    // frank, a developer, signs in
    const frank = await fleet.token('user', 'frank');
    const signedIn = await login(frank);
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/dashboard');
    const cookie = signedIn.headers.get('set-cookie')!;
    assert.match(cookie, /^claude_env_dashboard=[^;]+; Max-Age=43200; Path=\/dashboard; HttpOnly; SameSite=Strict$/);
    const res = await fetch(`${base}/dashboard`, { headers: { Cookie: cookie.split(';')[0]! } });
    const html = await res.text();
    assert.equal(res.status, 200, html);
    assert.match(html, /signed in as frank/);
    // development: two machines, one in sync, one still applying; its first revision went out at once
    const env = /<tr><td><a href="\/dashboard\?env=development">development<\/a><\/td><td>([0-9a-f]{12})<\/td><td class="num">2<\/td><td class="num in_sync">1<\/td><td class="num applying">1<\/td>/.exec(html);
    assert.ok(env, html);
    assert.match(html, /<td>development<\/td><td>[0-9a-f]{12}<\/td><td>immediate<\/td><td class="in_sync">completed<\/td>/);
    assert.match(html, /<td>bob<\/td><td>[^<]*<\/td><td>[0-9a-f]{12}<\/td><td class="in_sync">in sync<\/td>/);
    // The hostile hostname is text, not markup; the page has no script at all, and no token
    assert.ok(html.includes('&lt;script&gt;alert(document.cookie)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'));
    assert.doesNotMatch(html, /<script|<img/i);
    for (const token of [frank, enrollToken, fleet.admin]) assert.ok(!html.includes(token), 'no token is in the page');

    // One environment only
    const dev = await (await fetch(`${base}/dashboard?env=production`, { headers: { Cookie: cookie.split(';')[0]! } })).text();
    assert.doesNotMatch(dev, /frontend-team/);

    // Signing out forgets the cookie
    const out = await fetch(`${base}/dashboard/logout`, { method: 'POST', headers: { Cookie: cookie.split(';')[0]! }, redirect: 'manual' });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /^claude_env_dashboard=; Max-Age=0; Path=\/dashboard/);
  });
});
