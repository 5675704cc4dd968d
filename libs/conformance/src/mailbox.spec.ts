import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mailbox, type ReceivedRecord } from './mailbox';

const record = (correlation: string, offset: number): ReceivedRecord => ({
  key: null,
  value: null,
  headers: { ce_correlationid: Buffer.from(correlation) },
  partition: 0,
  offset: String(offset),
});

describe('Mailbox', () => {
  it('finds a record that already arrived, by its header', async () => {
    const box = new Mailbox('ce_correlationid');
    box.add(record('a', 0));
    assert.equal((await box.next('a', 0, 10))?.offset, '0');
  });

  it('waits for a record that arrives later', async () => {
    const box = new Mailbox('ce_correlationid');
    const waiting = box.next('b', 0, 1_000);
    box.add(record('a', 0));
    box.add(record('b', 1));
    assert.equal((await waiting)?.offset, '1');
  });

  it('ignores records from before the mark, so a second answer is told from the first', async () => {
    const box = new Mailbox('ce_correlationid');
    box.add(record('a', 0));
    const mark = box.mark();
    assert.equal(await box.next('a', mark, 20), undefined);
    box.add(record('a', 1));
    assert.equal((await box.next('a', mark, 20))?.offset, '1');
  });
});
