import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crashDevice, type CrashWindow } from './crash-device';

type Point = 'a' | 'b';
const windows: Record<string, CrashWindow<Point, { n: number }>> = {
  'test:at-a': { at: 'a' },
  'test:at-b-when-big': { at: 'b', when: ({ n }) => n > 10 },
};

// a device that fired would kill this test process: surviving the calls is the assertion
describe('crashDevice', () => {
  it('is inert when SKALD_CRASH_AT is unset', () => {
    const at = crashDevice(windows, {});
    at('a');
    at('b', { n: 11 });
  });

  it('refuses a name that is not one of the process crash points', () => {
    assert.throws(
      () => crashDevice(windows, { SKALD_CRASH_AT: 'test:at-c' }),
      /SKALD_CRASH_AT=test:at-c is not a crash point of this process; it has: test:at-a, test:at-b-when-big/,
    );
    assert.throws(() => crashDevice(windows, { SKALD_CRASH_AT: 'toString' }), /not a crash point/);
  });

  it('passes by every other point, and by its own point while the window is closed', () => {
    const seen: number[] = [];
    const counting: Record<string, CrashWindow<Point, { n: number }>> = {
      'test:at-b-when-big': {
        at: 'b',
        when: ({ n }) => {
          seen.push(n);
          return n > 10;
        },
      },
    };
    const at = crashDevice(counting, { SKALD_CRASH_AT: 'test:at-b-when-big' });
    at('a', { n: 99 });
    at('b', { n: 3 });
    assert.deepEqual(seen, [3]);
  });
});
