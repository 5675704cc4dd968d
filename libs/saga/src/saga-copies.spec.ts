import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSagaDefinition } from './define-saga';
import type * as DefineSaga from './define-saga';

/** define-saga.ts loaded a second time, as a saga module's own copy of @skald/saga is. */
function anotherCopyOfDefineSaga(): typeof DefineSaga {
  const path = require.resolve('./define-saga');
  const saved = require.cache[path];
  delete require.cache[path];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module instance on purpose
    return require('./define-saga') as typeof DefineSaga;
  } finally {
    require.cache[path] = saved;
  }
}

describe('a saga definition built by another copy of @skald/saga', () => {
  it('is recognised (SKALD_SAGAS modules bring their own copy)', () => {
    const other = anotherCopyOfDefineSaga();
    assert.notEqual(other.isSagaDefinition, isSagaDefinition, 'the test needs a second copy');
    const definition = other
      .defineSaga('order', { version: 1 })
      .step('reserve', {
        invoke: () => ({ participant: 'stock', command: 'reserve', payload: {} }),
      })
      .build();
    assert.equal(isSagaDefinition(definition), true);
    assert.equal(isSagaDefinition({ name: 'order', version: 1, steps: [] }), false);
  });
});
