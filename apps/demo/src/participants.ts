// The demo's four services, each with its own table, built on the participant SDK.
import type { Pool } from 'pg';
import {
  BusinessRefusal,
  createParticipant,
  type CommandHandler,
  type Participant,
  type ParticipantKafkaOptions,
} from '@skald/participant';

export const DEMO_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS demo_car_rentals (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), saga_id uuid NOT NULL, customer text NOT NULL, model text NOT NULL, status text NOT NULL);
CREATE TABLE IF NOT EXISTS demo_hotel_bookings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), saga_id uuid NOT NULL, customer text NOT NULL, city text NOT NULL, nights int NOT NULL, status text NOT NULL);
CREATE TABLE IF NOT EXISTS demo_flight_tickets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), saga_id uuid NOT NULL, customer text NOT NULL, destination text NOT NULL, status text NOT NULL);
CREATE TABLE IF NOT EXISTS demo_payments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), saga_id uuid NOT NULL, customer text NOT NULL, amount numeric NOT NULL);
`;

export interface DemoOptions {
  brokers: string[];
  /** SASL and TLS towards the brokers. @default neither */
  credentials?: Pick<ParticipantKafkaOptions, 'sasl' | 'ssl'>;
  pool: Pool;
  topicPrefix?: string;
  log?: (message: string) => void;
}

interface Row {
  id: string;
}

/**
 * Cancels what the step's forward command created here. The SDK calls a compensation only when
 * that command ran here, and hands over its reply: the saga itself may never have seen the id
 * (its reply came after the step timed out).
 */
function cancel(table: string): CommandHandler {
  return async (_req, { tx, forward }) => {
    const { id } = forward!.reply as Row;
    await tx!.query(`UPDATE ${table} SET status = 'cancelled' WHERE id = $1`, [id]);
    return { cancelled: id };
  };
}

export function demoParticipants(options: DemoOptions): Participant[] {
  const { brokers, credentials, pool, topicPrefix, log } = options;
  const base = {
    kafka: { brokers, ...credentials },
    database: pool,
    createTables: true,
    topicPrefix,
    log,
  };

  const cars = createParticipant({ ...base, name: 'cars' })
    .on('reserve', async (req: { customer: string; model: string }, { tx, sagaId }) => {
      if (req.model === 'unobtainium')
        throw new BusinessRefusal('CAR_UNAVAILABLE', `no ${req.model} car is available`);
      const [row] = await tx!.query<Row>(
        `INSERT INTO demo_car_rentals (saga_id, customer, model, status) VALUES ($1, $2, $3, 'reserved') RETURNING id`,
        [sagaId, req.customer, req.model],
      );
      return { id: row.id };
    })
    .onCompensate('cancel', cancel('demo_car_rentals'));

  const hotels = createParticipant({ ...base, name: 'hotels' })
    .on(
      'reserve',
      async (req: { customer: string; city: string; nights: number }, { tx, sagaId, attempt }) => {
        if (req.city === 'Flakyville' && attempt < 3)
          throw new Error(`the ${req.city} booking system timed out`);
        const [row] = await tx!.query<Row>(
          `INSERT INTO demo_hotel_bookings (saga_id, customer, city, nights, status) VALUES ($1, $2, $3, $4, 'reserved') RETURNING id`,
          [sagaId, req.customer, req.city, req.nights],
        );
        return { id: row.id };
      },
    )
    .onCompensate('cancel', cancel('demo_hotel_bookings'));

  const flights = createParticipant({ ...base, name: 'flights' })
    .on('book', async (req: { customer: string; to: string }, { tx, sagaId }) => {
      if (req.to === 'Atlantis')
        throw new BusinessRefusal('NO_SUCH_DESTINATION', 'no airline flies to Atlantis');
      const [row] = await tx!.query<Row>(
        `INSERT INTO demo_flight_tickets (saga_id, customer, destination, status) VALUES ($1, $2, $3, 'booked') RETURNING id`,
        [sagaId, req.customer, req.to],
      );
      return { id: row.id };
    })
    .onCompensate('cancel', cancel('demo_flight_tickets'));

  const payments = createParticipant({ ...base, name: 'payments' }).on(
    'charge',
    async (req: { customer: string; amount: number }, { tx, sagaId }) => {
      if (req.amount > 5_000)
        throw new BusinessRefusal('CARD_DECLINED', `${req.amount} is over the card limit of 5000`);
      const [row] = await tx!.query<Row>(
        'INSERT INTO demo_payments (saga_id, customer, amount) VALUES ($1, $2, $3) RETURNING id',
        [sagaId, req.customer, req.amount],
      );
      return { id: row.id };
    },
  );

  return [cars, hotels, flights, payments];
}
