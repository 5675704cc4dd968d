// Fail-fast flow control: while a participant's breaker is open, its commands are refused at once
// (answered CIRCUIT_OPEN in the engine's transaction) instead of queued.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga } from '@skald/saga';
import { InProcessOrchestrator } from './in-process-orchestrator';

const callFlaky = defineSaga('call-flaky', { version: 1 })
  .step('call', {
    invoke: () => command('flaky', 'work', {}),
    retry: { maxAttempts: 2, initialMs: 50, maxMs: 50 },
  })
  .build();

const env = {
  SKALD_BREAKER_MODE: 'fail-fast',
  SKALD_BREAKER_FAILURES: '2',
  SKALD_BREAKER_OPEN_MS: '600000',
};

describe('in process: a fail-fast breaker', () => {
  it('refuses the commands of an open participant with CIRCUIT_OPEN; the retry policy ends the saga', () =>
    InProcessOrchestrator.run({ sagas: [callFlaky], env }, async (skald) => {
      // two sagas' commands failing open the breaker (one failing operation each)
      for (let i = 0; i < 2; i++) {
        const { saga } = await skald.engine.start({ type: 'call-flaky', input: { i } });
        const call = await skald.queuedCommand(saga.id);
        await skald.publishOutbox();
        const down = { code: 'DOWN', message: 'flaky is down' };
        await skald.deliver(skald.replyTo(call, { outcome: 'error', data: down }));
      }
      const breaker = () =>
        skald.sql<{ state: string }>(
          "SELECT breaker_state AS state FROM skald.participant WHERE name = 'flaky'",
        );
      assert.deepEqual(await breaker(), [{ state: 'open' }]);

      const { saga: refused } = await skald.engine.start({ type: 'call-flaky', input: {} });
      const queued = await skald.queuedCommands();
      assert.equal(queued.filter((c) => c.sagaId === refused.id).length, 0, 'nothing queued');
      const answered = () =>
        skald.sql<{ attempt: number; outcome: string; code: string; dispatched: boolean }>(
          `SELECT attempt, outcome, reply->>'code' AS code, dispatched_at IS NOT NULL AS dispatched
           FROM skald.step_execution WHERE saga_id = $1 AND phase = 'execute' ORDER BY attempt`,
          [refused.id],
        );
      assert.deepEqual(await answered(), [
        { attempt: 1, outcome: 'error', code: 'CIRCUIT_OPEN', dispatched: false },
      ]);
      assert.equal((await skald.saga(refused.id)).steps.call.status, 'retrying');

      // the retry is refused the same way, and was the last attempt
      await skald.fireTimersUntil('the refused saga to end', async () =>
        ['compensated', 'failed'].includes((await skald.saga(refused.id)).status),
      );
      const done = await skald.saga(refused.id);
      assert.equal(done.status, 'compensated');
      const error = done.steps.call.error as {
        code: string;
        details?: { lastError?: { code: string } };
      };
      assert.equal(error.code, 'RETRIES_EXHAUSTED');
      assert.equal(error.details?.lastError?.code, 'CIRCUIT_OPEN');
      assert.deepEqual(await answered(), [
        { attempt: 1, outcome: 'error', code: 'CIRCUIT_OPEN', dispatched: false },
        { attempt: 2, outcome: 'error', code: 'CIRCUIT_OPEN', dispatched: false },
      ]);
      // given up on without a compensation: a fence tells flaky never to run it, and (never
      // refused) waits in the outbox for the breaker to let it through
      const fences = (await skald.queuedCommands()).filter((c) => c.sagaId === refused.id);
      assert.deepEqual(
        fences.map((c) => [c.phase, c.step]),
        [['fence', 'call']],
      );
      assert.deepEqual(await breaker(), [{ state: 'open' }], 'refusals do not count as failures');
    }));
});
