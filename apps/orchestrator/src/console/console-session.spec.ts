import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiAccess, parseApiKeys, toApiKeys } from '../auth/api-keys';
import { ConsoleSessions, hasScope, SESSION_TTL_MS } from './console-session';

const { entries } = parseApiKeys({
  env: 'ops:read+operate:ops-secret-0123456789,viewer:read:viewer-secret-012345,bot:start:bot-secret-0123456789',
});
const access = new ApiAccess(toApiKeys(entries), false);

describe('console sessions', () => {
  it('signs in with a known secret and names the key, never holding the secret', () => {
    const sessions = new ConsoleSessions(access);
    const cookie = sessions.signIn('ops-secret-0123456789')!;
    assert.ok(!cookie.includes('ops-secret'));
    const viewer = sessions.viewer(cookie)!;
    assert.equal(viewer.name, 'ops');
    assert.ok(hasScope(viewer, 'operate'));
    assert.ok(ConsoleSessions.csrfMatches(viewer, viewer.csrfToken));
    assert.ok(!ConsoleSessions.csrfMatches(viewer, 'x'.repeat(viewer.csrfToken.length)));
    assert.ok(!ConsoleSessions.csrfMatches(viewer, undefined));
  });

  it('refuses unknown secrets and keys without read', () => {
    const sessions = new ConsoleSessions(access);
    assert.equal(sessions.signIn('not-a-configured-secret'), undefined);
    assert.equal(sessions.signIn('bot-secret-0123456789'), undefined);
  });

  it('refuses forged, altered and expired cookies', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions(access, () => now);
    const cookie = sessions.signIn('viewer-secret-012345')!;
    assert.ok(!hasScope(sessions.viewer(cookie)!, 'operate'));
    assert.equal(
      sessions.viewer(cookie.replace('viewer', 'ops')),
      undefined,
      'renamed to a stronger key',
    );
    const [v, name, expires, sig] = cookie.split('.');
    assert.equal(sessions.viewer([v, name, Number(expires) + 1, sig].join('.')), undefined);
    assert.equal(sessions.viewer(`${cookie}.x`), undefined);
    assert.equal(sessions.viewer(undefined), undefined);
    now += SESSION_TTL_MS;
    assert.equal(sessions.viewer(cookie), undefined, 'expired');
  });

  it('gives an open console an anonymous viewer with every scope, bound to its random cookie', () => {
    const sessions = new ConsoleSessions(new ApiAccess([], false));
    const cookie = sessions.openCookie();
    const viewer = sessions.viewer(cookie)!;
    assert.equal(viewer.name, 'anonymous');
    assert.ok(hasScope(viewer, 'operate'));
    assert.notEqual(sessions.viewer(sessions.openCookie())!.csrfToken, viewer.csrfToken);
    assert.equal(sessions.viewer('v1.ops.1.x'), undefined);
  });
});
