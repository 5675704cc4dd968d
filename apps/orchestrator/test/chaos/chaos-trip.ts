// The demo trip saga with retry budgets sized for chaos. Hotel, flight and charge are patient:
// faults come in bursts (a Kafka restart plus the consumer-group rebalance that follows takes
// ~10 s, several can follow each other), and the run checks durability and consistency, not
// whether four attempts happen to be enough. The car is the opposite on purpose: its forward
// budget (3 attempts of 3 s) is shorter than a participant freeze, so the timeout path is taken —
// the saga compensates a car whose reservation may well have happened.
import { command, defineSaga } from '@skald/saga';
import type { TripInput } from '../../../demo/src/sagas/book-trip';

const patient = { retry: { maxAttempts: 12, initialMs: 500, maxMs: 5_000 }, timeoutMs: 10_000 };
const patientCompensation = { maxAttempts: 30, initialMs: 500, maxMs: 5_000 };

// Compensations carry no payload: the participant undoes what its forward command did from the
// request and reply it stored, which also covers a forward reply the orchestrator never saw.
export const chaosTrip = defineSaga('book-trip', { version: 1 })
  .input<TripInput>()
  .data<{ carId?: string; hotelId?: string; flightId?: string }>()
  .step('reserve-car', {
    invoke: (s) =>
      command('cars', 'reserve', { customer: s.input.customer, model: s.input.car.model }),
    compensate: () => command('cars', 'cancel'),
    onReply: (_s, r: { id: string }) => ({ carId: r.id }),
    retry: { maxAttempts: 3, initialMs: 500, maxMs: 1_000 },
    compensationRetry: patientCompensation,
    timeoutMs: 3_000,
  })
  .step('reserve-hotel', {
    invoke: (s) => command('hotels', 'reserve', { customer: s.input.customer, ...s.input.hotel }),
    compensate: () => command('hotels', 'cancel'),
    onReply: (_s, r: { id: string }) => ({ hotelId: r.id }),
    compensationRetry: patientCompensation,
    ...patient,
  })
  .step('book-flight', {
    invoke: (s) =>
      command('flights', 'book', { customer: s.input.customer, to: s.input.flight.to }),
    compensate: () => command('flights', 'cancel'),
    onReply: (_s, r: { id: string }) => ({ flightId: r.id }),
    compensationRetry: patientCompensation,
    ...patient,
  })
  .step('charge-card', {
    invoke: (s) =>
      command('payments', 'charge', { customer: s.input.customer, amount: s.input.amount }),
    ...patient,
    pivot: true,
  })
  .build();
