import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiAccess, toApiKeys } from './api-keys';
import { ApiKeyRequiredError, ApiKeyScopeError } from './errors';

const SECRET = 'k3y-0123456789abcdef';

describe('ApiAccess', () => {
  const access = new ApiAccess(
    toApiKeys([
      { name: 'reader', scopes: ['read'], secret: SECRET },
      { name: 'root', scopes: ['admin'], secret: `${SECRET}-root` },
    ]),
    false,
  );
  const authorize = (header: string | undefined, scope: 'read' | 'start' = 'read') =>
    access.authorize(header, scope, 'GET /x');

  it('names the key of a Bearer secret with the scope, or admin', () => {
    assert.equal(authorize(`Bearer ${SECRET}`), 'reader');
    assert.equal(authorize(`bearer ${SECRET}`), 'reader', 'the scheme is case-insensitive');
    assert.equal(authorize(`Bearer ${SECRET}-root`, 'start'), 'root');
  });

  it('answers 401 errors for a missing, malformed, empty, unknown or overlong key', () => {
    for (const header of [
      undefined,
      '',
      SECRET,
      `Basic ${SECRET}`,
      'Bearer',
      'Bearer    ',
      `Bearer ${SECRET}x`,
      `Bearer ${'a'.repeat(10_000)}`,
      `Bearer\t${SECRET}`,
    ]) {
      assert.throws(() => authorize(header), ApiKeyRequiredError, String(header).slice(0, 40));
    }
  });

  it('answers a 403 error naming the missing scope and the key', () => {
    assert.throws(
      () => authorize(`Bearer ${SECRET}`, 'start'),
      (error: unknown) =>
        error instanceof ApiKeyScopeError &&
        error.message === 'API key reader lacks the scope "start" that GET /x needs (it has read)',
    );
  });

  it('lets everything through as anonymous when no keys are configured', () => {
    assert.equal(new ApiAccess([], false).authorize(undefined, 'start', 'POST /x'), 'anonymous');
  });
});
