// The engine writes a decision in ONE statement (write-statement.ts), whose parts all see the same
// snapshot and not each other's rows. These are the decisions where that could go wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';

const pair = defineSaga('pair', { version: 1 })
  .parallel('both', (group) =>
    group
      .step('flaky', {
        invoke: () => command('flaky', 'work', {}),
        retry: { maxAttempts: 3, initialMs: 60_000, maxMs: 60_000 },
      })
      .step('strict', { invoke: () => command('strict', 'work', {}) }),
  )
  .build();

const single = defineSaga('single', { version: 1 })
  .step('only', { invoke: () => command('cars', 'reserve', {}) })
  .build();

describe('in process: a decision written in one statement', () => {
  it('that sets a timer and finishes the saga leaves no timer, and releases the commands it sends', () =>
    InProcessOrchestrator.run({ sagas: [pair] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'pair', input: {} });
      const [flaky, strict] = (await skald.queuedCommands()).sort((a, b) =>
        a.step.localeCompare(b.step),
      );
      await skald.publishOutbox();
      // one batch: flaky errs (a retry timer), strict refuses (the saga gives up, fences flaky)
      await skald.deliver(
        skald.replyTo(flaky, { outcome: 'error', data: { code: 'DOWN', message: 'down' } }),
        skald.replyTo(strict, { outcome: 'failure', data: { code: 'NO', message: 'refused' } }),
      );
      const done = await skald.saga(saga.id);
      assert.ok(['compensated', 'failed'].includes(done.status), done.status);
      assert.ok((await skald.historyTypes(saga.id)).includes('retry-scheduled'));
      assert.deepEqual(
        await skald.sql('SELECT kind FROM skald.timer WHERE saga_id = $1', [saga.id]),
        [],
        'a finished saga has no timers',
      );
      const fences = await skald.sql<{ released: boolean }>(
        `SELECT released_at IS NOT NULL AS released FROM skald.step_execution
         WHERE saga_id = $1 AND phase = 'fence'`,
        [saga.id],
      );
      assert.deepEqual(
        fences,
        [{ released: true }],
        'the fence of a finished saga is not in flight',
      );
    }));

  it('that finishes the saga stores the reply that finished it', () =>
    InProcessOrchestrator.run({ sagas: [single] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'single', input: {} });
      const reserve = await skald.queuedCommand(saga.id);
      await skald.publishOutbox();
      await skald.deliver(skald.replyTo(reserve, { outcome: 'success', data: { id: 'car-1' } }));
      assert.equal((await skald.saga(saga.id)).status, 'completed');
      const rows = await skald.sql(
        `SELECT outcome, reply, replied_at IS NOT NULL AS replied, released_at IS NOT NULL AS released
         FROM skald.step_execution WHERE command_id = $1`,
        [reserve.id],
      );
      assert.deepEqual(rows, [
        { outcome: 'success', reply: { id: 'car-1' }, replied: true, released: true },
      ]);
    }));

  it('of a new saga whose idempotency key is taken writes nothing of it', () =>
    InProcessOrchestrator.run({ sagas: [single] }, async (skald) => {
      const request = { type: 'single', input: {}, idempotencyKey: 'order-1' };
      const first = await skald.engine.start(request);
      // again later, and twice at once (one transaction: one INSERT meets the key twice)
      const again = await skald.engine.start(request);
      const twice = await Promise.all([
        skald.engine.start({ ...request, idempotencyKey: 'order-2' }),
        skald.engine.start({ ...request, idempotencyKey: 'order-2' }),
      ]);
      assert.deepEqual([first.created, again.created], [true, false]);
      assert.equal(again.saga.id, first.saga.id);
      assert.deepEqual(
        twice.map((t) => t.created),
        [true, false],
      );
      assert.equal(twice[1].saga.id, twice[0].saga.id);
      const kept = [first.saga.id, twice[0].saga.id];
      for (const table of ['saga_instance', 'saga_history', 'step_execution', 'outbox', 'timer']) {
        const column = table === 'saga_instance' ? 'id' : 'saga_id';
        const strays = await skald.sql(
          `SELECT ${column} FROM skald.${table} WHERE ${column} <> ALL($1::uuid[])`,
          [kept],
        );
        assert.deepEqual(strays, [], `no ${table} row of a saga not started`);
      }
      assert.equal((await skald.queuedCommands()).length, 2, 'one command per saga started');
    }));
});
