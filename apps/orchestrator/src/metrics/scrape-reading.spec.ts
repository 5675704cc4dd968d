import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScrapeReading } from './scrape-reading';

/** A read the test answers by hand: `answer(i)` settles the i-th read started. */
function manualRead() {
  const pending: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const read = () =>
    new Promise<number>((resolve, reject) => void pending.push({ resolve, reject }));
  return { read, pending };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
const ignore = () => {};

describe('ScrapeReading', () => {
  it('shares one read between concurrent scrapes and reads again only after the interval', async () => {
    const { read, pending } = manualRead();
    const reading = new ScrapeReading(read, { minIntervalMs: 50, waitMs: 1_000, onError: ignore });
    const scrapes = [reading.current(), reading.current()];
    await tick();
    assert.equal(pending.length, 1, 'one read for both');
    pending[0].resolve(7);
    assert.deepEqual(await Promise.all(scrapes), [7, 7]);
    assert.equal(await reading.current(), 7, 'within the interval: the last value');
    assert.equal(pending.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const next = reading.current();
    await tick();
    assert.equal(pending.length, 2, 'after the interval: a new read');
    pending[1].resolve(8);
    assert.equal(await next, 8);
  });

  it('answers after waitMs with the last value while a read hangs; the late value serves the next', async () => {
    const { read, pending } = manualRead();
    const reading = new ScrapeReading(read, { minIntervalMs: 0, waitMs: 20, onError: ignore });
    const first = reading.current();
    await tick();
    pending[0].resolve(1);
    assert.equal(await first, 1);
    const started = Date.now();
    assert.equal(await reading.current(), 1, 'the read hangs: the last value');
    assert.ok(Date.now() - started < 500, `waited ${Date.now() - started} ms`);
    assert.equal(await reading.current(), 1, 'no second read while one is in flight');
    assert.equal(pending.length, 2);
    pending[1].resolve(2);
    await tick();
    const third = reading.current();
    await tick();
    pending[2].resolve(3);
    assert.equal(await third, 3);
  });

  it('keeps the last value when a read fails, tells onError and never rejects', async () => {
    const { read, pending } = manualRead();
    const errors: string[] = [];
    const reading = new ScrapeReading(read, {
      minIntervalMs: 0,
      waitMs: 1_000,
      onError: (e) => errors.push((e as Error).message),
    });
    const first = reading.current();
    await tick();
    pending[0].resolve(5);
    assert.equal(await first, 5);
    const failing = reading.current();
    await tick();
    pending[1].reject(new Error('connection refused'));
    assert.equal(await failing, 5);
    assert.deepEqual(errors, ['connection refused']);
  });

  it('is undefined until a read succeeded, also when the reader throws at once', async () => {
    const reading = new ScrapeReading<number>(
      () => {
        throw new Error('no client');
      },
      { minIntervalMs: 0, waitMs: 1_000, onError: ignore },
    );
    assert.equal(await reading.current(), undefined);
  });
});
