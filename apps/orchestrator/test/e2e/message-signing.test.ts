// Message signing across real processes (#16 item 3), every participant signing (the default of
// SKALD_SIGNING_PARTICIPANTS): a forged reply with a valid correlation id and saga id is refused,
// parked and never applied; the SDK's signed replies are applied; keys rotate with two valid.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { createParticipant, type CommandContext, type SigningKey } from '@skald/participant';
import { HEADERS, withSignature } from '@skald/protocol';
import { waitUntil } from '@skald/testing';
import { ReplyPoisonRig } from '../fixtures/poison-replies';

const key = (id: string): SigningKey => ({ id, secret: randomBytes(32).toString('base64url') });
const NEW = key('new');
const OLD = key('old');
/** A key the orchestrator does not have (retired before this run). */
const RETIRED = key('retired');

describe('message signing: every reply must be signed', () => {
  const rig = new ReplyPoisonRig({
    scripted: false,
    env: { SKALD_SIGNING_KEYS: `${NEW.id}:${NEW.secret},${OLD.id}:${OLD.secret}` },
  });
  const participantLog: string[] = [];
  let pool: Pool;
  before(async () => {
    await rig.start();
    pool = new Pool({ connectionString: rig.skald.db.url });
  });
  after(async () => {
    await pool.end();
    await rig.stop();
  });

  /** Runs `body` with a `cars` SDK participant signing with `keys`; its reserve runs `reserve`. */
  async function withCars(
    keys: SigningKey[],
    reserve: (context: CommandContext) => unknown,
    body: () => Promise<void>,
  ): Promise<void> {
    const cars = createParticipant({
      name: 'cars',
      kafka: { brokers: rig.skald.brokers },
      topicPrefix: rig.skald.topicPrefix,
      signing: { keys },
      log: (line) => participantLog.push(line),
    }).on('reserve', (_payload, context) => reserve(context));
    await cars.start();
    try {
      await body();
    } finally {
      await cars.stop();
    }
  }

  const refusals = (check: string) =>
    rig.skald.counter('skald_reply_signature_refusals_total', { check });

  it('(a, b) a forged reply, unsigned or signed with a wrong secret, is parked and changes nothing; the signed one is applied', async () => {
    const seen: CommandContext[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await withCars(
      [NEW],
      async (context) => {
        seen.push(context);
        await held;
        return { id: 'car-1' };
      },
      async () => {
        const saga = await rig.skald.startSaga('versioned', {});
        let command: CommandContext | undefined;
        await waitUntil(() => (command = seen.find((c) => c.sagaId === saga.id)) !== undefined, {
          what: 'the signed command to reach the participant',
        });
        const correlated = { id: command!.commandId, sagaId: saga.id, step: command!.step };
        const historyBefore = await rig.skald.history(saga.id);
        const [missingBefore, badBefore] = [
          await refusals('missing'),
          await refusals('bad-signature'),
        ];

        const unsigned = rig.reply(correlated, { outcome: 'success', data: { id: 'forged' } });
        const wrongSecret = rig.reply(correlated, { outcome: 'failure', data: forgedRefusal });
        wrongSecret.headers = withSignature(wrongSecret, { id: NEW.id, secret: RETIRED.secret });
        const [unsignedAt, wrongAt] = await rig.send(unsigned, wrongSecret);

        assert.match(
          (await rig.deadLetterAt(unsignedAt))!,
          /^reply refused, signature check failed \(missing\): no ce_signature header, and every participant must sign/,
        );
        assert.match(
          (await rig.deadLetterAt(wrongAt))!,
          /^reply refused, signature check failed \(bad-signature\): the signature does not match \(key new\)/,
        );
        assert.equal(await refusals('missing'), missingBefore + 1);
        assert.equal(await refusals('bad-signature'), badBefore + 1);
        assert.equal((await rig.skald.saga(saga.id)).status, 'running', 'the saga did not move');
        assert.deepEqual(await rig.skald.history(saga.id), historyBefore, 'its history neither');
        assert.equal(await rig.storedReply(command!.commandId), null, 'no reply stored');

        release();
        await rig.skald.waitForStatus(saga.id, 'completed');
        assert.deepEqual(await rig.storedReply(command!.commandId), { id: 'car-1' });
      },
    );
  });

  it('(c) rotation: with [new, old] configured, a participant signing with old, then one with new, are applied', async () => {
    // signs with old; accepts the orchestrator's commands, signed with new
    await withCars(
      [OLD, NEW],
      () => ({ id: 'by-old' }),
      async () => {
        const saga = await rig.skald.startSaga('versioned', {});
        await rig.skald.waitForStatus(saga.id, 'completed');
      },
    );
    await withCars(
      [NEW],
      () => ({ id: 'by-new' }),
      async () => {
        const saga = await rig.skald.startSaga('versioned', {});
        await rig.skald.waitForStatus(saga.id, 'completed');
      },
    );
  });

  it('a participant signing with a key the orchestrator dropped is refused (unknown key id), its saga left waiting', async () => {
    const before = await refusals('unknown-key');
    await withCars(
      [RETIRED, NEW],
      () => ({ id: 'by-retired' }),
      async () => {
        const saga = await rig.skald.startSaga('versioned', {});
        await waitUntil(async () => (await refusals('unknown-key')) === before + 1, {
          what: 'the reply signed with the retired key to be refused',
        });
        assert.equal((await rig.skald.saga(saga.id)).status, 'running');
      },
    );
  });

  it('2PC: an SDK participant verifies the prepare and commit, signs its vote and ack: committed', async () => {
    const bank = createParticipant({
      name: 'bank',
      kafka: { brokers: rig.skald.brokers },
      topicPrefix: rig.skald.topicPrefix,
      database: pool,
      createTables: true,
      signing: { keys: [OLD, NEW] },
      log: (line) => participantLog.push(line),
    })
      .onPrepare('debit', () => ({ held: 1 }))
      .onCommit('debit', () => ({}));
    await bank.start();
    try {
      const begun = await rig.skald.request<{ id: string }>('POST', '/v1/transactions', {
        participants: [{ participant: 'bank', command: 'debit', payload: { amount: 1 } }],
      });
      assert.equal(begun.status, 201, JSON.stringify(begun.body));
      await waitUntil(
        async () =>
          (await rig.skald.request<{ status: string }>('GET', `/v1/transactions/${begun.body.id}`))
            .body.status === 'committed',
        { timeoutMs: 20_000, what: 'the transaction to commit' },
      );
    } finally {
      await bank.stop();
    }
  });

  it('no secret appears in either side’s output; the refusals are logged, naming the check', () => {
    const output = rig.skald.process.output() + participantLog.join('\n');
    for (const { secret } of [NEW, OLD, RETIRED]) assert.ok(!output.includes(secret));
    assert.match(output, /signature check failed \(missing\)/);
    // (the orchestrator's lines are JSON: its quotes are escaped)
    assert.match(output, new RegExp(`${HEADERS.signature} names key id \\\\?"retired`));
  });
});

const forgedRefusal = { code: 'FORGED', message: 'a refusal nobody sent' };
