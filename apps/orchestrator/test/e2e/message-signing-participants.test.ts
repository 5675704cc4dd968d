// Message signing for some participants only (SKALD_SIGNING_PARTICIPANTS=cars,bank): an unsigned
// reply is refused once the command it answers shows whose it is (saga replies in the engine's
// batch, 2PC votes and acknowledgements in the coordinator); an unlisted participant's is applied.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { withSignature, type SigningKey } from '@skald/protocol';
import { startScriptedParticipant, waitUntil, type ScriptedParticipant } from '@skald/testing';
import { ReplyPoisonRig } from '../fixtures/poison-replies';

const KEY: SigningKey = { id: 'k1', secret: randomBytes(32).toString('base64url') };

interface TransactionResource {
  status: string;
  decision?: string;
  participants: { participant: string; vote?: string; acknowledged: boolean }[];
}

describe('message signing: only the listed participants must sign', () => {
  const rig = new ReplyPoisonRig({
    env: {
      SKALD_SIGNING_KEYS: `${KEY.id}:${KEY.secret}`,
      SKALD_SIGNING_PARTICIPANTS: 'cars,bank',
    },
  });
  /** Not listed: its unsigned answers count. Votes by hand, acknowledges by itself. */
  let ledger: ScriptedParticipant;
  before(async () => {
    await rig.start();
    ledger = await startScriptedParticipant({
      name: 'ledger',
      brokers: rig.skald.brokers,
      topicPrefix: rig.skald.topicPrefix,
      answer: (c) => (c.phase === 'prepare' ? { outcome: 'none' } : { outcome: 'success' }),
    });
  });
  after(async () => {
    await ledger.stop();
    await rig.stop();
  });

  const signed = (record: ReturnType<ReplyPoisonRig['reply']>) => ({
    ...record,
    headers: withSignature(record, KEY),
  });
  const missing = () =>
    rig.skald.counter('skald_reply_signature_refusals_total', { check: 'missing' });

  it('an unsigned reply to a command of cars is parked, in the same batch as the signed one that is applied', async () => {
    const { sagaId, command } = await rig.pendingSaga();
    const before = await missing();
    const unsigned = rig.reply(command, { outcome: 'success', data: { id: 'forged' } });
    const good = signed(rig.reply(command, { outcome: 'success', data: { id: 'car-1' } }));
    const [unsignedAt] = await rig.send(unsigned, good);

    assert.equal(
      await rig.deadLetterAt(unsignedAt),
      'reply refused, signature check failed (missing): no ce_signature header, and participant cars must sign its replies (SKALD_SIGNING_PARTICIPANTS)',
    );
    await rig.skald.waitForStatus(sagaId, 'completed');
    assert.deepEqual(await rig.storedReply(command.id), { id: 'car-1' }, 'only the signed one');
    assert.equal(await missing(), before + 1);
  });

  it('2PC: the unsigned vote of bank is parked, its signed one counts, and ledger’s unsigned ones count', async () => {
    const begun = await rig.skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [
        { participant: 'bank', command: 'debit', payload: { amount: 1 } },
        { participant: 'ledger', command: 'record', payload: {} },
      ],
      timeoutMs: 120_000,
    });
    assert.equal(begun.status, 201, JSON.stringify(begun.body));
    const id = begun.body.id;
    const get = async () =>
      (await rig.skald.request<TransactionResource>('GET', `/v1/transactions/${id}`)).body;
    const bankPrepare = await rig.bank.waitFor((c) => c.sagaId === id);
    const ledgerPrepare = await ledger.waitFor((c) => c.sagaId === id);

    const [unsignedVoteAt] = await rig.send(
      rig.reply(bankPrepare, { outcome: 'success', data: {} }),
    );
    assert.match(
      (await rig.deadLetterAt(unsignedVoteAt))!,
      /signature check failed \(missing\).*participant bank must sign/,
    );
    await ledger.reply(ledgerPrepare, { outcome: 'success' });
    await waitUntil(async () => (await get()).participants[1].vote === 'yes', {
      what: "ledger's unsigned YES to count",
    });
    assert.equal((await get()).status, 'preparing', "bank's unsigned vote did not count");

    await rig.send(signed(rig.reply(bankPrepare, { outcome: 'success', data: {} })));
    await waitUntil(async () => (await get()).decision === 'commit', {
      what: "the commit on bank's signed YES",
    });
    // the scripted bank acknowledges unsigned: refused; ledger's acknowledgement is applied
    await waitUntil(async () => (await get()).participants[1].acknowledged, {
      what: "ledger's unsigned acknowledgement to count",
    });
    const now = await get();
    assert.equal(now.participants[0].acknowledged, false, JSON.stringify(now));
    assert.equal(now.status, 'committing');
  });
});
