// The demo's trip booking saga (docs/operations.md, `npm start` and the demo): car → hotel → flight → charge (the pivot).
import { command, defineSaga } from '@skald/saga';
import { tripInputSchema } from './trip-input.schema';

export interface TripInput {
  customer: string;
  /** `unobtainium` makes the car rental refuse. */
  car: { model: string };
  /** `Flakyville` makes the hotel fail transiently twice before it succeeds. */
  hotel: { city: string; nights: number };
  /** `Atlantis` makes the airline refuse. */
  flight: { to: string };
  /** Over 5000 makes the card decline. */
  amount: number;
}

interface TripData {
  carId?: string;
  hotelId?: string;
  flightId?: string;
  chargeId?: string;
}

const quickRetries = { maxAttempts: 4, initialMs: 200, maxMs: 2_000 };

export const bookTrip = defineSaga('book-trip', {
  version: 1,
  deadlineMs: 5 * 60_000,
  description: 'Demo trip booking',
})
  .input<TripInput>(tripInputSchema)
  .data<TripData>()
  .step('reserve-car', {
    invoke: (s) =>
      command('cars', 'reserve', { customer: s.input.customer, model: s.input.car.model }),
    compensate: () => command('cars', 'cancel'), // the participant knows what to undo
    onReply: (_s, r: { id: string }) => ({ carId: r.id }),
    retry: quickRetries,
    timeoutMs: 10_000,
  })
  .step('reserve-hotel', {
    invoke: (s) => command('hotels', 'reserve', { customer: s.input.customer, ...s.input.hotel }),
    compensate: () => command('hotels', 'cancel'), // the participant knows what to undo
    onReply: (_s, r: { id: string }) => ({ hotelId: r.id }),
    retry: quickRetries,
    timeoutMs: 10_000,
  })
  .step('book-flight', {
    invoke: (s) =>
      command('flights', 'book', { customer: s.input.customer, to: s.input.flight.to }),
    compensate: () => command('flights', 'cancel'), // the participant knows what to undo
    onReply: (_s, r: { id: string }) => ({ flightId: r.id }),
    retry: quickRetries,
    timeoutMs: 10_000,
  })
  .step('charge-card', {
    invoke: (s) =>
      command('payments', 'charge', { customer: s.input.customer, amount: s.input.amount }),
    onReply: (_s, r: { id: string }) => ({ chargeId: r.id }),
    retry: quickRetries,
    timeoutMs: 10_000,
    pivot: true,
  })
  .build();
