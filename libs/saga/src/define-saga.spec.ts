import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  command,
  defineSaga,
  isSagaDefinition,
  type JsonSchema,
  type StepOptions,
} from './define-saga';
import { SagaDefinitionError } from './errors';
import { participantsOf } from './participants';
import { SagaRegistry } from './registry';

const noop = { invoke: () => command('p', 'do') };
const undo = { ...noop, compensate: () => command('p', 'undo') };

function rejects(build: () => unknown, message: RegExp): void {
  assert.throws(build, (e: unknown) => e instanceof SagaDefinitionError && message.test(e.message));
}

describe('defineSaga', () => {
  it('builds typed stages and describes them', () => {
    const saga = defineSaga('trip', { version: 2, deadlineMs: 1_000 })
      .input<{ customer: string }>()
      .data<{ carId?: string }>()
      .step('car', {
        invoke: (s) => command('cars', 'reserve', { customer: s.input.customer }),
        compensate: (s) => command('cars', 'cancel', { id: s.data.carId }),
        onReply: (_s, r: { id: string }) => ({ carId: r.id }),
        retry: { maxAttempts: 5 },
      })
      .parallel('stay', (g) => g.step('hotel', undo).step('museum', { ...noop, when: () => false }))
      .step('charge', { ...noop, pivot: true })
      .build();
    assert.ok(isSagaDefinition(saga));
    assert.deepEqual(saga.stepNames(), ['car', 'hotel', 'museum', 'charge']);
    assert.equal(saga.stageOf('museum'), 1);
    assert.equal(saga.pivotStage, 2);
    const described = saga.describe();
    assert.equal(described.deadlineMs, 1_000);
    assert.deepEqual(
      described.stages.map((s) => [
        s.name,
        s.kind,
        s.steps.map((x) => [x.name, x.compensatable, x.conditional, x.pivot]),
      ]),
      [
        ['car', 'step', [['car', true, false, false]]],
        [
          'stay',
          'parallel',
          [
            ['hotel', true, false, false],
            ['museum', false, true, false],
          ],
        ],
        ['charge', 'step', [['charge', false, false, true]]],
      ],
    );
    assert.equal(described.stages[0].steps[0].retry.maxAttempts, 5);
    assert.equal(described.stages[0].steps[0].compensationRetry.maxAttempts, 10);
    assert.equal(described.stages[0].steps[0].timeoutMs, 30_000);
    assert.doesNotThrow(() => JSON.stringify(described));
    assert.equal(saga.inputSchema, undefined, 'no schema: any JSON object is accepted');
  });

  it('carries the input schema on the definition and in its description', () => {
    const schema = {
      type: 'object',
      required: ['customer'],
      properties: { customer: { type: 'string' } },
      examples: [{ customer: 'ada' }],
    } as const;
    const saga = defineSaga('trip', { version: 1 })
      .input<{ customer: string }>(schema)
      .step('car', { invoke: (s) => command('cars', 'reserve', { customer: s.input.customer }) })
      .build();
    assert.equal(saga.inputSchema, schema);
    assert.deepEqual(JSON.parse(JSON.stringify(saga.describe())).inputSchema, schema);
  });

  const rules: [string, () => unknown, RegExp][] = [
    [
      'empty saga',
      () => defineSaga('empty', { version: 1 }).build(),
      /saga "empty" v1: it has no steps/,
    ],
    [
      'bad saga name',
      () => defineSaga('has space', { version: 1 }).step('a', noop).build(),
      /saga "has space" v1: the name must be/,
    ],
    [
      'bad version',
      () => defineSaga('v', { version: 0 }).step('a', noop).build(),
      /saga "v" v0: version must be a positive integer/,
    ],
    [
      'bad deadline',
      () => defineSaga('d', { version: 1, deadlineMs: 0 }).step('a', noop).build(),
      /deadlineMs must be greater than 0/,
    ],
    [
      'duplicate step',
      () => defineSaga('dup', { version: 1 }).step('a', noop).step('a', noop).build(),
      /saga "dup" v1: the name "a" is used twice/,
    ],
    [
      'group named like a step',
      () =>
        defineSaga('dup', { version: 1 })
          .step('a', noop)
          .parallel('a', (g) => g.step('b', noop))
          .build(),
      /the name "a" is used twice/,
    ],
    [
      'empty group',
      () =>
        defineSaga('g', { version: 1 })
          .parallel('stay', (g) => g)
          .build(),
      /parallel group "stay" has no steps/,
    ],
    [
      'two pivots',
      () =>
        defineSaga('p', { version: 1 })
          .step('a', { ...noop, pivot: true })
          .step('b', { ...noop, pivot: true })
          .build(),
      /step "b" is a second pivot/,
    ],
    [
      'pivot in a group',
      () =>
        defineSaga('p', { version: 1 })
          .parallel('g', (g) => g.step('a', { ...noop, pivot: true }))
          .build(),
      /step "a" is a pivot inside parallel group "g"/,
    ],
    [
      'compensation on the pivot',
      () =>
        defineSaga('p', { version: 1 })
          .step('a', { ...undo, pivot: true })
          .build(),
      /step "a" is the pivot and has a compensate/,
    ],
    [
      'compensation after the pivot',
      () =>
        defineSaga('p', { version: 1 })
          .step('a', { ...noop, pivot: true })
          .step('b', undo)
          .build(),
      /saga "p" v1: step "b" comes after the pivot and has a compensate/,
    ],
    [
      'zero timeout',
      () =>
        defineSaga('t', { version: 1 })
          .step('a', { ...noop, timeoutMs: 0 })
          .build(),
      /step "a": timeoutMs must be greater than 0/,
    ],
    [
      'zero attempts',
      () =>
        defineSaga('r', { version: 1 })
          .step('a', { ...noop, retry: { maxAttempts: 0 } })
          .build(),
      /step "a": retry.maxAttempts must be an integer of at least 1/,
    ],
    [
      'max below initial',
      () =>
        defineSaga('r', { version: 1 })
          .step('a', { ...noop, compensationRetry: { initialMs: 500, maxMs: 10 } })
          .build(),
      /compensationRetry.maxMs must be at least initialMs \(500\)/,
    ],
    [
      'an input schema that is not an object',
      () =>
        defineSaga('s', { version: 1 })
          .input(['string'] as unknown as JsonSchema)
          .step('a', noop)
          .build(),
      /saga "s" v1: the input schema must be a JSON Schema object/,
    ],
    [
      'missing invoke',
      () =>
        defineSaga('i', { version: 1 })
          .step('a', {} as StepOptions<unknown, object>)
          .build(),
      /step "a" needs an invoke function/,
    ],
  ];
  for (const [name, build, message] of rules) {
    it(`rejects ${name}, naming the saga and the step`, () => rejects(build, message));
  }
});

describe('SagaRegistry', () => {
  const v1 = defineSaga('order', { version: 1 }).step('a', noop).build();
  const v2 = defineSaga('order', { version: 2 }).step('a', noop).step('b', noop).build();

  it('keeps every version and answers the latest', () => {
    const registry = new SagaRegistry();
    registry.register(v2);
    registry.register(v1);
    registry.register(v1);
    assert.equal(registry.latest('order'), v2);
    assert.equal(registry.get('order', 1), v1);
    assert.equal(registry.get('order', 3), undefined);
    assert.deepEqual(registry.list(), [v1, v2]);
    assert.deepEqual(registry.types(), ['order']);
  });

  it('refuses two different definitions under one version', () => {
    const registry = new SagaRegistry();
    registry.register(v1);
    const other = defineSaga('order', { version: 1 }).step('x', noop).build();
    rejects(
      () => registry.register(other),
      /"order" v1 is registered twice with different definitions/,
    );
  });

  it('refuses a compensation addressed to another participant than its step', () => {
    rejects(
      () =>
        defineSaga('refund', { version: 1 })
          .input<{ amount: number }>()
          .step('charge', {
            invoke: (s) => command('payments', 'charge', { amount: s.input.amount }),
            compensate: (s) => command('refunds', 'refund', { amount: s.input.amount }),
          })
          .build(),
      /step charge: its compensation goes to participant "refunds" but its command went to "payments"/,
    );
  });
});

describe('participantsOf', () => {
  it('lists the participants every saga addresses, forward and compensation, not the chosen ones', () => {
    const saga = defineSaga('ship', { version: 1 })
      .input<{ warehouse: string; express: boolean; amount: number }>()
      .step('charge', {
        invoke: (s) => command('payments', 'charge', { cents: s.input.amount * 100 }),
        compensate: () => command('payments', 'refund'),
      })
      .parallel('pack', (g) =>
        g
          .step('box', { invoke: () => command('boxes', 'fold') })
          .step('pick', { invoke: (s) => command(`warehouse-${s.input.warehouse}`, 'pick') }),
      )
      .step('send', {
        invoke: (s) => command(s.input.warehouse, 'send'),
        compensate: (s) => command(s.input.warehouse, 'recall'),
      })
      .build();
    assert.deepEqual(participantsOf(saga), ['boxes', 'payments']);
  });
});
