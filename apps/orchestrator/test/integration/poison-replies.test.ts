import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HEADERS, type CommandEnvelope } from '@skald/protocol';
import { waitUntil, type RawRecord } from '@skald/testing';
import { ReplyPoisonRig } from '../fixtures/poison-replies';

interface TransactionResource {
  id: string;
  status: string;
}

describe('reply consumer: a poison reply is dead-lettered, no saga changes, the partition moves on', () => {
  const rig = new ReplyPoisonRig();
  before(() => rig.start());
  after(() => rig.stop());

  /** Sends `poison` and then the good reply to the same command; the saga must end on the good one. */
  async function poisonThenGood(poison: (command: CommandEnvelope) => RawRecord) {
    const { sagaId, command } = await rig.pendingSaga();
    const good = rig.reply(command, { outcome: 'success', data: { id: 'car-1' } });
    const [offset] = await rig.send(poison(command), good);
    await rig.skald.waitForStatus(sagaId, 'completed', 20_000);
    assert.deepEqual(
      await rig.storedReply(command.id),
      { id: 'car-1' },
      'only the good one applied',
    );
    const reason = await rig.deadLetterAt(offset);
    assert.ok(reason, `the poison at offset ${offset} was dead-lettered`);
    return reason;
  }

  it('U+0000 in the value (jsonb refuses it): parked as malformed', async () => {
    const reason = await poisonThenGood((command) =>
      rig.reply(command, { outcome: 'success', data: { id: 'a\u0000b' } }),
    );
    assert.match(reason, /malformed reply: value has a string with U\+0000/);
  });

  it('a header over 1 KiB: parked with its length', async () => {
    const reason = await poisonThenGood((command) => {
      const record = rig.reply(command, { outcome: 'success', data: { id: 'long' } });
      return { ...record, headers: { ...record.headers, [HEADERS.source]: 's'.repeat(5_000) } };
    });
    assert.match(reason, /malformed reply: header ce_source is 5000 bytes long/);
  });

  it('a value nested too deep to store (fails after decoding): parked with the error', async () => {
    const reason = await poisonThenGood((command) => ({
      ...rig.reply(command, { outcome: 'success', data: null }),
      value: '['.repeat(100_000) + ']'.repeat(100_000),
    }));
    assert.match(reason, /reply cannot be applied: RangeError: Maximum call stack size exceeded/);
  });

  it('2PC: U+0000 in a vote (jsonb refuses it) is parked; the YES vote behind it commits', async () => {
    const begun = await rig.skald.request<TransactionResource>('POST', '/v1/transactions', {
      participants: [{ participant: 'bank', command: 'debit', payload: { amount: 1 } }],
      timeoutMs: 120_000,
    });
    assert.equal(begun.status, 201, JSON.stringify(begun.body));
    const prepare = await rig.bank.waitFor((c) => c.sagaId === begun.body.id);
    const poison = rig.reply(prepare, {
      outcome: 'error',
      data: { code: 'BUSY', message: 'try\u0000later' },
    });
    const [offset] = await rig.send(poison, rig.reply(prepare, { outcome: 'success', data: {} }));
    const status = async () =>
      (await rig.skald.request<TransactionResource>('GET', `/v1/transactions/${begun.body.id}`))
        .body.status;
    await waitUntil(async () => (await status()) === 'committed', {
      timeoutMs: 20_000,
      what: 'the transaction to commit on the YES vote',
    });
    assert.match(
      (await rig.deadLetterAt(offset))!,
      /malformed reply: value has a string with U\+0000/,
    );
  });
});
