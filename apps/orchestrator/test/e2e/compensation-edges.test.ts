// Compensation that really undoes (issue #11): an operator's retry past the pivot, and steps given
// up on without a compensation — orchestrator and SDK participants as processes, real Kafka and
// PostgreSQL. A "late attempt" is the very record the participant got before, delivered again,
// as Kafka does after a consumer restart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { ensureTopics } from '@skald/participant';
import {
  commandTopic,
  decodeCommand,
  decodeReply,
  replyTopic,
  type CommandEnvelope,
  type ReplyEnvelope,
} from '@skald/protocol';
import {
  OrchestratorHarness,
  spawnOrchestrator,
  startTestProcess,
  uniqueName,
  waitUntil,
  type TestProcess,
} from '@skald/testing';

const fixtures = join(__dirname, '../fixtures');

/** Reads every command and reply of a prefix, and can put a command record back on its topic. */
class Tap {
  readonly commands: { envelope: CommandEnvelope; message: KafkaMessage; topic: string }[] = [];
  readonly replies: ReplyEnvelope[] = [];
  private readonly kafka: Kafka;
  private consumer!: Consumer;
  private producer!: Producer;

  constructor(
    brokers: string[],
    private readonly prefix: string,
  ) {
    this.kafka = new Kafka({ clientId: 'tap', brokers, logLevel: logLevel.NOTHING });
  }

  async start(participants: string[]): Promise<void> {
    this.producer = this.kafka.producer();
    this.consumer = this.kafka.consumer({ groupId: uniqueName('tap'), maxWaitTimeInMs: 50 });
    await Promise.all([this.producer.connect(), this.consumer.connect()]);
    // the reply topic too: the orchestrator creates it in the background, maybe not yet
    const topics = [
      ...participants.map((p) => commandTopic(this.prefix, p)),
      replyTopic(this.prefix),
    ];
    await ensureTopics(this.kafka, topics);
    await this.consumer.subscribe({ topics });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const wire = { key: message.key, value: message.value, headers: message.headers };
        if (topic === replyTopic(this.prefix)) this.replies.push(decodeReply(wire));
        else this.commands.push({ envelope: decodeCommand(wire), message, topic });
      },
    });
    await waitUntil(async () => (await this.consumer.describeGroup()).state === 'Stable', {
      timeoutMs: 30_000,
    });
  }

  command(match: (c: CommandEnvelope) => boolean) {
    const found = this.commands.find((c) => match(c.envelope));
    assert.ok(found, 'the command was tapped');
    return found;
  }

  /** Delivers a command record again, byte for byte. */
  async redeliver(tapped: { message: KafkaMessage; topic: string }): Promise<void> {
    const { key, value, headers } = tapped.message;
    await this.producer.send({
      topic: tapped.topic,
      acks: -1,
      messages: [{ key, value, headers: headers as Record<string, Buffer> }],
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}

describe('compensation edges, SDK participants as a process', () => {
  let skald: OrchestratorHarness;
  let participants: TestProcess;
  let pool: Pool;
  let tap: Tap;

  before(async () => {
    skald = await OrchestratorHarness.start({ sagas: [join(fixtures, 'edge-sagas.ts')] });
    tap = new Tap(skald.brokers, skald.topicPrefix);
    await tap.start(['ledger', 'shipping']);
    participants = startTestProcess(
      join(fixtures, 'edge-participants.ts'),
      {
        PARTICIPANT_DATABASE_URL: skald.db.url,
        KAFKA_BROKERS: skald.brokers.join(','),
        SKALD_TOPIC_PREFIX: skald.topicPrefix,
      },
      'edge participants ready',
    );
    await participants.ready;
    pool = new Pool({ connectionString: skald.db.url });
  });
  // each part may be missing when before() failed half-way; the rest must still stop
  after(async () => {
    await participants?.stop();
    await tap?.stop();
    await pool?.end();
    await skald?.stop();
  });

  const setSwitch = (name: string, value: string) =>
    pool.query(
      'INSERT INTO edge_switches (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2',
      [name, value],
    );
  const effects = async (sagaId: string) =>
    (
      await pool.query<{ effect: string; status: string }>(
        'SELECT effect, status FROM edge_effects WHERE saga_id = $1 ORDER BY id',
        [sagaId],
      )
    ).rows.map((r) => `${r.effect}:${r.status}`);

  /** Redelivers the first attempt of `step` and waits for the participant's new answer to it. */
  async function redeliverFirstAttempt(sagaId: string, step: string): Promise<ReplyEnvelope> {
    const first = tap.command(
      (c) => c.sagaId === sagaId && c.step === step && c.phase === 'execute' && c.attempt === 1,
    );
    // a real late attempt sits on the partition before the fence or compensation that followed
    // it; the copy goes after them only once all of the step's commands are published
    const sent = (await skald.history(sagaId)).filter(
      (h) => h.step === step && (h.type === 'command-sent' || h.type === 'step-fenced'),
    ).length;
    await waitUntil(
      () =>
        tap.commands.filter((c) => c.envelope.sagaId === sagaId && c.envelope.step === step)
          .length >= sent,
      { timeoutMs: 20_000, what: `every command of ${step} on the topic` },
    );
    const answered = tap.replies.filter((r) => r.correlationId === first.envelope.id).length;
    await tap.redeliver(first);
    await waitUntil(
      () => tap.replies.filter((r) => r.correlationId === first.envelope.id).length > answered,
      { timeoutMs: 20_000 },
    );
    return tap.replies.filter((r) => r.correlationId === first.envelope.id).at(-1)!;
  }

  it("an operator's retry after a refusal past the pivot runs the step again, as a new operation", async () => {
    await setSwitch('shipping.ship', 'refuse');
    const saga = await skald.startSaga('ship-order', {});
    const failed = await skald.waitForStatus(saga.id, 'failed');
    assert.equal(failed.error?.code, 'SWITCHED_OFF');

    await setSwitch('shipping.ship', 'ok');
    assert.equal((await skald.request('POST', `/v1/sagas/${saga.id}/retry`)).status, 202);
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.steps.find((st) => st.name === 'ship')!.run, 2);
    assert.deepEqual(await effects(saga.id), ['reserve:done', 'charge:done', 'ship:done']);
    const ships = tap.commands.filter(
      (c) => c.envelope.sagaId === saga.id && c.envelope.step === 'ship',
    );
    assert.deepEqual(
      ships.map((c) => [c.envelope.attempt, c.envelope.run]),
      [
        [1, 1],
        [1, 2],
      ],
      'the retry is run 2 of the step (ce_steprun)',
    );

    // the refused run, delivered again, must not run now that run 2 exists
    const late = await redeliverFirstAttempt(saga.id, 'ship');
    assert.equal(late.outcome, 'failure');
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(await effects(saga.id), ['reserve:done', 'charge:done', 'ship:done']);
  });

  it('a step given up on after transient errors is compensated, so a late attempt is refused', async () => {
    await setSwitch('ledger.hold', 'error');
    const saga = await skald.startSaga('held-order', {});
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.steps[0].status, 'compensated');

    await setSwitch('ledger.hold', 'ok');
    const late = await redeliverFirstAttempt(saga.id, 'hold');
    assert.equal(late.outcome, 'failure', JSON.stringify(late.data));
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(await effects(saga.id), [], 'nothing left behind');
  });

  it('a parallel member with no compensation, cut short by its sibling, is fenced', async () => {
    await setSwitch('ledger.notify', 'error');
    await setSwitch('shipping.check', 'refuse');
    const saga = await skald.startSaga('checked-order', {});
    const done = await skald.waitForStatus(saga.id, 'compensated');
    assert.equal(done.steps.find((s) => s.name === 'notify')!.status, 'cancelled');
    const history = await skald.history(saga.id);
    assert.ok(
      history.some((h) => h.type === 'step-fenced' && h.step === 'notify'),
      'the fence is in the history',
    );

    await setSwitch('ledger.notify', 'ok');
    const late = await redeliverFirstAttempt(saga.id, 'notify');
    assert.equal(late.outcome, 'failure', JSON.stringify(late.data));
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(await effects(saga.id), [], 'nothing left behind');
  });

  it('records in the history when a cut-short step had run before its fence arrived', async () => {
    await setSwitch('ledger.notify', 'slow');
    await setSwitch('shipping.check', 'refuse');
    const saga = await skald.startSaga('checked-order', {});
    await skald.waitForStatus(saga.id, 'compensated');
    await waitUntil(
      async () => (await skald.history(saga.id)).some((h) => h.type === 'fence-found-effect'),
      { timeoutMs: 20_000, what: 'the fence reply saying notify had run' },
    );
    assert.deepEqual(await effects(saga.id), ['notify:done'], 'declared not undoable, and known');
  });

  it('asks the participant of a step with no compensation whose outcome is unknown: it ran', async () => {
    await setSwitch('ledger.notify', 'ok');
    participants.child.kill('SIGSTOP');
    const saga = await skald.startSaga('late-notice', {});
    try {
      await waitUntil(async () => (await skald.saga(saga.id)).steps[0].status === 'resolving', {
        timeoutMs: 20_000,
        what: 'the step to time out and its outcome to be asked for',
      });
    } finally {
      participants.child.kill('SIGCONT');
    }
    // the participant ran the command it had been sent, so the step succeeded after all
    await skald.waitForStatus(saga.id, 'completed', 30_000);
    assert.deepEqual(await effects(saga.id), ['notify:done']);
    const resolved = (await skald.history(saga.id)).find((h) => h.type === 'outcome-resolved');
    assert.deepEqual(resolved?.details, { executed: true });
  });

  it('asks the participant of a step with no compensation whose outcome is unknown: it did not run', async () => {
    await setSwitch('ledger.notify', 'slow-error');
    const saga = await skald.startSaga('late-notice', {});
    const done = await skald.waitForStatus(saga.id, 'compensated', 30_000);
    assert.equal(done.steps[0].status, 'failed');
    const resolved = (await skald.history(saga.id)).find((h) => h.type === 'outcome-resolved');
    assert.deepEqual(resolved?.details, { executed: false });

    await setSwitch('ledger.notify', 'ok');
    const late = await redeliverFirstAttempt(saga.id, 'notify');
    assert.equal((late.data as { code: string }).code, 'FENCED');
    assert.deepEqual(await effects(saga.id), [], 'nothing left behind');
  });
});

describe('a compensation addressed to another participant than its step', () => {
  it('is refused when the definition is built: the orchestrator does not start', async () => {
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/never-reached',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      SKALD_SAGAS: join(fixtures, 'misrouted-saga.ts'),
    });
    assert.equal(await orchestrator.exited(), 2);
    assert.match(
      orchestrator.output(),
      /refund-elsewhere.*step charge: its compensation goes to participant "refunds" but its command went to "payments"/,
    );
  });
});
