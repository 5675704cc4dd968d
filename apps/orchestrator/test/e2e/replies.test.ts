import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { deadLetterTopic, replyTopic, type CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  type ScriptedParticipant,
  waitUntil,
} from '@skald/testing';

describe('replies the orchestrator must not apply (duplicate, stale, forged, garbage)', () => {
  let skald: OrchestratorHarness;
  let cars: ScriptedParticipant;
  let kafka: Kafka;
  let producer: Producer;
  /** cars answers error to attempt 1 and holds attempt 2, so the test can inject replies. */
  const held: CommandEnvelope[] = [];

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/versioned-v1.ts')],
    });
    cars = await startScriptedParticipant({
      name: 'cars',
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      answer: (command) => {
        held.push(command);
        return { outcome: 'none' };
      },
    });
    kafka = new Kafka({ clientId: 'forger', brokers: skald.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
    await cars.stop();
    await skald.stop();
  });

  it('applies a reply once, however often it is delivered', async () => {
    const saga = await skald.startSaga('versioned', {});
    const command = await cars.waitFor((c) => c.sagaId === saga.id);
    const replyId = await cars.reply(command, { outcome: 'success', data: { id: 'car-1' } });
    await skald.waitForStatus(saga.id, 'completed');
    const historyBefore = await skald.history(saga.id);
    const duplicatesBefore = await skald.counter('skald_replies_total', { result: 'duplicate' });

    await cars.reply(command, { outcome: 'success', data: { id: 'car-1' } }, replyId);
    await cars.reply(command, { outcome: 'failure', code: 'LATE' }, replyId);
    await waitUntil(
      async () =>
        (await skald.counter('skald_replies_total', { result: 'duplicate' })) >=
        duplicatesBefore + 2,
    );

    assert.deepEqual(await skald.history(saga.id), historyBefore, 'nothing changed');
    assert.equal((await skald.saga(saga.id)).status, 'completed');
  });

  it('ignores a reply to an attempt that was already retried, and one with an unknown correlation id', async () => {
    const saga = await skald.startSaga('versioned', {});
    const first = await cars.waitFor((c) => c.sagaId === saga.id && c.attempt === 1);
    // the step's timeout (30 s) is long; answer attempt 1 with a transient error to move to attempt 2
    await cars.reply(first, { outcome: 'error', code: 'BUSY' });
    const second = await cars.waitFor((c) => c.sagaId === saga.id && c.attempt === 2);
    const staleBefore = await skald.counter('skald_replies_total', { result: 'stale' });
    const unknownBefore = await skald.counter('skald_replies_total', {
      result: 'unknown-correlation',
    });

    await cars.reply(first, { outcome: 'success', data: { id: 'from-attempt-1' } });
    await cars.reply(
      { ...second, id: randomUUID() },
      { outcome: 'success', data: { id: 'forged' } },
    );
    await waitUntil(
      async () =>
        (await skald.counter('skald_replies_total', { result: 'stale' })) > staleBefore &&
        (await skald.counter('skald_replies_total', { result: 'unknown-correlation' })) >
          unknownBefore,
    );
    const running = await skald.saga(saga.id);
    assert.equal(running.status, 'running');
    assert.deepEqual(running.data, {});

    await cars.reply(second, { outcome: 'success', data: { id: 'from-attempt-2' } });
    await skald.waitForStatus(saga.id, 'completed');
  });

  it('parks garbage on the dead-letter topic with the reason, and keeps consuming', async () => {
    const dlq = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await dlq.connect();
    await dlq.subscribe({ topic: deadLetterTopic(skald.topicPrefix), fromBeginning: true });
    const parked: { value: string; reason: string }[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        parked.push({
          value: message.value?.toString() ?? '',
          reason: message.headers?.skald_dlq_reason?.toString() ?? '',
        });
      },
    });
    const malformedBefore = await skald.counter('skald_replies_total', { result: 'malformed' });

    await producer.send({
      topic: replyTopic(skald.topicPrefix),
      messages: [
        { key: 'x', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
        {
          key: 'y',
          value: '{"not":"a reply"}',
          headers: { ce_specversion: '1.0', ce_type: 'skald.reply' },
        },
      ],
    });
    await waitUntil(() => parked.length >= 2);
    await dlq.disconnect();
    // two keys, maybe two partitions: match each dead letter by its value
    const reasonOf = (value: string) => parked.find((p) => p.value === value)?.reason;
    assert.match(
      reasonOf(Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString())!,
      /malformed reply: missing header ce_specversion/,
    );
    assert.match(reasonOf('{"not":"a reply"}')!, /malformed reply: missing header ce_outcome/);
    assert.equal(
      await skald.counter('skald_replies_total', { result: 'malformed' }),
      malformedBefore + 2,
    );
    assert.ok((await skald.counter('skald_dead_letters_total')) >= 2);

    // still consuming: a valid saga after the garbage completes
    const saga = await skald.startSaga('versioned', {});
    const command = await cars.waitFor((c) => c.sagaId === saga.id);
    await cars.reply(command, { outcome: 'success', data: {} });
    await skald.waitForStatus(saga.id, 'completed');
  });
});
