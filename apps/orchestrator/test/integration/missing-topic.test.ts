// A broker with auto.create.topics.enable=false, as in many production clusters: the orchestrator
// creates the command topics of the participants its definitions name, and a command to a
// participant without a topic (named by the saga's input, its service not deployed yet) waits
// alone while every other topic keeps flowing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  OrchestratorHarness,
  startLocalKafka,
  waitUntil,
  type LocalKafka,
  type ScriptedParticipant,
} from '@skald/testing';

interface ParticipantItem {
  name: string;
  queued: number;
  held?: { topic: string; error: string; message: string; failures: number };
}

describe('a broker that does not create topics on its own', () => {
  let kafka: LocalKafka;
  let skald: OrchestratorHarness;
  const participants: ScriptedParticipant[] = [];

  before(async () => {
    kafka = await startLocalKafka({ autoCreateTopics: false });
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/topic-sagas.ts')],
      brokers: kafka.brokers,
    });
  });
  after(async () => {
    for (const participant of participants) await participant.stop();
    await skald?.stop();
    await kafka?.stop();
  });

  const topicsOf = async (prefix: string): Promise<string[]> => {
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
    } finally {
      await admin.disconnect();
    }
  };

  it('gets the command topics of the participants the definitions name, and no guessed ones', async () => {
    const prefix = skald.topicPrefix;
    const expected = [`${prefix}.commands.stock`, `${prefix}.dlq`, `${prefix}.replies`];
    // the reply consumer creates its topics apart from the command topics: wait for all three
    await waitUntil(
      async () => {
        const topics = await topicsOf(prefix);
        return expected.every((t) => topics.includes(t));
      },
      { timeoutMs: 20_000, what: 'the orchestrator to create the stock, reply and DLQ topics' },
    );
    // `warehouse-${input}` is not known before a saga runs: no topic is made up for it
    assert.deepEqual(await topicsOf(prefix), expected);
  });

  it('holds the commands of a topic that does not exist, and sends every other topic', async () => {
    const prefix = skald.topicPrefix;
    const missing = `${prefix}.commands.warehouse-north`;
    const shipment = await skald.startSaga('ship', { warehouse: 'north' });
    const stock = await skald.scriptedParticipants(['stock'], () => () => ({
      outcome: 'success',
    }));
    participants.push(stock.stock);

    const restocks = await Promise.all(
      ['a', 'b', 'c'].map((sku) => skald.startSaga('restock', { sku })),
    );
    for (const saga of restocks) await skald.waitForStatus(saga.id, 'completed', 20_000);

    // the held command is visible: on its saga, on its participant, in metrics and in the log.
    // The restocks did not wait for it: their batches went while the broker was still refusing it.
    const waitingReason = async () =>
      (
        await skald.request<{ steps: { waiting?: { reason: string } }[] }>(
          'GET',
          `/v1/sagas/${shipment.id}`,
        )
      ).body.steps[0].waiting?.reason;
    await waitUntil(async () => (await waitingReason()) === 'topic-unavailable', {
      what: 'the shipment command to be held',
      timeoutMs: 20_000,
    });
    const items = (await skald.request<{ items: ParticipantItem[] }>('GET', '/v1/participants'))
      .body.items;
    const north = items.find((p) => p.name === 'warehouse-north');
    assert.equal(north?.queued, 1);
    assert.equal(north?.held?.topic, missing);
    assert.equal(north?.held?.error, 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(items.find((p) => p.name === 'stock')?.held, undefined);
    assert.ok(
      (await skald.counter('skald_outbox_publish_failures_total', { topic: missing })) >= 1,
    );
    assert.match(skald.process.output(), new RegExp(`commands to ${missing} are held`));

    // the warehouse's service starts (creating its topic, as the SDK does): the held command follows
    const { 'warehouse-north': northService } = await skald.scriptedParticipants(
      ['warehouse-north'],
      () => () => ({ outcome: 'success' }),
    );
    participants.push(northService);
    await skald.waitForStatus(shipment.id, 'completed', 30_000);
    assert.equal(northService.received.length, 1);
    const after = (await skald.request<{ items: ParticipantItem[] }>('GET', '/v1/participants'))
      .body.items;
    assert.deepEqual(
      after.map((p) => [p.name, p.queued, p.held]),
      [
        ['stock', 0, undefined],
        ['warehouse-north', 0, undefined],
      ],
    );
  });
});
