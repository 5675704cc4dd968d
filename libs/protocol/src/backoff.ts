// The one backoff formula of Skald: saga step retries, 2PC re-sends of a decision, a
// participant's in-doubt questions to the coordinator, and every reconnect or re-check loop
// (doublingDelayMs) grow their delays with it.
// Pure: the caller passes the jitter source (the saga model may not call Math.random itself).

/** How a delay grows from one attempt to the next. */
export interface BackoffPolicy {
  readonly backoff: 'exponential' | 'fixed';
  /** Delay after the first failed attempt. */
  readonly initialMs: number;
  /** Cap on any delay. */
  readonly maxMs: number;
  /** 'full': a uniform delay between 0 and the computed one (spreads retry storms). */
  readonly jitter: 'full' | 'none';
}

/** Delay before the attempt after `failedAttempt` (1-based); `random` returns [0, 1). */
export function backoffDelayMs(
  policy: BackoffPolicy,
  failedAttempt: number,
  random: () => number,
): number {
  const base =
    policy.backoff === 'fixed'
      ? policy.initialMs
      : policy.initialMs * 2 ** Math.max(0, failedAttempt - 1);
  const cap = Math.min(policy.maxMs, base);
  return policy.jitter === 'full' ? Math.floor(random() * cap) : cap;
}

/** `initialMs` after the first of `failures`, doubling, at most `maxMs`; no jitter (retry loops). */
export function doublingDelayMs(initialMs: number, maxMs: number, failures: number): number {
  return backoffDelayMs(
    { backoff: 'exponential', initialMs, maxMs, jitter: 'none' },
    failures,
    () => 0,
  );
}
