import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetCommits } from './offset-commits';

/** A consumer that records what it was asked to commit. */
function recordingConsumer(fail = false) {
  const commits: { topic: string; partition: number; offset: string }[][] = [];
  return {
    commits,
    commitOffsets: (offsets: { topic: string; partition: number; offset: string }[]) => {
      commits.push(offsets);
      return fail ? Promise.reject(new Error('rebalancing')) : Promise.resolve();
    },
  };
}

describe('OffsetCommits', () => {
  it('commits the offset after the last handled record of each partition, once per interval', async () => {
    const consumer = recordingConsumer();
    const commits = new OffsetCommits(consumer, (e) => assert.fail(String(e)), 20);
    await commits.handled('t', 0, '4', () => Promise.resolve());
    await commits.handled('t', 0, '5', () => Promise.resolve());
    await commits.handled('t', 1, '9', () => Promise.resolve());
    assert.deepEqual(consumer.commits, [], 'nothing before the interval');
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual(consumer.commits, [
      [
        { topic: 't', partition: 0, offset: '6' },
        { topic: 't', partition: 1, offset: '10' },
      ],
    ]);
  });

  it('commits at once on flush, and commits nothing when nothing was handled', async () => {
    const consumer = recordingConsumer();
    const commits = new OffsetCommits(consumer, (e) => assert.fail(String(e)), 60_000);
    await commits.flush();
    assert.deepEqual(consumer.commits, [], 'idle: no commit');
    await commits.handled('t', 2, '0', () => Promise.resolve());
    await commits.flush();
    assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 2, offset: '1' }]]);
  });

  it('hands a failed commit to onError and keeps going', async () => {
    const consumer = recordingConsumer(true);
    const errors: unknown[] = [];
    const commits = new OffsetCommits(consumer, (e) => errors.push(e), 60_000);
    await commits.handled('t', 0, '1', () => Promise.resolve());
    await commits.flush();
    await commits.handled('t', 0, '2', () => Promise.resolve());
    await commits.flush();
    assert.equal(errors.length, 2);
    assert.deepEqual(consumer.commits.at(-1), [{ topic: 't', partition: 0, offset: '3' }]);
  });

  it('leaves: waits for the records being handled, then commits them', async () => {
    const consumer = {
      ...recordingConsumer(),
      pause: () => {},
      disconnect: () => Promise.resolve(),
    };
    const commits = new OffsetCommits(consumer, (e) => assert.fail(String(e)), 60_000);
    let finish!: () => void;
    const handling = commits.handled('t', 0, '7', () => new Promise((r) => (finish = r)));
    let drained = false;
    const draining = commits.leave(consumer, ['t']).then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false, 'still handling');
    finish();
    await handling;
    await draining;
    assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: '8' }]]);
  });
});
