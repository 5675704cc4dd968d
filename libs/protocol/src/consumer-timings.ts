/**
 * The kafkajs consumer timings every Skald consumer uses (orchestrator, SDK, the bench's
 * baselines). A fetch waits at the broker until a record arrives (minBytes 1) or this long:
 * records are answered at once whatever it is, so it only sets how often an idle consumer asks
 * (once a second, not twenty times). A crashed member holds its partitions until its session
 * expires: keep that short; heartbeats at a third of it, as Kafka advises (a heartbeat can wait
 * behind a fetch on the broker's connection, at most maxWaitTimeInMs).
 */
export const CONSUMER_TIMINGS = {
  maxWaitTimeInMs: 1_000,
  sessionTimeout: 10_000,
  heartbeatInterval: 3_000,
} as const;
