import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stableHash } from './stable-hash';

describe('stableHash', () => {
  it('ignores key order at every depth', () => {
    assert.equal(
      stableHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }),
      stableHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('tells different values apart, including array order', () => {
    assert.notEqual(stableHash({ a: 1 }), stableHash({ a: 2 }));
    assert.notEqual(stableHash([1, 2]), stableHash([2, 1]));
  });
});
