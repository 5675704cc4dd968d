// A reply, from the consumer's batch to the next command in the outbox, inside this process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEADERS } from '@skald/protocol';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';

const trip = defineSaga('trip', { version: 1 })
  .data<{ carId?: string }>()
  .step('reserve-car', {
    invoke: () => command('cars', 'reserve', { model: 'mini' }),
    compensate: () => command('cars', 'cancel', {}),
    onReply: (_s, reply: { id: string }) => ({ carId: reply.id }),
  })
  .step('book-hotel', { invoke: (s) => command('hotels', 'book', { car: s.data.carId }) })
  .build();

describe('in process: a reply', () => {
  it('is applied: the step succeeds, its result lands in the data, the next command is queued', () =>
    InProcessOrchestrator.run({ sagas: [trip] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'trip', input: {} });
      const reserve = await skald.queuedCommand(saga.id);
      assert.deepEqual(
        [reserve.command, reserve.step, reserve.phase, reserve.attempt],
        ['reserve', 'reserve-car', 'execute', 1],
      );
      await skald.publishOutbox();
      assert.deepEqual(await skald.queuedCommands(), [], 'the relay sent it and deleted its row');

      await skald.deliver(skald.replyTo(reserve, { outcome: 'success', data: { id: 'car-7' } }));

      const advanced = await skald.saga(saga.id);
      assert.equal(advanced.status, 'running');
      assert.equal(advanced.steps['reserve-car'].status, 'succeeded');
      assert.equal(advanced.steps['book-hotel'].status, 'running');
      assert.deepEqual(advanced.data, { carId: 'car-7' });
      const book = await skald.queuedCommand(saga.id);
      assert.deepEqual(
        [book.command, book.step, book.data],
        ['book', 'book-hotel', { car: 'car-7' }],
      );
      const [execution] = await skald.sql<{ outcome: string; reply: unknown }>(
        'SELECT outcome, reply FROM skald.step_execution WHERE command_id = $1',
        [reserve.id],
      );
      assert.deepEqual(execution, { outcome: 'success', reply: { id: 'car-7' } });
      const history = await skald.historyTypes(saga.id);
      assert.deepEqual(history.slice(history.indexOf('reply-applied')), [
        'reply-applied',
        'step-succeeded',
        'step-started',
        'command-sent',
      ]);
    }));

  it('delivered twice changes the saga once (the inbox), in separate batches and in one', () =>
    InProcessOrchestrator.run({ sagas: [trip] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'trip', input: {} });
      const reserve = await skald.queuedCommand(saga.id);
      await skald.publishOutbox();
      const reply = skald.replyTo(reserve, { outcome: 'success', data: { id: 'car-7' } });
      await skald.deliver(reply);
      const once = {
        saga: await skald.saga(saga.id),
        history: await skald.historyTypes(saga.id),
        queued: await skald.queuedCommands(),
      };
      assert.equal(once.saga.steps['book-hotel'].status, 'running');

      // redelivered, as after a consumer restart before its offset was committed
      await skald.deliver(reply);
      assert.deepEqual(await skald.saga(saga.id), once.saga);
      assert.deepEqual(await skald.historyTypes(saga.id), once.history);
      assert.deepEqual(await skald.queuedCommands(), once.queued, 'no second command');
      assert.deepEqual(await skald.replyResults(), { applied: 1, duplicate: 1 });

      // the same record twice in one batch: applied once, and the saga completes once
      const book = await skald.queuedCommand(saga.id);
      const booked = skald.replyTo(book, { outcome: 'success', data: {} });
      await skald.deliver(booked, booked);
      const done = await skald.saga(saga.id);
      assert.equal(done.status, 'completed');
      const history = await skald.historyTypes(saga.id);
      assert.equal(history.filter((h) => h === 'reply-applied').length, 2, history.join(', '));
      const [{ n }] = await skald.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM skald.inbox WHERE message_id = ANY($1::uuid[])',
        [[reply, booked].map((r) => r.headers[HEADERS.id])],
      );
      assert.equal(n, 2, 'each reply id is in the inbox once');
      assert.deepEqual(await skald.replyResults(), { applied: 2, duplicate: 2 });
    }));
});
