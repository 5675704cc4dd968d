// The saga: reserve the items, then charge; a refused charge releases the reservation.
// The stock orchestrator loads it from the compiled module: SKALD_SAGAS=dist/order-saga.js
import { command, defineSaga } from '@skald/saga';

export const placeOrder = defineSaga('place-order', { version: 1, deadlineMs: 60_000 })
  .input<{ customer: string; items: string[]; amount: number }>({
    type: 'object',
    required: ['customer', 'items', 'amount'],
    properties: {
      customer: { type: 'string' },
      items: { type: 'array', items: { type: 'string' }, minItems: 1 },
      amount: { type: 'number', exclusiveMinimum: 0 },
    },
  })
  .data<{ reservationId?: number }>()
  .step('reserve-items', {
    invoke: (s) => command('shop', 'reserve', { customer: s.input.customer, items: s.input.items }),
    compensate: () => command('shop', 'release'),
    onReply: (_s, reply: { id: number }) => ({ reservationId: reply.id }),
    timeoutMs: 10_000,
  })
  .step('charge', {
    invoke: (s) => command('shop', 'charge', { amount: s.input.amount }),
    pivot: true,
  })
  .build();
