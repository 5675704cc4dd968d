import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimCommitGate } from './claim-commit-gate';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ClaimCommitGate: claims and commits take turns', () => {
  it('a commit waits for the claim statement running, and a claim for the commit under way', async () => {
    const gate = new ClaimCommitGate();
    const events: string[] = [];
    let endClaim!: () => void;
    const claim = gate.run(async () => {
      events.push('claim starts');
      await new Promise<void>((resolve) => (endClaim = resolve));
      events.push('claim ends');
    });
    const commit = gate.commit().then((release) => {
      events.push('commit');
      return release;
    });
    await tick();
    assert.deepEqual(events, ['claim starts'], 'no commit while the claim runs');
    endClaim();
    const release = await commit;
    const next = gate.run(async () => void events.push('next claim'));
    await tick();
    assert.deepEqual(events, ['claim starts', 'claim ends', 'commit']);
    release();
    await next;
    assert.deepEqual(events, ['claim starts', 'claim ends', 'commit', 'next claim']);
    await claim;
  });

  it('a failed claim lets the next one go', async () => {
    const gate = new ClaimCommitGate();
    await assert.rejects(
      gate.run(() => Promise.reject(new Error('statement failed'))),
      /statement failed/,
    );
    assert.equal(await gate.run(() => Promise.resolve('next')), 'next');
  });

  it('counts the statements run through it, so a transaction can tell one ran meanwhile', async () => {
    const gate = new ClaimCommitGate();
    await gate.run(() => Promise.resolve());
    const before = gate.turns;
    const release = await gate.commit();
    release();
    assert.equal(gate.turns, before, 'a commit is not a statement');
    await gate.run(() => Promise.resolve());
    assert.equal(gate.turns, before + 1);
  });

  it('tells a watched statement whether a commit was under way while it ran', async () => {
    const gate = new ClaimCommitGate();
    const quiet = gate.watch();
    assert.equal(quiet(), false, 'nothing committed');
    const overlapped = gate.watch();
    const release = await gate.commit();
    const duringCommit = gate.watch();
    release();
    assert.equal(overlapped(), true, 'a commit began while it ran');
    assert.equal(duringCommit(), true, 'it was sent while a commit was under way');
    assert.equal(gate.watch()(), false, 'the commit had ended before it was sent');
  });
});
