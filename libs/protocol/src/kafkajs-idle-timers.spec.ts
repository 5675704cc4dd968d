import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixKafkajsIdleTimers } from './kafkajs-idle-timers';

interface Queue {
  requestTimeoutIntervalId: NodeJS.Timeout | undefined;
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  scheduleRequestTimeoutCheck(): void;
  destroy(): void;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}
type QueueClass = { new (options: object): Queue; prototype: Queue };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as QueueClass;
const newQueue = () => {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  return new RequestQueue({
    clientId: 'spec',
    broker: 'spec:9092',
    logger,
    requestTimeout: 10_000,
    enforceRequestTimeout: true,
  });
};
const clear = (queue: Queue) => {
  clearTimeout(queue.throttleCheckTimeoutId ?? undefined);
  queue.throttleCheckTimeoutId = null;
};

describe('fixKafkajsIdleTimers', () => {
  it('kafkajs as installed arms a timer on an idle connection (the bug), and no more once fixed', () => {
    const buggy = newQueue();
    buggy.scheduleCheckPendingRequests();
    const armedBeforeFix = buggy.throttleCheckTimeoutId !== null;
    clear(buggy);

    assert.equal(fixKafkajsIdleTimers(), true);
    assert.equal(fixKafkajsIdleTimers(), true, 'a second call changes nothing');
    const idle = newQueue();
    idle.scheduleCheckPendingRequests();
    assert.equal(idle.throttleCheckTimeoutId, null, 'nothing pending, not throttled: no timer');
    // the installed kafkajs is 2.2.4, the release with the loop (package-lock.json)
    assert.equal(armedBeforeFix, true);
  });

  it('still looks again at pending requests, and when a throttle ends', () => {
    fixKafkajsIdleTimers();
    const pending = newQueue();
    pending.pending.push({});
    pending.scheduleCheckPendingRequests();
    assert.notEqual(pending.throttleCheckTimeoutId, null);
    clear(pending);

    const throttled = newQueue();
    throttled.throttledUntil = Date.now() + 5_000;
    throttled.scheduleCheckPendingRequests();
    assert.notEqual(throttled.throttleCheckTimeoutId, null);
    clear(throttled);
  });

  it('looks for timed-out requests once a second, not every 100 ms, and still times them out', async () => {
    fixKafkajsIdleTimers();
    const queue = newQueue();
    let timedOut = 0;
    queue.inflight.set(1, { sentAt: 0, requestTimeout: 10_000, timeoutRequest: () => timedOut++ });
    queue.scheduleRequestTimeoutCheck();
    const interval = queue.requestTimeoutIntervalId as unknown as { _idleTimeout: number };
    assert.equal(interval._idleTimeout, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    queue.destroy();
    assert.equal(timedOut, 1);
  });

  it('leaves a kafkajs it does not know alone, and one it cannot find', () => {
    const other = { prototype: { scheduleCheckPendingRequests() {} } };
    const before = other.prototype.scheduleCheckPendingRequests;
    assert.equal(
      fixKafkajsIdleTimers(() => other),
      false,
    );
    assert.equal(other.prototype.scheduleCheckPendingRequests, before);
    assert.equal(
      fixKafkajsIdleTimers(() => {
        throw new Error('Cannot find module');
      }),
      false,
    );
  });
});
