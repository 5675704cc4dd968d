import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKS, formatReport, type Report } from './report';

describe('formatReport', () => {
  it('prints one line per check, the reason of a failure, then the summary', () => {
    const report: Report = {
      participant: 'cars',
      commandTopic: 'skald.commands.cars',
      passed: false,
      checks: [
        {
          id: 'correlation',
          title: CHECKS.correlation,
          passed: true,
          detail: 'answered success {}',
        },
        { id: 'redelivery', title: CHECKS.redelivery, passed: false, detail: 'no reply' },
      ],
      leftovers: [],
    };
    assert.deepEqual(formatReport(report), [
      `PASS correlation: ${CHECKS.correlation} (answered success {})`,
      `FAIL redelivery: ${CHECKS.redelivery}: no reply`,
      '2 checks on participant "cars" (skald.commands.cars): 1 passed, 1 failed',
    ]);
  });
});
