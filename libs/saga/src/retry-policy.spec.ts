import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, compileRetryPolicy, FORWARD_RETRY_DEFAULTS } from './retry-policy';

describe('backoffDelayMs', () => {
  const exp = compileRetryPolicy(
    { initialMs: 100, maxMs: 1_000, jitter: 'none' },
    FORWARD_RETRY_DEFAULTS,
  );

  it('doubles from initialMs and stops at maxMs', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(exp, a, () => 0.5)),
      [100, 200, 400, 800, 1_000, 1_000],
    );
  });

  it('spreads the delay uniformly below the cap with full jitter', () => {
    const full = compileRetryPolicy({ initialMs: 100, maxMs: 1_000 }, FORWARD_RETRY_DEFAULTS);
    assert.equal(
      backoffDelayMs(full, 3, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(full, 3, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelayMs(full, 3, () => 0.999),
      399,
    );
  });

  it('keeps a fixed delay when asked', () => {
    const fixed = compileRetryPolicy(
      { backoff: 'fixed', initialMs: 250, jitter: 'none' },
      FORWARD_RETRY_DEFAULTS,
    );
    assert.equal(backoffDelayMs(fixed, 1, Math.random), 250);
    assert.equal(backoffDelayMs(fixed, 7, Math.random), 250);
  });
});
