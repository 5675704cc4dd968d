// The Python participant (examples/python-participant) in sagas beside TypeScript ones, speaking
// only the wire protocol: completion, compensation, transient errors, redelivery, the fence and
// dead letters. Skipped, saying why, where no Python ≥ 3.10 with venv is installed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { runConformance } from '@skald/conformance';
import { BusinessRefusal, createParticipant, type Participant } from '@skald/participant';
import { commandTopic, deadLetterTopic, encodeCommand, replyTopic } from '@skald/protocol';
import { OrchestratorHarness } from '@skald/testing';
import type { HotelTripInput } from './fixtures/hotel-trip';
import { header, TopicObserver } from './support/observer';
import {
  missingPython,
  pythonWithRequirements,
  runUnitChecks,
  startHotels,
  type PythonParticipant,
} from './support/python';

const CARS_SQL = `CREATE TABLE IF NOT EXISTS car_rentals (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), saga_id uuid NOT NULL, status text NOT NULL)`;

const trip = (overrides: Partial<HotelTripInput> = {}): HotelTripInput => ({
  customer: 'ada',
  city: 'Lisbon',
  nights: 3,
  amount: 900,
  ...overrides,
});

/** The TypeScript side of the trip, on the SDK: cars (with a compensation) and payments (the pivot). */
function typeScriptParticipants(skald: OrchestratorHarness, pool: Pool): Participant[] {
  const base = {
    kafka: { brokers: skald.brokers },
    database: pool,
    createTables: true,
    topicPrefix: skald.topicPrefix,
    log: () => undefined,
  };
  const cars = createParticipant({ ...base, name: 'cars' })
    .on('reserve', async (_req, { tx, sagaId }) => {
      const [row] = await tx!.query<{ id: string }>(
        `INSERT INTO car_rentals (saga_id, status) VALUES ($1, 'reserved') RETURNING id`,
        [sagaId],
      );
      return { id: row.id };
    })
    .onCompensate('cancel', async (_req, { tx, forward }) => {
      const { id } = forward!.reply as { id: string };
      await tx!.query(`UPDATE car_rentals SET status = 'cancelled' WHERE id = $1`, [id]);
    });
  const payments = createParticipant({ ...base, name: 'payments' }).on(
    'charge',
    (req: { amount: number }) => {
      if (req.amount > 5_000) throw new BusinessRefusal('CARD_DECLINED', 'over the card limit');
      return { id: randomUUID() };
    },
  );
  return [cars, payments];
}

const cannotRun = missingPython();

describe('a Python participant in a saga', { skip: cannotRun }, () => {
  let skald: OrchestratorHarness;
  let pool: Pool;
  let participants: Participant[];
  let python: string;
  let hotels: PythonParticipant;
  let observer: TopicObserver;
  let topics: { commands: string; replies: string; testReplies: string; dlq: string };

  before(async () => {
    python = await pythonWithRequirements();
    skald = await OrchestratorHarness.start({ sagas: [join(__dirname, 'fixtures/hotel-trip.ts')] });
    topics = {
      commands: commandTopic(skald.topicPrefix, 'hotels'),
      replies: replyTopic(skald.topicPrefix),
      // forged commands are answered here, not to the orchestrator
      testReplies: `${skald.topicPrefix}.test-replies`,
      dlq: deadLetterTopic(skald.topicPrefix),
    };
    observer = await TopicObserver.start(
      skald.brokers,
      `${skald.topicPrefix}.test-observer`,
      Object.values(topics),
    );
    pool = new Pool({ connectionString: skald.db.url });
    pool.on('error', () => undefined);
    await pool.query(CARS_SQL);
    participants = typeScriptParticipants(skald, pool);
    await Promise.all(participants.map((p) => p.start()));
    hotels = await startHotels(python, {
      DATABASE_URL: skald.db.url,
      KAFKA_BROKERS: skald.brokers.join(','),
      SKALD_TOPIC_PREFIX: skald.topicPrefix,
    });
  });
  after(async () => {
    await hotels?.stop();
    await observer?.stop();
    await Promise.all((participants ?? []).map((p) => p.stop()));
    await pool?.end();
    await skald?.stop();
  });

  const rows = async (table: string, sagaId: string) =>
    (
      await pool.query<{ id: string; status: string }>(
        `SELECT id, status FROM ${table} WHERE saga_id = $1`,
        [sagaId],
      )
    ).rows;

  /** A command the orchestrator did not send, answered on the test's own reply topic. */
  const forged = (sagaId: string, phase: 'execute' | 'compensate' | 'fence', command: string) =>
    encodeCommand({
      id: randomUUID(),
      source: 'test',
      command,
      time: new Date().toISOString(),
      sagaId,
      step: 'reserve-hotel',
      attempt: 1,
      phase,
      replyTo: topics.testReplies,
      data: phase === 'execute' ? { customer: 'eve', city: 'Porto', nights: 2 } : {},
    });

  /** Publishes a forged command and resolves with its reply's outcome and value. */
  const ask = async (record: ReturnType<typeof forged>) => {
    await observer.publish(topics.commands, record);
    const [reply] = await observer.waitFor(
      topics.testReplies,
      'ce_correlationid',
      record.headers.ce_id,
    );
    assert.equal(header(reply, 'ce_sagaid'), record.key);
    assert.equal(reply.key?.toString(), record.key);
    return { outcome: header(reply, 'ce_outcome'), data: JSON.parse(reply.value!.toString()) };
  };

  /**
   * Publishes the hotel's forward command of `sagaId` again, record for record, as a broker
   * redelivers it after a lost offset commit, and checks it got the very reply it got first.
   */
  const redeliverHotelCommand = async (sagaId: string) => {
    const [sent] = observer
      .having(topics.commands, 'ce_sagaid', sagaId)
      .filter((m) => header(m, 'ce_phase') === 'execute');
    const commandId = header(sent, 'ce_id')!;
    const [first] = await observer.waitFor(topics.replies, 'ce_correlationid', commandId);
    await observer.publish(topics.commands, sent);
    const [, again] = await observer.waitFor(topics.replies, 'ce_correlationid', commandId, 2);
    assert.equal(header(again, 'ce_outcome'), header(first, 'ce_outcome'));
    assert.deepEqual(JSON.parse(again.value!.toString()), JSON.parse(first.value!.toString()));
    assert.notEqual(header(again, 'ce_id'), header(first, 'ce_id'));
    return { sent, first };
  };

  it('passes its own unit checks (python -m unittest)', async () => {
    const output = await runUnitChecks(python);
    assert.match(output, /\nOK/);
  });

  it('completes a trip across the TypeScript cars and payments and the Python hotels', async () => {
    const saga = await skald.startSaga('hotel-trip', trip());
    const done = await skald.waitForStatus(saga.id, 'completed');
    const [reservation] = await rows('hotel_reservations', saga.id);
    assert.deepEqual(reservation, { id: done.data.hotelId, status: 'reserved' });
    assert.deepEqual(
      (await rows('car_rentals', saga.id)).map((r) => r.status),
      ['reserved'],
    );
  });

  it('compensates the Python step (from its stored reply) when the card is declined', async () => {
    const saga = await skald.startSaga('hotel-trip', trip({ amount: 9_000 }));
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'CARD_DECLINED');
    assert.deepEqual(
      (await rows('hotel_reservations', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
    assert.deepEqual(
      (await rows('car_rentals', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
    // the inbox answers a redelivery with its first reply even now; nothing is booked again
    await redeliverHotelCommand(saga.id);
    assert.deepEqual(
      (await rows('hotel_reservations', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
  });

  it('compensates the car when the Python hotel refuses, and keeps none of its writes', async () => {
    const saga = await skald.startSaga('hotel-trip', trip({ nights: 30 }));
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'NO_ROOMS');
    assert.deepEqual(await rows('hotel_reservations', saga.id), []);
    assert.deepEqual(
      (await rows('car_rentals', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
  });

  it('answers transient errors with `error`, rolled back, until an attempt books once', async () => {
    const saga = await skald.startSaga('hotel-trip', trip({ city: 'Flakyville' }));
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.steps.find((s) => s.name === 'reserve-hotel')!.attempts, 3);
    assert.equal((await rows('hotel_reservations', saga.id)).length, 1);
  });

  it('answers a redelivered command and a later attempt with the stored reply, running the handler once', async () => {
    const saga = await skald.startSaga('hotel-trip', trip({ customer: 'redelivered' }));
    await skald.waitForStatus(saga.id, 'completed');
    const { sent, first } = await redeliverHotelCommand(saga.id);

    // a later attempt of the same (saga, step) carries a new ce_id: answered from the operation row
    const attempt2 = { ...sent.headers, ce_id: randomUUID(), ce_attempt: '2' };
    await observer.publish(topics.commands, { ...sent, headers: attempt2 });
    const [second] = await observer.waitFor(topics.replies, 'ce_correlationid', attempt2.ce_id);
    assert.equal(header(second, 'ce_outcome'), 'success');
    assert.deepEqual(JSON.parse(second.value!.toString()), JSON.parse(first.value!.toString()));

    assert.equal((await rows('hotel_reservations', saga.id)).length, 1, 'the handler ran once');
    assert.equal((await skald.saga(saga.id)).status, 'completed');
  });

  it('fences: a compensation of a step that never ran is answered success, the late command refused', async () => {
    const sagaId = randomUUID();
    assert.deepEqual(await ask(forged(sagaId, 'compensate', 'cancel')), {
      outcome: 'success',
      data: { compensated: false, reason: 'not executed' },
    });
    const late = await ask(forged(sagaId, 'execute', 'reserve'));
    assert.equal(late.outcome, 'failure');
    assert.equal(late.data.code, 'FENCED');
    assert.deepEqual(await rows('hotel_reservations', sagaId), []);
  });

  it('answers a fence with whether the step ran, and refuses the step from then on', async () => {
    const ran = await skald.startSaga('hotel-trip', trip());
    const done = await skald.waitForStatus(ran.id, 'completed');
    assert.deepEqual(await ask(forged(ran.id, 'fence', 'skald.fence')), {
      outcome: 'success',
      data: { executed: true, reply: { id: done.data.hotelId } },
    });

    const neverRan = randomUUID();
    assert.deepEqual(await ask(forged(neverRan, 'fence', 'skald.fence')), {
      outcome: 'success',
      data: { executed: false },
    });
    assert.equal((await ask(forged(neverRan, 'execute', 'reserve'))).data.code, 'FENCED');
  });

  it('dead-letters a malformed command and an unknown one, answers failure, and stays up', async () => {
    const malformed = forged(randomUUID(), 'execute', 'reserve');
    malformed.headers.ce_phase = 'undo';
    const answer = await ask(malformed);
    assert.equal(answer.outcome, 'failure');
    assert.equal(answer.data.code, 'MALFORMED_MESSAGE');
    const [parked] = await observer.waitFor(topics.dlq, 'ce_id', malformed.headers.ce_id);
    assert.match(header(parked, 'skald_dlq_reason')!, /ce_phase must be one of/);
    assert.equal(header(parked, 'skald_dlq_topic'), topics.commands);
    assert.match(header(parked, 'skald_dlq_partition')!, /^\d+$/);
    assert.match(header(parked, 'skald_dlq_offset')!, /^\d+$/);
    assert.equal(parked.value?.toString(), malformed.value);

    const unknown = await ask(forged(randomUUID(), 'execute', 'upgrade-room'));
    assert.equal(unknown.data.code, 'UNKNOWN_COMMAND');

    const saga = await skald.startSaga('hotel-trip', trip());
    await skald.waitForStatus(saga.id, 'completed');
    assert.equal(hotels.child.exitCode, null, hotels.output());
  });

  it('passes the conformance kit (docs/conformance.md)', async () => {
    const report = await runConformance({
      participant: 'hotels',
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      command: 'reserve',
      payload: { customer: 'kit', city: 'Porto', nights: 2 },
      compensation: 'cancel',
    });
    const failed = report.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.detail}`);
    assert.deepEqual(failed, []);
    assert.equal(report.checks.length, 9);
    assert.equal(hotels.child.exitCode, null, hotels.output());
  });
});
