// The pages that pure data decides: the definition check's problems, estimated overview counts and
// the operator actions a saga's state offers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { sagaResource } from '../../api/saga-resource';
import { definitionsPage } from './other-pages';
import { overviewPage } from './overview';
import { sagaActions } from './saga-actions';

type Saga = ReturnType<typeof sagaResource>;
const saga = (status: string, steps: { name: string; status: string }[] = []) =>
  ({ id: '0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11', status, steps }) as unknown as Saga;

describe('console views', () => {
  it('shows the definition check: ok, or each problem with what to do', () => {
    const ok = definitionsPage([], {
      ok: true,
      unfinishedSagas: 3,
      affectedSagas: 0,
      problems: [],
    });
    assert.match(ok.text, /Deploy-time check: ok/);
    assert.match(ok.text, /None of the 3 unfinished sagas would break/);
    const broken = definitionsPage([], {
      ok: false,
      unfinishedSagas: 12,
      affectedSagas: 5,
      problems: [
        {
          kind: 'missing-step',
          type: 'book-trip',
          version: 2,
          step: 'reserve-car',
          sagas: 5,
          message: '5 unfinished sagas: book-trip v2 no longer has step "reserve-car"',
        },
      ],
    });
    assert.match(broken.text, /Deploy-time check: 1 problem/);
    assert.match(broken.text, /5 of 12 unfinished sagas would break/);
    assert.match(broken.text, /<tr data-problem="missing-step">/);
    assert.match(broken.text, /<td>reserve-car<\/td>/);
    assert.match(broken.text, /no longer has step &quot;reserve-car&quot;/);
  });

  it('marks estimated counts with ≈ and counts the others by type', () => {
    const page = overviewPage({
      counts: {
        exact: [{ status: 'failed', type: 'book-trip', count: 3 }],
        estimated: [{ status: 'completed', count: 89_943 }],
      },
      oldestRunning: [],
      troubledParticipants: [],
    }).text;
    assert.match(page, /≈ 89,943/);
    assert.match(page, /estimated from PostgreSQL's statistics/);
    assert.match(page, /book-trip<\/a>:\s*3/);
    assert.ok(page.indexOf('data-status="failed"') < page.indexOf('data-status="completed"'));
  });

  it('offers the actions that fit the saga: pause a running one, resume or skip a paused one', () => {
    const names = (s: Saga, skippable = false) =>
      sagaActions(s, {
        stages: [{ steps: [{ name: 'label', skippable }] }],
      } as never).map((a) => a.action + (a.step ? `:${a.step}` : ''));
    assert.deepEqual(names(saga('running')), ['pause', 'cancel']);
    const paused = saga('paused', [{ name: 'label', status: 'paused' }]);
    assert.deepEqual(names(paused), ['resume', 'cancel']);
    assert.deepEqual(names(paused, true), ['resume', 'skip-step:label', 'cancel']);
    assert.deepEqual(names(saga('failed', [{ name: 'hold', status: 'compensation_failed' }])), [
      'retry',
      'skip-compensation:hold',
    ]);
    assert.deepEqual(names(saga('completed')), []);
  });
});
