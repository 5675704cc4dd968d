import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, spread, spreadRows, summarizeRuns } from './repeat';

describe('bench --repeat: median and spread', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('gives median, min and max of the finite numbers only, null when there are none', () => {
    assert.deepEqual(spread([165, 120.123, null, NaN, 180]), {
      median: 165,
      min: 120.12,
      max: 180,
    });
    assert.equal(spread([null, undefined]), null);
  });

  it('keeps the shape of the runs, each number replaced by its spread, strings and arrays dropped', () => {
    const runs = [
      { sagasPerSec: 100, ratios: { vsRestate: 0.5, vsDbos: null }, note: 'a', levels: [1] },
      { sagasPerSec: 140, ratios: { vsRestate: 0.7, vsDbos: 1.2 }, note: 'b', levels: [2] },
      { sagasPerSec: 120, ratios: { vsRestate: 0.6 }, note: 'c', levels: [3] },
    ];
    assert.deepEqual(summarizeRuns(runs), {
      sagasPerSec: { median: 120, min: 100, max: 140 },
      ratios: {
        vsRestate: { median: 0.6, min: 0.5, max: 0.7 },
        vsDbos: { median: 1.2, min: 1.2, max: 1.2 },
      },
    });
  });

  it('lists the leaves as dotted paths for the console table', () => {
    const summary = summarizeRuns([
      { idle: { statements: 10 }, x: null },
      { idle: { statements: 30 } },
    ]);
    assert.deepEqual(spreadRows(summary), [
      ['idle.statements', { median: 20, min: 10, max: 30 }],
      ['x', null],
    ]);
  });
});
