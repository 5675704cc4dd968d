// The relay's round trips: a batch is published in one read statement and one write statement
// (plus BEGIN and COMMIT), however many participants, timeouts and retry tokens it touches; and
// the rate limit, global or a participant's own, holds first attempts back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';
import { transactionsDuring } from './statements-sent';

const twoCalls = defineSaga('two-calls', { version: 1 })
  .step('first', {
    invoke: () => command('alpha', 'work', {}),
    timeoutMs: 60_000,
    retry: { maxAttempts: 3, initialMs: 10, maxMs: 10 },
  })
  .step('second', { invoke: () => command('beta', 'work', {}), timeoutMs: 60_000 })
  .build();

/** The statements the orchestrator sends to PostgreSQL while `work` runs (first words of each). */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  return (await transactionsDuring(work))
    .flat()
    .map((sql) => sql.split(/\s+/).slice(0, 3).join(' '));
}

describe('in process: the relay', () => {
  it('publishes a batch (a retry among first attempts) in BEGIN, two statements and COMMIT', () =>
    InProcessOrchestrator.run({ sagas: [twoCalls] }, async (skald) => {
      const { saga: retried } = await skald.engine.start({ type: 'two-calls', input: {} });
      const first = await skald.queuedCommand(retried.id);
      await skald.publishOutbox();
      await skald.deliver(
        skald.replyTo(first, { outcome: 'error', data: { code: 'DOWN', message: 'down' } }),
      );
      await skald.fireTimersUntil('the retry to be queued', async () =>
        (await skald.queuedCommands()).some((c) => c.sagaId === retried.id),
      );
      for (let i = 0; i < 3; i++) await skald.engine.start({ type: 'two-calls', input: { i } });

      const statements = await statementsOf(() => skald.publishOutbox());

      assert.deepEqual(statements.length, 4, statements.join('\n'));
      assert.deepEqual(await skald.queuedCommands(), [], 'every command published');
      const rows = await skald.sql<{ dispatched: number; armed: number; tokens: number }>(
        `SELECT (SELECT count(*)::int FROM skald.step_execution WHERE dispatched_at IS NOT NULL
                   AND released_at IS NULL) AS dispatched,
                (SELECT count(*)::int FROM skald.timer WHERE kind = 'step-timeout'
                   AND due_at IS NOT NULL) AS armed,
                (SELECT count(*)::int FROM skald.participant WHERE name = 'alpha'
                   AND retry_tokens IS NOT NULL) AS tokens`,
      );
      assert.deepEqual(rows, [{ dispatched: 4, armed: 4, tokens: 1 }]);
    }));

  it("records a dispatch without deadlocking a reply's transaction that holds the participant", () =>
    InProcessOrchestrator.run({ sagas: [twoCalls] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'two-calls', input: {} });
      const command = await skald.queuedCommand(saga.id);
      // a reply's transaction: it locks the participant first (the engine's read does, for an
      // error reply) and writes the command's execution row afterwards
      const reply = skald.dataSource.createQueryRunner();
      await reply.connect();
      await reply.startTransaction();
      await reply.query(`SELECT 1 FROM skald.participant WHERE name = 'alpha' FOR UPDATE`);
      // meanwhile the relay records the command as sent, with a retry token spent
      const dispatched = skald.store.transaction((tx) =>
        tx.outbox.dispatched(
          { outboxIds: [], commandIds: [command.id], retryTokens: new Map([['alpha', 3]]) },
          Date.now(),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // the relay waits on a lock now
      try {
        await reply.query(
          `UPDATE skald.step_execution SET outcome = 'error' WHERE command_id = $1`,
          [command.id],
        );
        await reply.commitTransaction();
      } finally {
        await reply.release();
      }
      await dispatched; // the other lock order: "deadlock detected" in one of the two
      const [row] = await skald.dataSource.query(
        `SELECT retry_tokens AS tokens FROM skald.participant WHERE name = 'alpha'`,
      );
      assert.equal(Number(row.tokens), 3);
    }));

  it('a claim that finds no room for a participant leaves it to the next claim, which has room', () =>
    InProcessOrchestrator.run(
      { sagas: [twoCalls], env: { SKALD_MAX_IN_FLIGHT: '1' } },
      async (skald) => {
        const { saga } = await skald.engine.start({ type: 'two-calls', input: {} });
        await skald.engine.start({ type: 'two-calls', input: { i: 1 } });
        const sent = await skald.queuedCommand(saga.id);
        await skald.publishOutbox(); // alpha's bulkhead of 1 is full: the other command waits
        const limits = {
          batchSize: 10,
          defaults: { maxInFlight: 1, halfOpenProbes: 1, openMs: 60_000, ratePerSecond: null },
          participants: new Map(),
          heldTopics: [],
        };
        const claim = () => skald.store.transaction((tx) => tx.outbox.claim(limits, Date.now()));

        // a round that claimed nothing for alpha, its transaction still open
        let endRound!: () => void;
        const roundEnded = new Promise<void>((resolve) => (endRound = resolve));
        let fullClaim!: (slots: number) => void;
        const claimedFull = new Promise<number>((resolve) => (fullClaim = resolve));
        const openRound = skald.store.transaction(async (tx) => {
          const batch = await tx.outbox.claim(limits, Date.now());
          fullClaim(batch.participants.find((p) => p.name === 'alpha')?.slots ?? -1);
          await roundEnded;
        });
        try {
          assert.equal(await claimedFull, 0, 'the first claim found no room for alpha');
          // the reply frees the slot while that round is still open
          await skald.deliver(skald.replyTo(sent, { outcome: 'success' }));
          const next = await claim();
          const alpha = next.participants.find((p) => p.name === 'alpha');
          assert.equal(alpha?.slots, 1, 'the next claim is not kept off alpha');
          assert.equal(next.records.filter((r) => r.participant === 'alpha').length, 1);
        } finally {
          endRound();
          await openRound;
        }
      },
    ));

  for (const [limits, env, sent] of [
    ['the global rate limit', { SKALD_RATE_PER_SECOND: '2' }, 2],
    [
      "the participant's own rate limit",
      { SKALD_RATE_PER_SECOND: '2', SKALD_PARTICIPANT_LIMITS: '{"alpha":{"ratePerSecond":3}}' },
      3,
    ],
  ] as const) {
    it(`sends first attempts within ${limits}; the rest wait`, () =>
      InProcessOrchestrator.run({ sagas: [twoCalls], env }, async (skald) => {
        for (let i = 0; i < 5; i++) await skald.engine.start({ type: 'two-calls', input: { i } });
        await skald.publishOutbox();
        assert.equal((await skald.queuedCommands()).length, 5 - sent);
        // every token spent: the next command to alpha waits for the bucket to refill
        const [alpha] = await skald.sql<{ tokens: number }>(
          "SELECT rate_tokens AS tokens FROM skald.participant WHERE name = 'alpha'",
        );
        assert.ok(alpha.tokens < 1, `alpha has ${alpha.tokens} tokens left`);
      }));
  }
});
