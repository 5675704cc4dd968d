import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doublingDelayMs } from './backoff';

describe('doublingDelayMs', () => {
  it('starts at initialMs after the first failure, doubles, and stops at maxMs', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((failures) => doublingDelayMs(500, 10_000, failures)),
      [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000],
    );
  });
});
