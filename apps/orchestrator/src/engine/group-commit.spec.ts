import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes a lone request at once and groups the ones arriving meanwhile', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(async (inputs) => {
      batches.push(inputs);
      await new Promise((r) => setTimeout(r, 10));
      return inputs.map((n) => ({ ok: n * 2 }));
    }, 3);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => group.submit(n)));
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    assert.deepEqual(batches, [[1], [2, 3, 4], [5]]);
  });

  it('fails only the item that failed, and every item when the whole write fails', async () => {
    const group = new GroupCommit<number, number>((inputs) => {
      if (inputs.includes(99)) return Promise.reject(new Error('database down'));
      return Promise.resolve(
        inputs.map((n) => (n < 0 ? { error: new Error(`bad ${n}`) } : { ok: n })),
      );
    }, 10);
    const [good, bad] = await Promise.allSettled([group.submit(1), group.submit(-1)]);
    assert.deepEqual(good, { status: 'fulfilled', value: 1 });
    assert.equal(bad.status, 'rejected');
    await assert.rejects(group.submit(99), /database down/);
  });
});
