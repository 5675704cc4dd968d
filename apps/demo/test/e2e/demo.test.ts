import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import type { Participant } from '@skald/participant';
import { OrchestratorHarness } from '@skald/testing';
import { DEMO_SCHEMA_SQL, demoParticipants } from '../../src/participants';
import type { TripInput } from '../../src/sagas/book-trip';

const trip = (overrides: Partial<TripInput> = {}): TripInput => ({
  customer: 'ada',
  car: { model: 'compact' },
  hotel: { city: 'Lisbon', nights: 3 },
  flight: { to: 'Oslo' },
  amount: 900,
  ...overrides,
});

describe('the demo: trip booking against the SDK participants, each with its own tables', () => {
  let skald: OrchestratorHarness;
  let pool: Pool;
  let participants: Participant[];

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../../src/sagas/book-trip.ts')],
    });
    pool = new Pool({ connectionString: skald.db.url });
    await pool.query(DEMO_SCHEMA_SQL);
    participants = demoParticipants({
      brokers: skald.brokers,
      pool,
      topicPrefix: skald.topicPrefix,
      log: () => undefined,
    });
    await Promise.all(participants.map((p) => p.start()));
  });
  after(async () => {
    await Promise.all(participants.map((p) => p.stop()));
    await pool.end();
    await skald.stop();
  });

  const rows = async (table: string, sagaId: string) =>
    (await pool.query<{ status?: string }>(`SELECT * FROM ${table} WHERE saga_id = $1`, [sagaId]))
      .rows;

  it('books a whole trip: one car, one hotel, one flight, one payment', async () => {
    const saga = await skald.startSaga('book-trip', trip());
    await skald.waitForStatus(saga.id, 'completed');
    assert.deepEqual(
      (await rows('demo_car_rentals', saga.id)).map((r) => r.status),
      ['reserved'],
    );
    assert.deepEqual(
      (await rows('demo_hotel_bookings', saga.id)).map((r) => r.status),
      ['reserved'],
    );
    assert.deepEqual(
      (await rows('demo_flight_tickets', saga.id)).map((r) => r.status),
      ['booked'],
    );
    assert.equal((await rows('demo_payments', saga.id)).length, 1);
  });

  it('cancels the hotel and the car when the airline refuses, and charges nothing', async () => {
    const saga = await skald.startSaga('book-trip', trip({ flight: { to: 'Atlantis' } }));
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'NO_SUCH_DESTINATION');
    assert.deepEqual(
      (await rows('demo_car_rentals', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
    assert.deepEqual(
      (await rows('demo_hotel_bookings', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
    assert.deepEqual(await rows('demo_flight_tickets', saga.id), []);
    assert.deepEqual(await rows('demo_payments', saga.id), []);
  });

  it('retries a flaky hotel until it answers, booking it once', async () => {
    const saga = await skald.startSaga(
      'book-trip',
      trip({ hotel: { city: 'Flakyville', nights: 1 } }),
    );
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.steps.find((s) => s.name === 'reserve-hotel')!.attempts, 3);
    assert.equal((await rows('demo_hotel_bookings', saga.id)).length, 1);
  });

  it('compensates everything before the pivot when the card is declined', async () => {
    const saga = await skald.startSaga('book-trip', trip({ amount: 9_000 }));
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.error?.code, 'CARD_DECLINED');
    assert.deepEqual(
      (await rows('demo_flight_tickets', saga.id)).map((r) => r.status),
      ['cancelled'],
    );
  });
});
