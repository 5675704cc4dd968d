// A step timeout, from the relay arming it to the retry and then the compensation it causes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';

const order = defineSaga('order', { version: 1 })
  .step('reserve-car', {
    invoke: () => command('cars', 'reserve', {}),
    compensate: () => command('cars', 'cancel', {}),
  })
  .step('charge', {
    invoke: () => command('payments', 'charge', {}),
    compensate: () => command('payments', 'refund', {}),
    timeoutMs: 200,
    retry: { maxAttempts: 2, initialMs: 50, maxMs: 50 },
  })
  .build();

describe('in process: a step timeout', () => {
  it('starts when its command is sent, fires, retries the step, then compensates after the last attempt', () =>
    InProcessOrchestrator.run({ sagas: [order] }, async (skald) => {
      const { saga } = await skald.engine.start({ type: 'order', input: {} });
      const reserve = await skald.queuedCommand(saga.id);
      await skald.publishOutbox();
      await skald.deliver(skald.replyTo(reserve, { outcome: 'success' }));
      const charge = await skald.queuedCommand(saga.id);
      assert.deepEqual([charge.step, charge.attempt], ['charge', 1]);

      // queued, not sent: its timeout is not armed, so nothing can fire however long it waits
      const timeoutOf = (commandId: string) =>
        skald.sql<{ armed: boolean }>(
          "SELECT due_at IS NOT NULL AS armed FROM skald.timer WHERE kind = 'step-timeout' AND command_id = $1",
          [commandId],
        );
      assert.deepEqual(await timeoutOf(charge.id), [{ armed: false }]);
      assert.equal(await skald.fireDueTimers(), 0);
      await skald.publishOutbox();
      assert.deepEqual(await timeoutOf(charge.id), [{ armed: true }]);

      // the timeout fires 200 ms after the send, then the retry timer it set, 50 ms later
      await skald.fireTimersUntil('attempt 2 of charge to be queued', async () =>
        (await skald.queuedCommands()).some((c) => c.attempt === 2),
      );
      const retried = await skald.saga(saga.id);
      assert.equal(retried.steps.charge.status, 'running');
      assert.equal(retried.steps.charge.attempts, 2);
      const second = await skald.queuedCommand(saga.id);
      assert.deepEqual([second.step, second.attempt], ['charge', 2]);

      await skald.publishOutbox();
      await skald.fireTimersUntil(
        'the timeout of attempt 2 to fire',
        async () => (await skald.saga(saga.id)).status === 'compensating',
      );
      const compensating = await skald.saga(saga.id);
      assert.equal(compensating.status, 'compensating');
      const { status, outcomeUnknown, error } = compensating.steps.charge as {
        status: string;
        outcomeUnknown?: boolean;
        error?: { code: string; details?: { lastError?: { code: string } } };
      };
      assert.deepEqual(
        [status, outcomeUnknown, error?.code, error?.details?.lastError?.code],
        ['compensating', true, 'RETRIES_EXHAUSTED', 'STEP_TIMEOUT'],
      );
      // it may have run (no reply is not a no), so charge is compensated first, then the car
      const refund = await skald.queuedCommand(saga.id);
      assert.deepEqual(
        [refund.command, refund.step, refund.phase],
        ['refund', 'charge', 'compensate'],
      );
      const history = await skald.historyTypes(saga.id);
      assert.deepEqual(history.slice(history.indexOf('step-timed-out')), [
        'step-timed-out',
        'retry-scheduled',
        'command-sent',
        'step-timed-out',
        'step-failed',
        'status-changed',
        'compensation-started',
        'command-sent',
      ]);
    }));
});
