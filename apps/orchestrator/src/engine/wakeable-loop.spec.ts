import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { WakeableLoop } from './wakeable-loop';

/** A loop whose step records when it ran and reports no work; `during` runs inside each step. */
function loopRecordingSteps(idleMs: number, during: (loop: WakeableLoop) => Promise<void>) {
  const steps: number[] = [];
  const loop: WakeableLoop = new WakeableLoop(
    'test loop',
    async () => {
      steps.push(Date.now());
      await during(loop);
      return false;
    },
    idleMs,
    new Logger('test loop', { timestamp: false }),
  );
  return { loop, steps };
}

describe('WakeableLoop', () => {
  it('sleeps the idle interval when nothing wakes it', async () => {
    const { loop, steps } = loopRecordingSteps(10_000, () => Promise.resolve());
    loop.start();
    await sleep(200);
    await loop.stop();
    assert.equal(steps.length, 1, 'one step at start, then asleep');
  });

  it('wakes at the time asked for, earlier than the idle interval, and no earlier', async () => {
    const { loop, steps } = loopRecordingSteps(10_000, () => Promise.resolve());
    loop.start();
    await sleep(20);
    const at = Date.now() + 100;
    loop.wakeBy(at + 1_000); // later than the next wake-up asked for: changes nothing
    loop.wakeBy(at);
    loop.wakeBy(at + 50);
    await sleep(250);
    await loop.stop();
    assert.equal(steps.length, 2);
    assert.ok(steps[1] >= at, `woke ${at - steps[1]} ms early`);
  });

  it('keeps a wake-up asked for while a step runs (the step may have read before it)', async () => {
    let first = true;
    const { loop, steps } = loopRecordingSteps(10_000, async (self) => {
      if (!first) return;
      first = false;
      await sleep(20);
      self.wakeBy(Date.now() + 50);
    });
    loop.start();
    await sleep(200);
    await loop.stop();
    assert.equal(steps.length, 2, 'woken 50 ms after the first step, then asleep');
  });

  it('a poke ends the sleep without waiting for a timer (setTimeout(0) costs a millisecond)', async () => {
    const { loop, steps } = loopRecordingSteps(10_000, () => Promise.resolve());
    loop.start();
    await sleep(20);
    loop.poke();
    // only microtasks: a wake-up through any timer would not have run yet
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const stepsAfterPoke = steps.length;
    await loop.stop();
    assert.equal(stepsAfterPoke, 2);
  });

  it('runs at once when poked', async () => {
    const { loop, steps } = loopRecordingSteps(10_000, () => Promise.resolve());
    loop.start();
    await sleep(20);
    loop.poke();
    await sleep(20);
    await loop.stop();
    assert.equal(steps.length, 2);
  });
});
