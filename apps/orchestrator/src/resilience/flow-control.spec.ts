import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  breakerAfter,
  breakerState,
  retryTokens,
  sendAllowance,
  type FlowControlOptions,
  type ParticipantFlow,
} from './flow-control';

const options: FlowControlOptions = {
  maxInFlight: 4,
  failureThreshold: 3,
  openMs: 1_000,
  halfOpenProbes: 1,
  retriesPerSecond: 10,
  mode: 'wait',
};
const healthy: ParticipantFlow = {
  breakerState: 'closed',
  consecutiveFailures: 0,
  openedAt: null,
  retryTokens: null,
  tokensAt: null,
};

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    let flow = healthy;
    for (let i = 1; i < 3; i++) {
      flow = { ...flow, ...breakerAfter(flow, false, 100, options)! };
      assert.equal(flow.breakerState, 'closed');
      assert.equal(flow.consecutiveFailures, i);
    }
    flow = { ...flow, ...breakerAfter(flow, false, 100, options)! };
    assert.equal(flow.breakerState, 'open');
    assert.equal(flow.openedAt, 100);
  });

  it('a healthy outcome resets the count; nothing changes for a healthy closed breaker', () => {
    const twoFailures = { ...healthy, consecutiveFailures: 2 };
    assert.deepEqual(breakerAfter(twoFailures, true, 5, options), {
      breakerState: 'closed',
      consecutiveFailures: 0,
      openedAt: null,
    });
    assert.equal(breakerAfter(healthy, true, 5, options), undefined);
  });

  it('turns half-open after openMs; a failed probe reopens it, a good one closes it', () => {
    const open: ParticipantFlow = {
      ...healthy,
      breakerState: 'open',
      consecutiveFailures: 3,
      openedAt: 0,
    };
    assert.equal(breakerState(open, 999, options), 'open');
    assert.equal(breakerState(open, 1_000, options), 'half-open');
    assert.deepEqual(breakerAfter(open, false, 1_500, options), {
      breakerState: 'open',
      consecutiveFailures: 4,
      openedAt: 1_500,
    });
    assert.equal(breakerAfter(open, true, 1_500, options)?.breakerState, 'closed');
  });

  it('late failures while open do not extend the open period', () => {
    const open: ParticipantFlow = {
      ...healthy,
      breakerState: 'open',
      consecutiveFailures: 3,
      openedAt: 0,
    };
    assert.equal(breakerAfter(open, false, 500, options), undefined);
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
});

describe('retry budget', () => {
  it('starts full, refills at the configured rate and never exceeds one second of retries', () => {
    assert.equal(retryTokens(healthy, 0, options), 10);
    const spent = { ...healthy, retryTokens: 0, tokensAt: 1_000 };
    assert.equal(retryTokens(spent, 1_500, options), 5);
    assert.equal(retryTokens(spent, 60_000, options), 10);
  });
});
