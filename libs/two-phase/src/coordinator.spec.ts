import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTwoPhaseCommandId, toTwoPhaseCommandId } from './command-id';
import { begin, onReply, onTimer, transition, type Outcome } from './coordinator';
import { IllegalTransitionError } from '@skald/saga';

const t = { resendMs: 1_000 };
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
const vote = (o: Outcome, index: number, outcome: 'success' | 'failure' | 'error', now = 10) =>
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
const ack = (o: Outcome, index: number, phase: 'commit' | 'abort') =>
  onReply(o.state, { index, phase, outcome: 'success', data: {} }, o.dueAt, 20, t);

describe('2PC coordinator', () => {
  it('sends a prepare to each participant and sets the timer', () => {
    const o = start();
    assert.equal(o.state.status, 'preparing');
    assert.deepEqual(
      o.messages.map((m) => [m.participant, m.phase, m.step, m.attempt]),
      [
        ['bank-a', 'prepare', '0', 1],
        ['bank-b', 'prepare', '1', 2],
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
        ['bank-a', 'prepare', 3],
        ['bank-b', 'prepare', 4],
      ],
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

  it('marks 2PC command ids so replies can be routed without a lookup', () => {
    const id = toTwoPhaseCommandId('0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d');
    assert.equal(id, '0e4a1c2b-5d6f-8a7b-8c9d-0e1f2a3b4c5d');
    assert.ok(isTwoPhaseCommandId(id));
    assert.ok(!isTwoPhaseCommandId('0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d'));
  });
});
