// The input of the demo's book-trip saga as JSON Schema (draft 2020-12), matching TripInput in
// book-trip.ts: the orchestrator refuses a trip that does not match it before any saga exists.
import type { JsonSchema } from '@skald/saga';

const text = { type: 'string', minLength: 1 } as const;

export const tripInputSchema = {
  type: 'object',
  required: ['customer', 'car', 'hotel', 'flight', 'amount'],
  additionalProperties: false,
  properties: {
    customer: text,
    car: {
      type: 'object',
      required: ['model'],
      additionalProperties: false,
      properties: { model: { ...text, description: '`unobtainium` makes the car rental refuse' } },
    },
    hotel: {
      type: 'object',
      required: ['city', 'nights'],
      additionalProperties: false,
      properties: {
        city: { ...text, description: '`Flakyville` fails twice, then the retry succeeds' },
        nights: { type: 'integer', minimum: 1 },
      },
    },
    flight: {
      type: 'object',
      required: ['to'],
      additionalProperties: false,
      properties: { to: { ...text, description: '`Atlantis` makes the airline refuse' } },
    },
    amount: { type: 'number', exclusiveMinimum: 0, description: 'over 5000 the card is declined' },
  },
  examples: [
    {
      customer: 'ada',
      car: { model: 'compact' },
      hotel: { city: 'Lisbon', nights: 3 },
      flight: { to: 'Oslo' },
      amount: 900,
    },
  ],
} as const satisfies JsonSchema;
