import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OverlappingRounds, type RoundClaim } from './relay-rounds';

/** A scripted round: it claims what the test says, then waits on "Kafka" until the test acks it. */
interface Scripted {
  claim: (claim: RoundClaim) => void;
  ack: () => void;
  fail: (error: Error) => void;
}

class Rounds {
  readonly started: Scripted[] = [];
  active = 0;
  mostAtOnce = 0;
  readonly rounds: OverlappingRounds;

  constructor(limit: number) {
    this.rounds = new OverlappingRounds(limit, (claimed) => {
      this.active++;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.active);
      return new Promise<void>((resolve, reject) => {
        this.started.push({ claim: claimed, ack: resolve, fail: reject });
      }).finally(() => this.active--);
    });
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const FULL = { records: 500, full: true };
const SOME = { records: 3, full: false };
const NONE = { records: 0, full: false };

describe('OverlappingRounds', () => {
  it('claims the next batch while the last one waits on Kafka, when that one came back full', async () => {
    const r = new Rounds(4);
    const run = r.rounds.run();
    assert.equal(r.started.length, 1);
    r.started[0].claim(FULL);
    assert.equal(r.started.length, 2, 'a second round started before the first was acknowledged');
    r.started[1].claim(NONE);
    r.started[1].ack();
    await tick();
    r.started[0].ack();
    await tick();
    // the second claim ran while the first held its sagas: one more looks at what it skipped
    assert.equal(r.started.length, 3);
    r.started[2].claim(NONE);
    r.started[2].ack();
    assert.equal(await run, false);
    assert.equal(r.mostAtOnce, 2);
  });

  it('starts no round while one is claiming, and at most `limit` at once', async () => {
    const r = new Rounds(2);
    const run = r.rounds.run();
    assert.equal(r.rounds.signal(), true);
    assert.equal(r.started.length, 1, 'the signal waits for the claim in progress');
    r.started[0].claim(FULL);
    r.started[1].claim(FULL);
    assert.equal(r.started.length, 2, 'no third round beyond the limit');
    r.started[0].ack();
    await tick();
    assert.equal(r.started.length, 3, 'a round ended: the wanted one starts');
    r.started[2].claim(NONE);
    r.started[2].ack();
    r.started[1].ack();
    await tick();
    assert.equal(r.started.length, 4, 'the third claim ran while the second held its sagas');
    r.started[3].claim(NONE);
    r.started[3].ack();
    assert.equal(await run, false);
    assert.equal(r.mostAtOnce, 2);
  });

  it('takes work signalled while a round waits on Kafka; with no round running, leaves it to the loop', async () => {
    const r = new Rounds(4);
    assert.equal(r.rounds.signal(), false, 'nothing running: the loop is woken instead');
    const run = r.rounds.run();
    r.started[0].claim(SOME);
    assert.equal(r.started.length, 1, 'not full: no second round by itself');
    assert.equal(r.rounds.signal(), true);
    assert.equal(r.started.length, 2);
    r.started[1].claim(SOME);
    r.started[1].ack();
    await tick();
    r.started[0].ack();
    await tick();
    // the second round claimed while the first held its sagas: one more round looks at what it skipped
    assert.equal(r.started.length, 3);
    r.started[2].claim(NONE);
    r.started[2].ack();
    assert.equal(await run, false);
    assert.equal(r.started.length, 3, 'rounds that claim nothing ask for no more');
  });

  it('runs one round when there is nothing to send', async () => {
    const r = new Rounds(4);
    const run = r.rounds.run();
    r.started[0].claim(NONE);
    r.started[0].ack();
    assert.equal(await run, false);
    assert.equal(r.started.length, 1);
  });

  it('rejects with the first failure once the other rounds ended, and starts none after it', async () => {
    const r = new Rounds(4);
    const run = r.rounds.run();
    r.started[0].claim(FULL);
    r.started[1].fail(new Error('broker down'));
    await tick();
    assert.equal(r.started.length, 2, 'no round after a failure');
    let settled = false;
    void run.catch(() => (settled = true));
    await tick();
    assert.equal(settled, false, 'the first round still waits on Kafka');
    r.started[0].ack();
    await assert.rejects(run, /broker down/);
    assert.equal(r.started.length, 2);
  });
});
