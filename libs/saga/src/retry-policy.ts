// the delay before a step's next attempt: one formula, shared with 2PC and the participant SDK
export { backoffDelayMs } from '@skald/protocol';

export interface RetryPolicyOptions {
  /** Attempts in all, the first included. @default 3 (compensations: 10) */
  maxAttempts?: number;
  /** @default 'exponential' */
  backoff?: 'exponential' | 'fixed';
  /** Delay before the second attempt. @default 100 */
  initialMs?: number;
  /** Cap on any delay. @default 10_000 */
  maxMs?: number;
  /** 'full': a uniform delay between 0 and the computed one (spreads retry storms). @default 'full' */
  jitter?: 'full' | 'none';
  /** Error codes of `error` replies that are not worth retrying: the step fails at once. @default [] */
  nonRetryableCodes?: string[];
}

export interface CompiledRetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: 'exponential' | 'fixed';
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: 'full' | 'none';
  readonly nonRetryableCodes: readonly string[];
}

export const FORWARD_RETRY_DEFAULTS: CompiledRetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoff: 'exponential',
  initialMs: 100,
  maxMs: 10_000,
  jitter: 'full',
  nonRetryableCodes: Object.freeze([]) as readonly string[],
});

export const COMPENSATION_RETRY_DEFAULTS: CompiledRetryPolicy = Object.freeze({
  ...FORWARD_RETRY_DEFAULTS,
  maxAttempts: 10,
});

export function compileRetryPolicy(
  options: RetryPolicyOptions | undefined,
  defaults: CompiledRetryPolicy,
): CompiledRetryPolicy {
  return Object.freeze({
    maxAttempts: options?.maxAttempts ?? defaults.maxAttempts,
    backoff: options?.backoff ?? defaults.backoff,
    initialMs: options?.initialMs ?? defaults.initialMs,
    maxMs: options?.maxMs ?? defaults.maxMs,
    jitter: options?.jitter ?? defaults.jitter,
    nonRetryableCodes: Object.freeze([
      ...(options?.nonRetryableCodes ?? defaults.nonRetryableCodes),
    ]),
  });
}
