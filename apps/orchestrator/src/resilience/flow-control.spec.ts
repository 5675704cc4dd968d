import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  breakerAfter,
  breakerState,
  ParticipantFlowControl,
  rateTokens,
  retryTokens,
  sendableAgainAt,
  sendAllowance,
  tokenAt,
  waitReason,
  type BreakerChange,
  type FlowControlOptions,
  type ParticipantFlow,
} from './flow-control';

const options: FlowControlOptions = {
  maxInFlight: 4,
  failureThreshold: 3,
  openMs: 1_000,
  halfOpenProbes: 1,
  retriesPerSecond: 10,
  ratePerSecond: null,
  mode: 'wait',
};
const healthy: ParticipantFlow = {
  breakerState: 'closed',
  consecutiveFailures: 0,
  failingOperations: [],
  openedAt: null,
  retryTokens: null,
  tokensAt: null,
  manualState: null,
  rateTokens: null,
  rateTokensAt: null,
};

const operation = (sagaId: string, step = 'call', phase = 'execute') => ({ sagaId, step, phase });
const failed = (sagaId: string, step?: string, phase?: string) => ({
  healthy: false,
  operation: operation(sagaId, step, phase),
});
const succeeded = (sagaId: string) => ({ healthy: true, operation: operation(sagaId) });

/** A breaker opened at 0 by the failures of sagas s1, s2 and s3. */
const opened: ParticipantFlow = {
  ...healthy,
  breakerState: 'open',
  consecutiveFailures: 3,
  failingOperations: ['s1/execute/call', 's2/execute/call', 's3/execute/call'],
  openedAt: 0,
};

describe('circuit breaker', () => {
  it('opens after the threshold of distinct failing operations, not before', () => {
    let flow = healthy;
    for (let i = 1; i < 3; i++) {
      flow = { ...flow, ...breakerAfter(flow, failed(`s${i}`), 100, options)! };
      assert.equal(flow.breakerState, 'closed');
      assert.equal(flow.consecutiveFailures, i);
    }
    flow = { ...flow, ...breakerAfter(flow, failed('s3'), 100, options)! };
    assert.equal(flow.breakerState, 'open');
    assert.equal(flow.openedAt, 100);
    assert.deepEqual(flow.failingOperations, opened.failingOperations);
  });

  it('retries of one operation count once, however often it fails', () => {
    let flow = { ...healthy, ...breakerAfter(healthy, failed('s1'), 100, options)! };
    for (let attempt = 2; attempt <= 10; attempt++) {
      assert.equal(breakerAfter(flow, failed('s1'), 100 + attempt, options), undefined);
    }
    flow = { ...flow, ...breakerAfter(flow, failed('s1', 'call', 'compensate'), 200, options)! };
    flow = { ...flow, ...breakerAfter(flow, failed('s1', 'other'), 300, options)! };
    assert.equal(flow.breakerState, 'open', 'another step or phase is another operation');
  });

  it('a healthy outcome clears the failing operations; nothing changes for a healthy closed breaker', () => {
    const twoFailures = {
      ...healthy,
      consecutiveFailures: 2,
      failingOperations: ['s1/execute/call', 's2/execute/call'],
    };
    const cleared: BreakerChange = {
      breakerState: 'closed',
      consecutiveFailures: 0,
      failingOperations: [],
      openedAt: null,
    };
    assert.deepEqual(breakerAfter(twoFailures, succeeded('s3'), 5, options), cleared);
    assert.equal(breakerAfter(healthy, succeeded('s3'), 5, options), undefined);
    // after a healthy outcome an operation that failed before counts again
    const again = breakerAfter({ ...twoFailures, ...cleared }, failed('s1'), 6, options);
    assert.deepEqual(again?.failingOperations, ['s1/execute/call']);
  });

  it('turns half-open after openMs; a failed probe of a new operation reopens it, a good one closes it', () => {
    assert.equal(breakerState(opened, 999, options), 'open');
    assert.equal(breakerState(opened, 1_000, options), 'half-open');
    assert.deepEqual(breakerAfter(opened, failed('s4'), 1_500, options), {
      breakerState: 'open',
      consecutiveFailures: 4,
      // bounded by the threshold: the oldest makes room
      failingOperations: ['s2/execute/call', 's3/execute/call', 's4/execute/call'],
      openedAt: 1_500,
    });
    assert.equal(breakerAfter(opened, succeeded('s4'), 1_500, options)?.breakerState, 'closed');
  });

  it('while half-open, a failed probe of an operation already counted does not reopen it', () => {
    assert.equal(breakerAfter(opened, failed('s2'), 1_500, options), undefined);
  });

  it('late failures while open do not extend the open period', () => {
    assert.equal(breakerAfter(opened, failed('s4'), 500, options), undefined);
  });
});

describe('send allowance', () => {
  it('the bulkhead leaves maxInFlight minus what is in flight', () => {
    assert.deepEqual(sendAllowance(healthy, 1, 0, options), { slots: 3 });
    assert.deepEqual(sendAllowance(healthy, 4, 0, options), {
      slots: 0,
      blockedBy: 'bulkhead-full',
    });
  });

  it('an open breaker sends nothing; half-open sends only the probes', () => {
    const open: ParticipantFlow = { ...healthy, breakerState: 'open', openedAt: 0 };
    assert.deepEqual(sendAllowance(open, 0, 10, options), { slots: 0, blockedBy: 'circuit-open' });
    assert.deepEqual(sendAllowance(open, 0, 1_000, options), { slots: 1 });
    assert.deepEqual(sendAllowance(open, 1, 1_000, options), {
      slots: 0,
      blockedBy: 'circuit-open',
    });
  });

  it('held back by time alone only while the breaker is open: until it turns half-open', () => {
    assert.equal(sendableAgainAt(opened, 10, options), 1_000);
    assert.equal(sendableAgainAt(opened, 1_000, options), undefined, 'half-open: probes free it');
    assert.equal(sendableAgainAt(healthy, 0, options), undefined, 'bulkhead: replies free it');
  });
});

describe('retry budget', () => {
  it('starts full, refills at the configured rate and never exceeds one second of retries', () => {
    assert.equal(retryTokens(healthy, 0, options), 10);
    const spent = { ...healthy, retryTokens: 0, tokensAt: 1_000 };
    assert.equal(retryTokens(spent, 1_500, options), 5);
    assert.equal(retryTokens(spent, 60_000, options), 10);
  });

  it('a spent budget has a whole token again after the refill of what it lacks', () => {
    assert.equal(tokenAt(0, 1_000, options.retriesPerSecond), 1_100);
    assert.equal(tokenAt(0.5, 1_000, options.retriesPerSecond), 1_050);
  });
});

describe('rate limit (every attempt)', () => {
  const limited = { ...options, ratePerSecond: 4 };

  it('is unlimited unless set; set, it is a bucket of one second refilled at the rate', () => {
    assert.equal(rateTokens(healthy, 0, options), Infinity);
    assert.equal(rateTokens(healthy, 0, limited), 4);
    const spent = { ...healthy, rateTokens: 0, rateTokensAt: 1_000 };
    assert.equal(rateTokens(spent, 1_500, limited), 2);
    assert.equal(rateTokens(spent, 60_000, limited), 4);
  });

  it('holds first attempts too, and says so', () => {
    const spent = { ...healthy, rateTokens: 0.5, rateTokensAt: 1_000 };
    assert.equal(waitReason(spent, 0, 1, 1_000, limited), 'rate-limited');
    assert.equal(waitReason(spent, 0, 1, 1_000, options), 'queued');
    assert.equal(waitReason(spent, 0, 1, 1_200, limited), 'queued');
  });
});

describe('a breaker set by hand', () => {
  const byHand = {
    ...healthy,
    breakerState: 'open' as const,
    manualState: 'open' as const,
    openedAt: 0,
  };

  it('opened by hand, stays open past openMs: no probes, no wake-up by time', () => {
    assert.equal(breakerState(byHand, 60_000, options), 'open');
    assert.deepEqual(sendAllowance(byHand, 0, 60_000, options), {
      slots: 0,
      blockedBy: 'circuit-open',
    });
    assert.equal(sendableAgainAt(byHand, 60_000, options), undefined);
  });

  it('opened by hand, no outcome changes it, healthy or not', () => {
    assert.equal(
      breakerAfter(byHand, { healthy: true, operation: operation('s1') }, 5, options),
      undefined,
    );
    assert.equal(breakerAfter(byHand, failed('s1'), 5, options), undefined);
  });

  it('closed by hand, it trips on its own again', () => {
    const closed = { ...healthy, manualState: 'closed' as const };
    let flow: ParticipantFlow = closed;
    for (const saga of ['a', 'b', 'c']) {
      flow = { ...flow, ...breakerAfter(flow, failed(saga), 10, options) };
    }
    assert.equal(breakerState(flow, 10, options), 'open');
  });
});

describe('ParticipantFlowControl', () => {
  it('gives a listed participant its own options and every other one the global ones', () => {
    const cars = { ...options, maxInFlight: 2 };
    const flow = new ParticipantFlowControl(options, { cars });
    assert.equal(flow.of('cars'), cars);
    assert.equal(flow.of('hotels'), options);
    assert.deepEqual([flow.isConfigured('cars'), flow.isConfigured('hotels')], [true, false]);
    assert.deepEqual([...flow.configured()], [['cars', cars]]);
  });
});
