// The demo trip saga with a retry budget sized for chaos: faults come in bursts (a Kafka restart
// plus the consumer-group rebalance that follows takes ~10 s, several can follow each other), and
// the run checks durability and consistency, not whether four attempts happen to be enough.
import { command, defineSaga } from '@skald/saga';
import type { TripInput } from '../../../demo/src/sagas/book-trip';

const patient = { retry: { maxAttempts: 12, initialMs: 500, maxMs: 5_000 }, timeoutMs: 10_000 };

export const chaosTrip = defineSaga('book-trip', { version: 1 })
  .input<TripInput>()
  .data<{ carId?: string; hotelId?: string; flightId?: string }>()
  .step('reserve-car', {
    invoke: (s) =>
      command('cars', 'reserve', { customer: s.input.customer, model: s.input.car.model }),
    compensate: (s) => command('cars', 'cancel', { id: s.data.carId }),
    onReply: (_s, r: { id: string }) => ({ carId: r.id }),
    compensationRetry: { maxAttempts: 30, initialMs: 500, maxMs: 5_000 },
    ...patient,
  })
  .step('reserve-hotel', {
    invoke: (s) => command('hotels', 'reserve', { customer: s.input.customer, ...s.input.hotel }),
    compensate: (s) => command('hotels', 'cancel', { id: s.data.hotelId }),
    onReply: (_s, r: { id: string }) => ({ hotelId: r.id }),
    compensationRetry: { maxAttempts: 30, initialMs: 500, maxMs: 5_000 },
    ...patient,
  })
  .step('book-flight', {
    invoke: (s) =>
      command('flights', 'book', { customer: s.input.customer, to: s.input.flight.to }),
    compensate: (s) => command('flights', 'cancel', { id: s.data.flightId }),
    onReply: (_s, r: { id: string }) => ({ flightId: r.id }),
    compensationRetry: { maxAttempts: 30, initialMs: 500, maxMs: 5_000 },
    ...patient,
  })
  .step('charge-card', {
    invoke: (s) =>
      command('payments', 'charge', { customer: s.input.customer, amount: s.input.amount }),
    ...patient,
    pivot: true,
  })
  .build();
