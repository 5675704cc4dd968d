// A 2PC decision: votes in, the COMMIT logged with the messages that announce it, in one transaction.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessOrchestrator } from './in-process-orchestrator';

const participants = [
  { participant: 'bank-a', command: 'debit', payload: { account: 'alice', amount: 10 } },
  { participant: 'bank-b', command: 'credit', payload: { account: 'bob', amount: 10 } },
];

describe('in process: a 2PC transaction', () => {
  it('commits once every participant voted YES: the decision is logged and a commit queued to each', () =>
    InProcessOrchestrator.run({ sagas: [], participants: ['bank-a', 'bank-b'] }, async (skald) => {
      const { id } = await skald.twoPhase.begin({ participants });
      const prepares = await skald.queuedCommands();
      assert.deepEqual(
        prepares.map((c) => [c.phase, c.command, c.sagaId]),
        [
          ['prepare', 'debit', id],
          ['prepare', 'credit', id],
        ],
      );
      await skald.publishOutbox();

      await skald.deliver(skald.replyTo(prepares[0], { outcome: 'success' }));
      const oneVote = await skald.twoPhase.get(id);
      assert.equal(oneVote.status, 'preparing', 'one YES decides nothing');
      assert.deepEqual(await skald.queuedCommands(), []);

      await skald.deliver(skald.replyTo(prepares[1], { outcome: 'success' }));
      const decided = await skald.twoPhase.get(id);
      assert.equal(decided.status, 'committing');
      assert.equal(decided.decision, 'commit');
      assert.ok(decided.decidedAt, 'the decision time is logged');
      assert.deepEqual(
        decided.participants.map((p) => [p.vote, p.acknowledged]),
        [
          ['yes', false],
          ['yes', false],
        ],
      );
      const commits = await skald.queuedCommands();
      assert.deepEqual(
        commits.map((c) => [c.phase, c.command, c.sagaId, c.data]),
        participants.map((p) => ['commit', p.command, id, p.payload]),
      );

      // both acknowledge: the transaction is over
      await skald.publishOutbox();
      await skald.deliver(...commits.map((c) => skald.replyTo(c, { outcome: 'success' })));
      assert.equal((await skald.twoPhase.get(id)).status, 'committed');
    }));
});
