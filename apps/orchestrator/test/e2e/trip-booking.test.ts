import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandEnvelope } from '@skald/protocol';
import { OrchestratorHarness, type ScriptedAnswer, type ScriptedParticipant } from '@skald/testing';

/** Per-customer scripts: each test uses its own customer name, so tests never share answers. */
type Script = (command: CommandEnvelope, attempt: number) => ScriptedAnswer;
const scripts = new Map<string, Script>();
const ok = (id: string): ScriptedAnswer => ({ outcome: 'success', data: { id } });

/** Every command any participant received, in arrival order (one process, so one clock). */
const arrivals: CommandEnvelope[] = [];

function scripted(participant: string) {
  return (command: CommandEnvelope, received: CommandEnvelope[]): ScriptedAnswer => {
    arrivals.push(command);
    const named = (command.data as { customer?: string } | null)?.customer;
    // a saga's forward commands name its customer and come before its compensations, which do not
    if (named) sagaCustomers.set(command.sagaId, named);
    const customer = named ?? sagaCustomers.get(command.sagaId);
    const script = customer ? scripts.get(`${customer}:${participant}`) : undefined;
    const attempt = received.filter(
      (c) => c.sagaId === command.sagaId && c.step === command.step && c.phase === command.phase,
    ).length;
    return script ? script(command, attempt) : ok(`${participant}-${command.sagaId.slice(0, 8)}`);
  };
}
/** Compensation payloads carry no customer: saga id → customer, from its forward commands. */
const sagaCustomers = new Map<string, string>();

describe('trip booking end to end (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<string, ScriptedParticipant> = {};

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/trip-sagas.ts')],
    });
    participants = await skald.scriptedParticipants(
      ['cars', 'hotels', 'flights', 'payments', 'museums', 'approvals'],
      scripted,
    );
  });
  after(async () => {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald.stop();
  });

  async function start(type: string, customer: string, script: Record<string, Script> = {}) {
    for (const [participant, s] of Object.entries(script))
      scripts.set(`${customer}:${participant}`, s);
    return skald.startSaga(type, { customer });
  }

  const commandsOf = (sagaId: string) => arrivals.filter((c) => c.sagaId === sagaId);

  it('completes when every participant agrees', async () => {
    const saga = await start('book-trip', 'alice');
    assert.equal(saga.status, 'running');
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status, s.attempts]),
      [
        ['reserve-car', 'succeeded', 1],
        ['reserve-hotel', 'succeeded', 1],
        ['book-flight', 'succeeded', 1],
        ['charge-card', 'succeeded', 1],
      ],
    );
    assert.deepEqual(Object.keys(done.data).sort(), ['carId', 'flightId', 'hotelId']);
    const history = await skald.history(saga.id);
    assert.equal(history[0].type, 'saga-started');
    assert.deepEqual(
      history.filter((h) => h.type === 'step-succeeded').map((h) => h.step),
      ['reserve-car', 'reserve-hotel', 'book-flight', 'charge-card'],
    );
    assert.ok(
      history.every((h, i) => i === 0 || h.seq > history[i - 1].seq),
      'history is ordered',
    );
  });

  it('compensates hotel then car when the flight refuses', async () => {
    const saga = await start('book-trip', 'bob', {
      flights: () => ({ outcome: 'failure', code: 'NO_SEATS', message: 'flight full' }),
    });
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'NO_SEATS');
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status]),
      [
        ['reserve-car', 'compensated'],
        ['reserve-hotel', 'compensated'],
        ['book-flight', 'failed'],
        ['charge-card', 'pending'],
      ],
    );
    const history = await skald.history(saga.id);
    assert.deepEqual(
      history.filter((h) => h.type === 'compensation-started').map((h) => h.step),
      ['reserve-hotel', 'reserve-car'],
      'reverse order in the history',
    );
    const cancels = commandsOf(saga.id).filter((c) => c.phase === 'compensate');
    assert.deepEqual(
      cancels.map((c) => `${c.step}:${c.command}`),
      ['reserve-hotel:cancel', 'reserve-car:cancel'],
    );
    assert.ok(
      !commandsOf(saga.id).some((c) => c.step === 'book-flight' && c.phase === 'compensate'),
    );
  });

  it('retries a participant answering error twice, with growing delays, then completes', async () => {
    const saga = await start('book-trip', 'carol', {
      cars: (_c, attempt) => (attempt <= 2 ? { outcome: 'error', code: 'DOWN' } : ok('car-3')),
    });
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.steps[0].attempts, 3);
    assert.equal(done.data.carId, 'car-3');
    const retries = (await skald.history(saga.id)).filter((h) => h.type === 'retry-scheduled');
    assert.deepEqual(
      retries.map((r) => [r.step, r.details?.attempt, r.details?.delayMs]),
      [
        ['reserve-car', 2, 50],
        ['reserve-car', 3, 100],
      ],
    );
    const sent = commandsOf(saga.id).filter((c) => c.step === 'reserve-car');
    assert.deepEqual(
      sent.map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.equal(new Set(sent.map((c) => c.id)).size, 3, 'a new ce_id per attempt');
  });

  it('times out a participant that never answers, then compensates it too', async () => {
    const saga = await start('book-trip', 'dave', {
      hotels: (c) => (c.phase === 'execute' ? { outcome: 'none' } : ok('cancelled')),
    });
    const done = await skald.waitForStatus(saga.id, 'compensated');
    const hotel = done.steps.find((s) => s.name === 'reserve-hotel')!;
    assert.equal(hotel.attempts, 2);
    assert.equal(hotel.status, 'compensated', 'outcome unknown → compensated');
    const history = await skald.history(saga.id);
    assert.equal(history.filter((h) => h.type === 'step-timed-out').length, 2);
    assert.deepEqual(
      commandsOf(saga.id)
        .filter((c) => c.phase === 'compensate')
        .map((c) => c.step),
      ['reserve-hotel', 'reserve-car'],
    );
  });

  it('retries a compensation that fails transiently', async () => {
    const saga = await start('book-trip', 'erin', {
      flights: () => ({ outcome: 'failure', code: 'NO_SEATS' }),
      hotels: (c, attempt) =>
        c.phase === 'compensate' && attempt === 1
          ? { outcome: 'error', code: 'LOCKED' }
          : ok('hotel-1'),
    });
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.steps.find((s) => s.name === 'reserve-hotel')!.compensationAttempts, 2);
    const history = await skald.history(saga.id);
    assert.ok(history.some((h) => h.type === 'retry-scheduled' && h.step === 'reserve-hotel'));
  });

  it('fails when a compensation keeps failing, and POST retry finishes it once fixed', async () => {
    let broken = true;
    const saga = await start('book-trip', 'frank', {
      flights: () => ({ outcome: 'failure', code: 'NO_SEATS' }),
      hotels: (c) =>
        c.phase === 'compensate' && broken ? { outcome: 'error', code: 'DB_DOWN' } : ok('hotel-1'),
    });
    const failed = await skald.waitForStatus(saga.id, 'failed');
    assert.equal(failed.error?.code, 'COMPENSATION_FAILED');
    assert.equal(
      failed.steps.find((s) => s.name === 'reserve-hotel')!.status,
      'compensation_failed',
    );
    assert.equal(
      failed.steps.find((s) => s.name === 'reserve-car')!.status,
      'succeeded',
      'car waits its turn',
    );
    const listed = await skald.request<{ items: { id: string }[] }>(
      'GET',
      '/v1/sagas?status=failed',
    );
    assert.ok(listed.body.items.some((s) => s.id === saga.id));
    // the filters an operator narrows a list (or a bulk action) with
    const ids = async (query: string) =>
      (
        await skald.request<{ items: { id: string }[] }>('GET', `/v1/sagas?${query}`)
      ).body.items.map((s) => s.id);
    const startedAt = Date.parse(failed.createdAt);
    const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    assert.ok((await ids('status=failed&errorCode=COMPENSATION_FAILED')).includes(saga.id));
    assert.ok(!(await ids('status=failed&errorCode=CARD_DECLINED')).includes(saga.id));
    assert.ok((await ids(`createdBefore=${at(startedAt + 1)}`)).includes(saga.id));
    assert.ok(!(await ids(`createdBefore=${at(startedAt)}`)).includes(saga.id));
    assert.ok((await ids(`createdAfter=${at(startedAt)}&type=book-trip`)).includes(saga.id));
    assert.ok(!(await ids(`createdAfter=${at(startedAt + 1)}`)).includes(saga.id));
    // failed is an end, not a wait on an operator
    assert.equal(failed.waitReason, undefined);
    assert.ok(!(await ids('waitReason=paused')).includes(saga.id));

    const wrongSkip = await skald.request(
      'POST',
      `/v1/sagas/${saga.id}/steps/reserve-car/skip-compensation`,
      {
        reason: 'not the failed one',
      },
    );
    assert.equal(wrongSkip.status, 409);

    broken = false;
    const retried = await skald.request('POST', `/v1/sagas/${saga.id}/retry`);
    assert.equal(retried.status, 202);
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.steps.find((s) => s.name === 'reserve-car')!.status, 'compensated');
    assert.ok((await skald.history(saga.id)).some((h) => h.type === 'resumed'));
    assert.equal((await skald.request('POST', `/v1/sagas/${saga.id}/retry`)).status, 409);
  });

  it('compensates the car and the finished hotel when the parallel museum refuses', async () => {
    const saga = await start('book-stay', 'grace', {
      museums: () => ({ outcome: 'failure', code: 'CLOSED' }),
    });
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.deepEqual(
      done.steps.map((s) => [s.name, s.status]),
      [
        ['reserve-car', 'compensated'],
        ['reserve-hotel', 'compensated'],
        ['reserve-museum', 'failed'],
      ],
    );
    const compensations = commandsOf(saga.id).filter((c) => c.phase === 'compensate');
    assert.equal(compensations.at(-1)?.step, 'reserve-car', 'the earlier stage last');
  });

  it('cancels a running saga and compensates what it did; cancelling again is 409', async () => {
    const saga = await start('slow-order', 'heidi', {
      approvals: (c) => (c.phase === 'execute' ? { outcome: 'none' } : ok('revoked')),
    });
    await participants.approvals.waitFor((c) => c.sagaId === saga.id);
    const cancelled = await skald.request('POST', `/v1/sagas/${saga.id}/cancel`, {
      reason: 'changed my mind',
    });
    assert.equal(cancelled.status, 202);
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'CANCELLED');
    assert.deepEqual(
      commandsOf(saga.id)
        .filter((c) => c.phase === 'compensate')
        .map((c) => c.step),
      ['approve', 'reserve-car'],
      'the in-flight approval is compensated too',
    );
    assert.equal((await skald.request('POST', `/v1/sagas/${saga.id}/cancel`, {})).status, 409);
  });

  it('lists the steps of every registered definition', async () => {
    const types = await skald.request<{
      items: {
        type: string;
        name: string;
        steps: string[];
        version: number;
        stages: { name: string; steps: { name: string }[] }[];
      }[];
    }>('GET', '/v1/saga-types');
    assert.equal(types.status, 200);
    const stay = types.body.items.find((t) => t.type === 'book-stay')!;
    assert.equal(stay.name, 'book-stay', 'the old field stays');
    assert.deepEqual(stay.steps, ['reserve-car', 'reserve-hotel', 'reserve-museum']);
    assert.deepEqual(
      stay.stages.map((s) => [s.name, s.steps.map((x) => x.name)]),
      [
        ['reserve-car', ['reserve-car']],
        ['stay', ['reserve-hotel', 'reserve-museum']],
      ],
    );
  });
});
