// The handoff (sending/command-handoff.ts): an engine transaction inserts the commands it queued
// leased and sends them itself once committed, where no queue or budget needs the relay; the
// bulkhead counts leased commands; a relay leaves rows another process leased until that lease ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { waitUntil } from '@skald/testing';
import { ClaimCommitGate } from '../../src/sending/claim-commit-gate';
import { InProcessOrchestrator } from './in-process-orchestrator';
import { transactionsDuring } from './statements-sent';

const oneCall = defineSaga('one-call', { version: 1 })
  .step('only', { invoke: () => command('alpha', 'work', {}), timeoutMs: 60_000 })
  .build();

const HANDOFF = { SKALD_COMMAND_HANDOFF: 'true' };

interface OutboxRow {
  sagaId: string;
  leased: boolean;
}

function outbox(skald: InProcessOrchestrator): Promise<OutboxRow[]> {
  return skald.sql<OutboxRow>(
    `SELECT saga_id AS "sagaId", leased_until IS NOT NULL AS leased FROM skald.outbox ORDER BY id`,
  );
}

/** Commands of `alpha` sent and not answered (dispatched, not released). */
async function inFlight(skald: InProcessOrchestrator): Promise<string[]> {
  const rows = await skald.sql<{ sagaId: string }>(
    `SELECT saga_id AS "sagaId" FROM skald.step_execution
     WHERE dispatched_at IS NOT NULL AND released_at IS NULL ORDER BY saga_id`,
  );
  return rows.map((r) => r.sagaId);
}

describe('in process: the command handoff', () => {
  it('sends a new saga’s command itself: the start’s one statement writes and leases, one more records the send', () =>
    InProcessOrchestrator.run({ sagas: [oneCall], env: HANDOFF }, async (skald) => {
      let sagaId = '';
      const transactions = await transactionsDuring(async () => {
        sagaId = (await skald.engine.start({ type: 'one-call', input: {} })).saga.id;
        await waitUntil(async () => (await inFlight(skald)).includes(sagaId), {
          what: 'the command to be sent',
        });
      });
      // the engine's and the handoff's transactions; the polls above are SELECTs of their own
      const engine = transactions.filter((t) => !/^SELECT/.test(t[0]));
      const kinds = engine.map((t) => t.map((sql) => sql.split(/\s+/)[0]));
      assert.deepEqual(
        kinds,
        [['START', 'WITH', 'COMMIT'], ['WITH']],
        engine.map((t) => t.join('\n')).join('\n---\n'),
      );
      assert.match(engine[0][1], /pg_try_advisory_xact_lock/, 'the write statement leases');
      assert.match(engine[1][0], /DELETE FROM skald\.outbox/, 'the dispatch');
      assert.deepEqual(await outbox(skald), [], 'no row left for a relay');
      const [timer] = await skald.sql<{ armed: boolean }>(
        `SELECT due_at IS NOT NULL AS armed FROM skald.timer WHERE saga_id = $1`,
        [sagaId],
      );
      assert.deepEqual(timer, { armed: true }, 'its step timeout started when it was sent');
    }));

  it('counts sent commands against the bulkhead: past it, new commands wait unleased for the relay, in order', () =>
    InProcessOrchestrator.run(
      {
        sagas: [oneCall],
        env: { ...HANDOFF, SKALD_MAX_IN_FLIGHT: '1' },
      },
      async (skald) => {
        const start = async () => (await skald.engine.start({ type: 'one-call', input: {} })).saga;
        const first = await start();
        await waitUntil(async () => (await inFlight(skald)).length === 1, {
          what: 'the first command to be sent by the handoff',
        });
        const second = await start();
        const third = await start();
        assert.deepEqual(
          await outbox(skald),
          [
            { sagaId: second.id, leased: false },
            { sagaId: third.id, leased: false },
          ],
          'the bulkhead of 1 is full: both wait, unleased, for the relay',
        );
        // the first's command left with the handoff: answer it by its id
        const sent = (
          await skald.sql<{ id: string }>(
            `SELECT command_id AS id FROM skald.step_execution WHERE saga_id = $1`,
            [first.id],
          )
        )[0];
        // the first saga's reply frees the slot: the relay sends the second, in order
        await skald.deliver(
          skald.replyTo({ id: sent.id, sagaId: first.id, command: 'work' } as never, {
            outcome: 'success',
          }),
        );
        await skald.publishOutbox();
        assert.deepEqual(await inFlight(skald), [second.id], 'the second, and only it, in flight');
        assert.deepEqual(await outbox(skald), [{ sagaId: third.id, leased: false }]);
      },
    ));

  it('gives its lease back when a commit was under way while it leased: the relay sends the command', () =>
    InProcessOrchestrator.run({ sagas: [oneCall], env: HANDOFF }, async (skald) => {
      // as a relay round's COMMIT would, which may let go of a participant the lease then counts
      const endCommit = await skald.provider(ClaimCommitGate).commit();
      let sagaId = '';
      try {
        sagaId = (await skald.engine.start({ type: 'one-call', input: {} })).saga.id;
      } finally {
        endCommit();
      }
      assert.deepEqual(await outbox(skald), [{ sagaId, leased: false }], 'queued for the relay');
      await skald.publishOutbox();
      assert.deepEqual(await inFlight(skald), [sagaId]);
    }));

  it('leaves rows another process leased to it until the lease ends, then a relay sends them', () =>
    InProcessOrchestrator.run({ sagas: [oneCall] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'one-call', input: {} });
      // as a handoff of a process that then died would have left it
      await skald.sql(
        `UPDATE skald.outbox SET leased_until = now() + interval '1 second', leased_by = 'gone/1'`,
      );
      await skald.publishOutbox();
      assert.deepEqual(await outbox(skald), [{ sagaId: saga.id, leased: true }], 'left alone');
      assert.deepEqual(await inFlight(skald), []);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await skald.publishOutbox();
      assert.deepEqual(await outbox(skald), [], 'sent once the lease ended');
      assert.deepEqual(await inFlight(skald), [saga.id]);
    }));
});
