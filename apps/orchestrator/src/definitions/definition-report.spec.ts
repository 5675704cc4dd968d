import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { command, defineSaga, type SagaDefinition } from '@skald/saga';
import { definitionHash } from '../engine/definition-shape';
import { definitionProblems } from './definition-report';

const v1 = defineSaga('trip', { version: 1 })
  .step('reserve', { invoke: () => command('cars', 'reserve', {}), timeoutMs: 1_000 })
  .step('charge', { invoke: () => command('cards', 'charge', {}), timeoutMs: 1_000 })
  .build();
const registered = [v1];
const lookup = (type: string, version: number): SagaDefinition | undefined =>
  registered.find((d) => d.name === type && d.version === version);

describe('definition shape hash', () => {
  it('changes with the steps, not with tuning', () => {
    const retuned = defineSaga('trip', { version: 1, description: 'tuned' })
      .step('reserve', {
        invoke: () => command('cars', 'reserve', {}),
        timeoutMs: 9_000,
        retry: { maxAttempts: 9 },
      })
      .step('charge', { invoke: () => command('cards', 'charge', {}), timeoutMs: 1_000 })
      .build();
    const renamed = defineSaga('trip', { version: 1 })
      .step('hold', { invoke: () => command('cars', 'reserve', {}), timeoutMs: 1_000 })
      .step('charge', { invoke: () => command('cards', 'charge', {}), timeoutMs: 1_000 })
      .build();
    assert.equal(definitionHash(retuned), definitionHash(v1));
    assert.notEqual(definitionHash(renamed), definitionHash(v1));
  });
});

describe('definitionProblems', () => {
  it('finds nothing when versions, shapes and steps match; skips sagas stored without a hash', () => {
    const problems = definitionProblems(
      lookup,
      definitionHash,
      [
        { type: 'trip', version: 1, definitionHash: definitionHash(v1), sagas: 4 },
        { type: 'trip', version: 1, definitionHash: null, sagas: 2 },
      ],
      [{ type: 'trip', version: 1, step: 'reserve', sagas: 6 }],
    );
    assert.deepEqual(problems, []);
  });

  it('names each problem once per type and version, with the count and what to do', () => {
    const problems = definitionProblems(
      lookup,
      definitionHash,
      [
        { type: 'trip', version: 1, definitionHash: 'old-a', sagas: 2 },
        { type: 'trip', version: 1, definitionHash: 'old-b', sagas: 1 },
        { type: 'trip', version: 0, definitionHash: null, sagas: 1 },
      ],
      [
        { type: 'trip', version: 1, step: 'gone', sagas: 3 },
        // its version is missing altogether: reported as missing-version only
        { type: 'trip', version: 0, step: 'gone', sagas: 1 },
      ],
    );
    assert.deepEqual(
      problems.map(({ kind, version, step, sagas }) => ({ kind, version, step, sagas })),
      [
        { kind: 'changed-shape', version: 1, step: undefined, sagas: 3 },
        { kind: 'missing-version', version: 0, step: undefined, sagas: 1 },
        { kind: 'missing-step', version: 1, step: 'gone', sagas: 3 },
      ],
    );
    assert.match(problems[1].message, /^1 unfinished saga: trip v0 is not registered: register it/);
    assert.match(problems[2].message, /^3 unfinished sagas: .*no longer has step "gone"/);
  });
});
