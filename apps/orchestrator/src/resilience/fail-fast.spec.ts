import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, decide, defineSaga, initialState, type DecideContext } from '@skald/saga';
import { CIRCUIT_OPEN_CODE, refuseCommandsTo } from './fail-fast';

const order = defineSaga('order', { version: 1 })
  .step('reserve', {
    invoke: () => command('stock', 'reserve'),
    compensate: () => command('stock', 'release'),
    timeoutMs: 1_000,
  })
  .step('charge', {
    invoke: () => command('payments', 'charge'),
    retry: { maxAttempts: 2, initialMs: 100, jitter: 'none' },
    timeoutMs: 1_000,
  })
  .build();

let ids = 0;
const ctx: DecideContext = { now: 1_000, newId: () => `id-${++ids}`, random: () => 0.5 };
const OPEN_MS = 5_000;
const open = (...names: string[]) =>
  new Map(names.map((n) => [n, `it is probed again within ${OPEN_MS} ms`]));

/** The decision that sends `charge`: reserve has just succeeded. */
function chargeDecision() {
  const started = decide(
    order,
    initialState(order, { id: 's1', input: {}, now: 0 }),
    { kind: 'start' },
    ctx,
  );
  const [reserve] = started.commands;
  return decide(
    order,
    started.state,
    {
      kind: 'reply',
      step: 'reserve',
      phase: 'execute',
      commandId: reserve.id,
      outcome: 'success',
      data: {},
    },
    ctx,
  );
}

describe('refuseCommandsTo (fail-fast)', () => {
  it('leaves a decision alone when no participant it addresses is open', () => {
    const decision = chargeDecision();
    const result = refuseCommandsTo(open('mail'), order, decision, ctx);
    assert.deepEqual(result.refused, []);
    assert.equal(result.decision, decision);
  });

  it('answers a command to an open participant with CIRCUIT_OPEN: no command, no step timeout, a retry timer', () => {
    const decision = chargeDecision();
    const [charge] = decision.commands;
    const result = refuseCommandsTo(open('payments'), order, decision, ctx);
    assert.equal(result.refused.length, 1);
    assert.equal(result.refused[0].command, charge);
    assert.equal(result.refused[0].error.code, CIRCUIT_OPEN_CODE);
    assert.match(result.refused[0].error.message, /"payments" is open .*5000 ms/);
    assert.deepEqual(result.decision.commands, []);
    assert.deepEqual(
      result.decision.timers.map((t) => t.kind),
      ['retry'],
    );
    assert.equal(result.decision.state.steps.charge.status, 'retrying');
  });

  it('compensates once retries are spent, and refuses the compensation too; a fence is never refused', () => {
    let decision = chargeDecision();
    // the charge's first attempt failed already: its second is the last
    const [first] = decision.commands;
    const failed = decide(
      order,
      decision.state,
      {
        kind: 'reply',
        step: 'charge',
        phase: 'execute',
        commandId: first.id,
        outcome: 'error',
        data: { code: 'X', message: 'x' },
      },
      ctx,
    );
    decision = decide(
      order,
      failed.state,
      { kind: 'retry-due', step: 'charge', phase: 'execute', attempt: 2 },
      ctx,
    );
    const result = refuseCommandsTo(open('payments'), order, decision, ctx);
    assert.deepEqual(
      result.refused.map((r) => r.command.command),
      ['charge'],
    );
    // the fence asks payments whether the refused charge ran: it waits for the breaker instead
    const sent = (d: typeof decision) => d.commands.map((c) => `${c.participant}:${c.command}`);
    assert.deepEqual(sent(result.decision), ['payments:skald.fence', 'stock:release']);
    const both = refuseCommandsTo(open('payments', 'stock'), order, decision, ctx);
    assert.deepEqual(
      both.refused.map((r) => r.command.command),
      ['charge', 'release'],
    );
    assert.deepEqual(sent(both.decision), ['payments:skald.fence']);
  });
});
