// kafkajs 2.2.4 (its last release) re-arms a timer of 1 ms on every broker connection for as
// long as the connection lives, when nothing is pending and nothing is throttled: its
// RequestQueue.scheduleCheckPendingRequests computes `throttledUntil - now` (negative) and
// schedules itself again with it (tulios/kafkajs#1556, fixes proposed in #1667 and #1768, never
// released). An idle process with a producer and a consumer spends ~5–15 % of a core on it, and a
// busy one competes with it for the CPU. This replaces that one method with the upstream fix:
// with nothing pending and no throttle there is nothing to check later (a request that cannot be
// sent at once is pending, and a fulfilled request checks the queue again).
// It also looks for timed-out requests every 100 ms on every connection, busy or not (10 wake-ups
// a second each, a few dozen in a process): once a second is enough for timeouts of 10 s and more
// (requestTimeout and kafkajs' own per-request ones), so that check runs at most once a second.

/** The loop's own line: present only in the kafkajs releases that have the bug. */
const BUGGY_LINE = 'let scheduleAt = this.throttledUntil - Date.now()';
/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL (ms): how soon pending requests are looked at again. */
const CHECK_PENDING_MS = 10;
/** How often each connection looks for timed-out requests (kafkajs: min(requestTimeout, 100)). */
const TIMEOUT_CHECK_MS = 1_000;
const BUGGY_TIMEOUT_CHECK = 'Math.min(this.requestTimeout, 100)';
const FIXED = Symbol.for('skald.kafkajs.idleTimersFixed');

interface InflightRequest {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueShape {
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  requestTimeoutIntervalId: NodeJS.Timeout | undefined;
  inflight: Map<number, InflightRequest>;
  isConnected(): boolean;
  destroy(): void;
  scheduleRequestTimeoutCheck(): void;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * Fixes the idle timer loop of the kafkajs that `require` resolves (by default the one next to
 * this package, which is the one an application's `node_modules` holds). Idempotent; leaves any
 * other kafkajs version alone. Returns whether the kafkajs found is now free of the loop.
 */
export function fixKafkajsIdleTimers(load: (id: string) => unknown = require): boolean {
  let RequestQueue: { prototype: RequestQueueShape & { [FIXED]?: true } };
  try {
    RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as typeof RequestQueue;
  } catch {
    return false; // no kafkajs, or one laid out differently
  }
  const queue = RequestQueue.prototype;
  if (queue[FIXED]) return true;
  if (
    !String(queue.scheduleCheckPendingRequests).includes(BUGGY_LINE) ||
    !String(queue.scheduleRequestTimeoutCheck).includes(BUGGY_TIMEOUT_CHECK)
  )
    return false;
  queue.scheduleCheckPendingRequests = function (this: RequestQueueShape) {
    if (this.throttleCheckTimeoutId) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    if (this.pending.length === 0 && untilUnthrottled <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_MS,
    );
  };
  queue.scheduleRequestTimeoutCheck = function (this: RequestQueueShape) {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this.requestTimeoutIntervalId = setInterval(
      () => {
        for (const request of this.inflight.values())
          if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
        if (!this.isConnected()) this.destroy();
      },
      Math.min(this.requestTimeout, TIMEOUT_CHECK_MS),
    );
  };
  queue[FIXED] = true;
  return true;
}
