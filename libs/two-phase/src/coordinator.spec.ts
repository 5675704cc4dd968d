import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTwoPhaseCommandId, toTwoPhaseCommandId } from './command-id';
import { begin, onReply, onTimer, resolve } from './coordinator';
import { transition, type Outcome, type ReplyOutcome, type TwoPhaseDecision } from './state';
import { IllegalTransitionError } from '@skald/saga';

// random = 0.999: the largest delay full jitter allows, so the backoff is visible
const t = {
  resendMs: 1_000,
  resendMaxMs: 8_000,
  acknowledgeTimeoutMs: 60_000,
  random: () => 0.999,
};
const start = (now = 0): Outcome =>
  begin(
    {
      id: 'tx',
      timeoutMs: 5_000,
      participants: [
        { participant: 'bank-a', command: 'debit', payload: { amount: 10 } },
        { participant: 'bank-b', command: 'credit', payload: { amount: 10 } },
      ],
    },
    now,
    t,
  );
const vote = (o: Outcome, index: number, outcome: ReplyOutcome, now = 10) =>
  onReply(
    o.state,
    {
      index,
      phase: 'prepare',
      outcome,
      data: outcome === 'success' ? {} : { code: 'NO_FUNDS', message: 'too poor' },
    },
    o.dueAt,
    now,
    t,
  );
const ack = (o: Outcome, index: number, phase: TwoPhaseDecision) =>
  onReply(o.state, { index, phase, outcome: 'success', data: {} }, o.dueAt, 20, t);

describe('2PC coordinator', () => {
  it('sends a prepare to each participant and sets the timer', () => {
    const o = start();
    assert.equal(o.state.status, 'preparing');
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase, m.step, m.attempt]),
      [
        ['bank-a', 'prepare', '0', 1],
        ['bank-b', 'prepare', '1', 1],
      ],
    );
    assert.equal(o.dueAt, 1_000);
  });

  it('commits when every vote is YES: the decision is in the state before any commit goes out', () => {
    let o = vote(start(), 0, 'success');
    assert.equal(o.state.status, 'preparing');
    assert.deepEqual(o.messages, []);
    o = vote(o, 1, 'success');
    assert.equal(o.state.status, 'committing');
    assert.equal(o.state.decision, 'commit');
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase]),
      [
        ['bank-a', 'commit'],
        ['bank-b', 'commit'],
      ],
    );
    o = ack(ack(o, 0, 'commit'), 1, 'commit');
    assert.equal(o.state.status, 'committed');
    assert.equal(o.dueAt, null);
  });

  it('aborts on one NO vote; the NO voter needs no abort', () => {
    let o = vote(start(), 1, 'failure');
    assert.equal(o.state.status, 'aborting');
    assert.equal(o.state.reason?.code, 'NO_FUNDS');
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase]),
      [['bank-a', 'abort']],
    );
    o = ack(o, 0, 'abort');
    assert.equal(o.state.status, 'aborted');
  });

  it('treats an error reply as no vote and re-sends the prepare on the timer', () => {
    let o = vote(start(), 0, 'error');
    assert.equal(o.state.participants[0].vote, null);
    assert.equal(o.state.participants[0].error?.code, 'NO_FUNDS');
    o = onTimer(o.state, 1_000, t);
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase, m.attempt]),
      [
        ['bank-a', 'prepare', 2],
        ['bank-b', 'prepare', 2],
      ],
    );
  });

  it('numbers ce_attempt per participant and phase: 1, 2, ... per re-send, from 1 again for the decision', () => {
    const attempts = (o: Outcome) => o.messages.map((m) => [m.participant, m.phase, m.attempt]);
    let o = vote(start(), 0, 'success');
    o = onTimer(o.state, 1_000, t);
    assert.deepEqual(attempts(o), [['bank-b', 'prepare', 2]], 'bank-a voted: only bank-b again');
    o = onTimer(o.state, 2_000, t);
    assert.deepEqual(attempts(o), [['bank-b', 'prepare', 3]]);
    o = vote(o, 1, 'success', 2_100);
    assert.deepEqual(attempts(o), [
      ['bank-a', 'commit', 1],
      ['bank-b', 'commit', 1],
    ]);
    o = ack(o, 1, 'commit');
    o = onTimer(o.state, o.dueAt!, t);
    assert.deepEqual(attempts(o), [['bank-a', 'commit', 2]]);
    o = onTimer(o.state, o.dueAt!, t);
    assert.deepEqual(attempts(o), [['bank-a', 'commit', 3]]);
    assert.equal(o.state.round, 8, 'round still counts every message of the transaction');
  });

  it('carries on from a transaction logged before attempts were kept per participant', () => {
    const o = start();
    const legacy = {
      ...o.state,
      participants: o.state.participants.map(({ attempt: _, ...p }) => p),
    };
    assert.deepEqual(
      onTimer(legacy, 1_000, t).messages.map((m) => m.attempt),
      [1, 1],
    );
  });

  it('aborts at the prepare timeout and keeps re-sending the abort until acknowledged', () => {
    let o = vote(start(), 0, 'success');
    o = onTimer(o.state, 5_000, t);
    assert.equal(o.state.status, 'aborting');
    assert.equal(o.state.reason?.code, 'PREPARE_TIMEOUT');
    assert.match(o.state.reason!.message, /not voted: bank-b/);
    assert.equal(o.messages.length, 2);
    o = ack(o, 1, 'abort');
    o = onTimer(o.state, 7_000, t);
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase]),
      [['bank-a', 'abort']],
    );
    assert.equal(o.dueAt, 8_000);
  });

  it('ignores late votes, duplicate acks and replies of the wrong phase', () => {
    let o = vote(start(), 1, 'failure');
    assert.match(vote(o, 0, 'success').ignored!, /vote after the abort decision/);
    assert.match(ack(o, 0, 'commit').ignored!, /decision is abort/);
    o = ack(o, 0, 'abort');
    assert.match(ack(o, 0, 'abort').ignored!, /already acknowledged/);
  });

  it('refuses an illegal status change', () => {
    const o = vote(start(), 1, 'failure');
    assert.throws(() => transition(o.state, 'committing'), IllegalTransitionError);
  });

  it('backs off the re-sends of a decision, doubling up to resendMaxMs', () => {
    let o = vote(start(), 0, 'failure', 0);
    assert.equal(o.dueAt, 1_000);
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const now = o.dueAt!;
      o = onTimer(o.state, now, t);
      assert.deepEqual(
        o.messages.map((m) => [m.participant, m.phase]),
        [['bank-b', 'abort']],
      );
      gaps.push(o.dueAt! - now);
    }
    assert.deepEqual(gaps, [1_000, 1_998, 3_996, 7_992, 7_992, 7_992]);
    // never more often than resendMs, whatever the jitter draws
    const low = onTimer(vote(start(), 0, 'failure', 0).state, 1_000, { ...t, random: () => 0 });
    assert.equal(low.dueAt, 2_000);
  });

  it('stops at the acknowledgement deadline: unacknowledged, naming who never acknowledged', () => {
    let o = vote(start(), 0, 'failure', 0);
    assert.equal(o.state.acknowledgeDeadlineAt, 60_000);
    while (o.dueAt !== null && o.dueAt < 60_000) o = onTimer(o.state, o.dueAt, t);
    assert.equal(o.dueAt, 60_000, 'the last re-send is cut short by the deadline');
    o = onTimer(o.state, 60_000, t);
    assert.equal(o.state.status, 'unacknowledged');
    assert.equal(o.state.decision, 'abort');
    assert.deepEqual(o.messages, []);
    assert.equal(o.dueAt, null);
    assert.deepEqual(
      o.state.participants.filter((p) => !p.acknowledged).map((p) => p.participant),
      ['bank-b'],
    );
    assert.match(onTimer(o.state, 61_000, t).ignored!, /finished/);
  });

  it('ends a commit nobody acknowledged the same way, and a late acknowledgement finishes it', () => {
    let o = vote(vote(start(), 0, 'success', 0), 1, 'success', 0);
    o = ack(o, 0, 'commit');
    o = onTimer(o.state, 60_000, t);
    assert.equal(o.state.status, 'unacknowledged');
    assert.equal(o.state.decision, 'commit');
    o = ack(o, 1, 'commit');
    assert.equal(o.state.status, 'committed');
  });

  it('gives a transaction decided before the deadline existed its deadline from now', () => {
    const o = vote(start(), 0, 'failure', 0);
    const legacy = { ...o.state, acknowledgeDeadlineAt: null };
    const next = onTimer(legacy, 100_000, t);
    assert.equal(next.state.status, 'aborting');
    assert.equal(next.state.acknowledgeDeadlineAt, 160_000);
  });

  describe('resolved by an operator', () => {
    const unacknowledgedAbort = () => onTimer(vote(start(), 0, 'failure', 0).state, 60_000, t);

    it('ends an unacknowledged transaction with its own decision, keeping reason and names', () => {
      const o = resolve(
        unacknowledgedAbort().state,
        { outcome: 'abort', reason: 'bank-b checked' },
        70_000,
        t,
      );
      assert.equal(o.state.status, 'aborted');
      assert.deepEqual(o.state.resolution, {
        outcome: 'abort',
        reason: 'bank-b checked',
        at: 70_000,
        unacknowledged: ['bank-b'],
      });
      assert.deepEqual(o.messages, []);
      assert.equal(o.dueAt, null);
    });

    it('never changes a logged decision', () => {
      assert.throws(
        () => resolve(unacknowledgedAbort().state, { outcome: 'commit', reason: 'x' }, 70_000, t),
        (e: unknown) => e instanceof IllegalTransitionError && /decided "abort"/.test(e.message),
      );
      const committing = vote(vote(start(), 0, 'success'), 1, 'success');
      assert.throws(
        () => resolve(committing.state, { outcome: 'abort', reason: 'x' }, 70_000, t),
        /decided "commit"/,
      );
      assert.equal(
        resolve(committing.state, { outcome: 'commit', reason: 'x' }, 70_000, t).state.status,
        'committed',
      );
    });

    it('may abort an undecided transaction (the aborts go out), never commit it', () => {
      assert.throws(
        () => resolve(start().state, { outcome: 'commit', reason: 'x' }, 10, t),
        /undecided \(preparing\)/,
      );
      const o = resolve(
        vote(start(), 0, 'success').state,
        { outcome: 'abort', reason: 'stuck' },
        20,
        t,
      );
      assert.equal(o.state.status, 'aborting');
      assert.equal(o.state.reason?.code, 'RESOLVED_BY_OPERATOR');
      assert.equal(o.state.resolution?.reason, 'stuck');
      assert.deepEqual(
        o.messages.map((m) => [m.participant, m.phase]),
        [
          ['bank-a', 'abort'],
          ['bank-b', 'abort'],
        ],
      );
    });

    it('refuses to resolve a finished transaction', () => {
      const aborted = ack(vote(start(), 1, 'failure'), 0, 'abort');
      assert.equal(aborted.state.status, 'aborted');
      assert.throws(
        () => resolve(aborted.state, { outcome: 'abort', reason: 'x' }, 30, t),
        /already aborted/,
      );
    });
  });

  it('marks 2PC command ids so replies can be routed without a lookup', () => {
    const id = toTwoPhaseCommandId('0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d');
    assert.equal(id, '0e4a1c2b-5d6f-8a7b-8c9d-0e1f2a3b4c5d');
    assert.ok(isTwoPhaseCommandId(id));
    assert.ok(!isTwoPhaseCommandId('0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d'));
  });
});
