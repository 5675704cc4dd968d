// Pure rules of per-participant flow control: circuit breaker, bulkhead, rate limit, retry budget.
// The state lives in Postgres (skald.participant), so every orchestrator instance sees one breaker
// per participant; these functions only compute, the callers read and write the rows. Each
// participant has its own options (SKALD_PARTICIPANT_LIMITS) or the global ones
// (docs/adr/010-flow-control.md).

export const BREAKER_STATES = { closed: 'closed', open: 'open', halfOpen: 'half-open' } as const;
export type BreakerState = (typeof BREAKER_STATES)[keyof typeof BREAKER_STATES];

/** Why a command waits in the outbox instead of being sent. */
export const WAIT_REASONS = {
  /** Nothing holds it: the relay sends it with its next batch. */
  queued: 'queued',
  circuitOpen: 'circuit-open',
  bulkheadFull: 'bulkhead-full',
  retryBudget: 'retry-budget-spent',
  /** The participant's rate limit (every attempt counts) allows no more commands this instant. */
  rateLimited: 'rate-limited',
  /** The broker refused its topic (e.g. it does not exist); the relay checks it with backoff. */
  topicUnavailable: 'topic-unavailable',
} as const;
export type WaitReason = (typeof WAIT_REASONS)[keyof typeof WAIT_REASONS];

export const BREAKER_MODES = { wait: 'wait', failFast: 'fail-fast' } as const;
export type BreakerMode = (typeof BREAKER_MODES)[keyof typeof BREAKER_MODES];

export interface FlowControlOptions {
  /** Commands sent to one participant and not yet answered (or timed out). */
  readonly maxInFlight: number;
  /**
   * Distinct operations (saga steps, forward or compensating) failing with a timeout or an `error`
   * reply, with no healthy reply between, that open the breaker. Retries of one operation count
   * once: one bad record must not open the breaker of a participant that serves everyone else.
   */
  readonly failureThreshold: number;
  /** How long an open breaker stays open before letting probes through (half-open). */
  readonly openMs: number;
  /** Commands in flight allowed while half-open. */
  readonly halfOpenProbes: number;
  /** Retries (attempt > 1) sent per second to one participant, across all instances. */
  readonly retriesPerSecond: number;
  /**
   * Commands of any attempt, first attempts included, sent per second to one participant, across
   * all instances; null: no limit. A retry needs a token of both this and the retry budget.
   */
  readonly ratePerSecond: number | null;
  /** While the breaker is open: commands wait in the outbox, or fail at once as transient errors. */
  readonly mode: BreakerMode;
}

/** How an operator last set a breaker by hand (POST /v1/participants/:name/breaker). */
export const MANUAL_BREAKER_STATES = {
  open: BREAKER_STATES.open,
  closed: BREAKER_STATES.closed,
} as const;
export type ManualBreakerState = (typeof MANUAL_BREAKER_STATES)[keyof typeof MANUAL_BREAKER_STATES];

/** A participant's row, as stored: the breaker is stored `closed` or `open`; half-open is derived. */
export interface ParticipantFlow {
  readonly breakerState: typeof BREAKER_STATES.closed | typeof BREAKER_STATES.open;
  /**
   * `open`: opened by hand, it stays open (no half-open probes, no outcome closes it) until closed
   * by hand. `closed`: closed by hand, the breaker then trips and recovers on its own as usual.
   */
  readonly manualState: ManualBreakerState | null;
  /** Distinct operations that failed since the last healthy outcome. */
  readonly consecutiveFailures: number;
  /** `operationKey`s of the latest of those operations, at most `failureThreshold` of them. */
  readonly failingOperations: readonly string[];
  /** ms since epoch */
  readonly openedAt: number | null;
  readonly retryTokens: number | null;
  /** ms since epoch */
  readonly tokensAt: number | null;
  readonly rateTokens: number | null;
  /** ms since epoch */
  readonly rateTokensAt: number | null;
}

export type BreakerChange = Pick<
  ParticipantFlow,
  'breakerState' | 'consecutiveFailures' | 'failingOperations' | 'openedAt'
>;

/** One operation of a saga: a step's forward or compensating command, whatever its attempt. */
export interface SagaOperation {
  readonly sagaId: string;
  readonly step: string;
  readonly phase: string;
}

/** The operation's identity as stored in the participant's row (the step last: it is free text). */
export function operationKey(operation: SagaOperation): string {
  return `${operation.sagaId}/${operation.phase}/${operation.step}`;
}

/**
 * One outcome of a sent command. `healthy`: any reply but `error` (a business refusal proves the
 * participant works); not healthy: an `error` reply or a timeout.
 */
export interface BreakerOutcome {
  readonly healthy: boolean;
  readonly operation: SagaOperation;
}

/**
 * The breaker as callers see it: an open breaker turns half-open once `openMs` has passed, unless
 * it was opened by hand.
 */
export function breakerState(
  flow: ParticipantFlow,
  now: number,
  options: FlowControlOptions,
): BreakerState {
  if (flow.manualState === MANUAL_BREAKER_STATES.open) return BREAKER_STATES.open;
  if (flow.breakerState === BREAKER_STATES.closed) return BREAKER_STATES.closed;
  return now - (flow.openedAt ?? 0) >= options.openMs
    ? BREAKER_STATES.halfOpen
    : BREAKER_STATES.open;
}

/**
 * The breaker after one outcome of a sent command. Returns undefined when nothing changes.
 * It trips on the participant, not on one operation: a failure of an operation already counted
 * since the last healthy outcome says nothing new, so it changes nothing, also while half-open.
 * A breaker opened by hand is the operator's: no outcome changes it.
 */
export function breakerAfter(
  flow: ParticipantFlow,
  outcome: BreakerOutcome,
  now: number,
  options: FlowControlOptions,
): BreakerChange | undefined {
  if (flow.manualState === MANUAL_BREAKER_STATES.open) return undefined;
  if (outcome.healthy) {
    if (flow.breakerState === BREAKER_STATES.closed && flow.consecutiveFailures === 0) {
      return undefined;
    }
    return {
      breakerState: BREAKER_STATES.closed,
      consecutiveFailures: 0,
      failingOperations: [],
      openedAt: null,
    };
  }
  const state = breakerState(flow, now, options);
  // late failures of commands sent before it opened do not extend the open period
  if (state === BREAKER_STATES.open) return undefined;
  const key = operationKey(outcome.operation);
  if (flow.failingOperations.includes(key)) return undefined;
  const failingOperations = [...flow.failingOperations, key].slice(-options.failureThreshold);
  const consecutiveFailures = flow.consecutiveFailures + 1;
  if (state === BREAKER_STATES.halfOpen || failingOperations.length >= options.failureThreshold) {
    return {
      breakerState: BREAKER_STATES.open,
      consecutiveFailures,
      failingOperations,
      openedAt: now,
    };
  }
  return {
    breakerState: BREAKER_STATES.closed,
    consecutiveFailures,
    failingOperations,
    openedAt: null,
  };
}

/** Tokens of a bucket of one second's worth, refilled continuously, available now. */
function bucketTokens(
  stored: number | null,
  storedAt: number | null,
  now: number,
  perSecond: number,
): number {
  const capacity = Math.max(1, perSecond);
  if (stored === null || storedAt === null) return capacity;
  const refill = ((now - storedAt) / 1000) * perSecond;
  return Math.min(capacity, stored + Math.max(0, refill));
}

/** Retry tokens available now. */
export function retryTokens(flow: ParticipantFlow, now: number, options: FlowControlOptions) {
  return bucketTokens(flow.retryTokens, flow.tokensAt, now, options.retriesPerSecond);
}

/** Rate-limit tokens available now (any attempt spends one); Infinity with no rate limit. */
export function rateTokens(flow: ParticipantFlow, now: number, options: FlowControlOptions) {
  if (options.ratePerSecond === null) return Infinity;
  return bucketTokens(flow.rateTokens, flow.rateTokensAt, now, options.ratePerSecond);
}

/** How many more commands may be sent to the participant now, and why not when none. */
export function sendAllowance(
  flow: ParticipantFlow,
  inFlight: number,
  now: number,
  options: FlowControlOptions,
): { slots: number; blockedBy?: WaitReason } {
  const state = breakerState(flow, now, options);
  if (state === BREAKER_STATES.open) return { slots: 0, blockedBy: WAIT_REASONS.circuitOpen };
  if (state === BREAKER_STATES.halfOpen) {
    const slots = Math.max(0, options.halfOpenProbes - inFlight);
    return slots > 0 ? { slots } : { slots, blockedBy: WAIT_REASONS.circuitOpen };
  }
  const slots = Math.max(0, options.maxInFlight - inFlight);
  return slots > 0 ? { slots } : { slots, blockedBy: WAIT_REASONS.bulkheadFull };
}

/**
 * When commands held back for this participant may be sent again with no reply or timeout to
 * free them (ms since epoch): its open breaker turns half-open. Undefined when only an answer or
 * a timeout frees a slot (bulkhead full, half-open probes out), which wakes the relay anyway, and
 * when it was opened by hand (closing it by hand wakes the relay).
 */
export function sendableAgainAt(
  flow: ParticipantFlow,
  now: number,
  options: FlowControlOptions,
): number | undefined {
  if (flow.manualState === MANUAL_BREAKER_STATES.open) return undefined;
  if (breakerState(flow, now, options) !== BREAKER_STATES.open) return undefined;
  return (flow.openedAt ?? 0) + options.openMs;
}

/** When a bucket refilled at `perSecond` that has `tokens` now (fewer than one) has a whole token again (ms since epoch). */
export function tokenAt(tokens: number, now: number, perSecond: number): number {
  return now + Math.ceil(((1 - tokens) * 1000) / Math.max(1, perSecond));
}

/** Why a command still in the outbox has not been sent, as the API shows it. */
export function waitReason(
  flow: ParticipantFlow,
  inFlight: number,
  attempt: number,
  now: number,
  options: FlowControlOptions,
): WaitReason {
  const { blockedBy } = sendAllowance(flow, inFlight, now, options);
  if (blockedBy) return blockedBy;
  if (attempt > 1 && retryTokens(flow, now, options) < 1) return WAIT_REASONS.retryBudget;
  if (rateTokens(flow, now, options) < 1) return WAIT_REASONS.rateLimited;
  return WAIT_REASONS.queued;
}

/**
 * The options each participant runs with: its own (SKALD_PARTICIPANT_LIMITS, every field it does
 * not set taken from the global ones), or the global ones.
 */
export class ParticipantFlowControl {
  private readonly own: ReadonlyMap<string, FlowControlOptions>;

  constructor(
    readonly defaults: FlowControlOptions,
    own: Readonly<Record<string, FlowControlOptions>> = {},
  ) {
    this.own = new Map(Object.entries(own));
  }

  of(participant: string): FlowControlOptions {
    return this.own.get(participant) ?? this.defaults;
  }

  /** Whether the participant has limits of its own. */
  isConfigured(participant: string): boolean {
    return this.own.has(participant);
  }

  /** The participants with limits of their own, and those limits. */
  configured(): ReadonlyMap<string, FlowControlOptions> {
    return this.own;
  }
}
