import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { Participant } from '@skald/participant';
import { commandTopic, decodeReply, encodeCommand, type ReplyEnvelope } from '@skald/protocol';
import { OrchestratorHarness, uniqueName } from '@skald/testing';
import {
  accountsTable,
  BANKS_SCHEMA_SQL,
  BANKS_SEED_SQL,
  bankParticipants,
  transferRequest,
} from '../../src/banks';

interface TransactionResource {
  id: string;
  status: string;
  decision?: string;
  reason?: { code: string; message: string };
  participants: { participant: string; vote?: string; acknowledged: boolean }[];
}

describe('money transfer over 2PC: two banks, each with its own table', () => {
  let skald: OrchestratorHarness;
  let pool: Pool;
  let banks: Participant[];

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [],
      env: { SKALD_TWO_PHASE_RESEND_MS: '300' },
    });
    pool = new Pool({ connectionString: skald.db.url });
    await pool.query(BANKS_SCHEMA_SQL + BANKS_SEED_SQL);
    banks = bankParticipants({
      brokers: skald.brokers,
      pool,
      topicPrefix: skald.topicPrefix,
      coordinatorUrl: skald.url,
      log: () => undefined,
    });
    await Promise.all(banks.map((b) => b.start()));
  });
  after(async () => {
    await Promise.all(banks.map((b) => b.stop()));
    await pool.end();
    await skald.stop();
  });

  const accounts = async () => {
    const rows = await pool.query<{ balance: number; held: number; incoming: number }>(
      `SELECT balance, held, incoming FROM ${accountsTable('bank-a')}
       UNION ALL SELECT balance, held, incoming FROM ${accountsTable('bank-b')}`,
    );
    return rows.rows;
  };

  async function begin(body: unknown): Promise<TransactionResource> {
    const res = await skald.request<TransactionResource>('POST', '/v1/transactions', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'preparing');
    return res.body;
  }

  async function waitFor(id: string, status: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let tx = (await skald.request<TransactionResource>('GET', `/v1/transactions/${id}`)).body;
    while (tx.status !== status && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      tx = (await skald.request<TransactionResource>('GET', `/v1/transactions/${id}`)).body;
    }
    assert.equal(tx.status, status, JSON.stringify(tx));
    return tx;
  }

  it('commits a transfer: both votes YES, the money moves, nothing is left held', async () => {
    const tx = await waitFor((await begin(transferRequest(100))).id, 'committed');
    assert.deepEqual(
      tx.participants.map((p) => [p.participant, p.vote, p.acknowledged]),
      [
        ['bank-a', 'yes', true],
        ['bank-b', 'yes', true],
      ],
    );
    assert.deepEqual(await accounts(), [
      { balance: 900, held: 0, incoming: 0 },
      { balance: 1100, held: 0, incoming: 0 },
    ]);
  });

  it('aborts everywhere on one NO vote (insufficient funds): the credit side releases its hold', async () => {
    const tx = await waitFor((await begin(transferRequest(5_000))).id, 'aborted');
    assert.equal(tx.decision, 'abort');
    assert.equal(tx.reason?.code, 'INSUFFICIENT_FUNDS');
    assert.equal(tx.participants[0].vote, 'no');
    assert.deepEqual(await accounts(), [
      { balance: 900, held: 0, incoming: 0 },
      { balance: 1100, held: 0, incoming: 0 },
    ]);
  });

  it('aborts at the prepare timeout when a participant never answers', async () => {
    const body = transferRequest(50);
    const participants: { participant: string; command: string; payload: unknown }[] = [
      ...body.participants,
    ];
    participants.push({
      participant: 'bank-silent',
      command: 'credit',
      payload: { account: 'carol', amount: 0 },
    });
    // long enough for the two banks to vote on a loaded machine; only the silent one must be late
    const created = await begin({ participants, timeoutMs: 4_000 });
    const tx = await waitFor(created.id, 'aborting');
    assert.equal(tx.reason?.code, 'PREPARE_TIMEOUT');
    assert.match(tx.reason!.message, /not voted: (.+, )?bank-silent$/);
    // the banks that voted YES released their holds; the silent one keeps the transaction aborting
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const got = (await skald.request<TransactionResource>('GET', `/v1/transactions/${tx.id}`))
        .body;
      if (got.participants[0].acknowledged && got.participants[1].acknowledged) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await accounts(), [
      { balance: 900, held: 0, incoming: 0 },
      { balance: 1100, held: 0, incoming: 0 },
    ]);
  });

  it('applies a duplicate commit once: the repeat is answered success and changes nothing', async () => {
    const tx = await waitFor((await begin(transferRequest(10))).id, 'committed');
    const kafka = new Kafka({ brokers: skald.brokers, logLevel: logLevel.NOTHING });
    const replies = uniqueName(`${skald.topicPrefix}.test-replies`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: replies, numPartitions: 1 }] });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('dup-commit') });
    const producer = kafka.producer();
    const got: ReplyEnvelope[] = [];
    await Promise.all([consumer.connect(), producer.connect()]);
    try {
      await consumer.subscribe({ topic: replies, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void got.push(decodeReply(message)),
      });
      const duplicate = {
        id: randomUUID(),
        source: 'test',
        command: 'debit',
        time: new Date().toISOString(),
        sagaId: tx.id,
        step: '0',
        attempt: 99,
        phase: 'commit' as const,
        replyTo: replies,
        data: { account: 'alice', amount: 10 },
      };
      await producer.send({
        topic: commandTopic(skald.topicPrefix, 'bank-a'),
        messages: [encodeCommand(duplicate)],
      });
      const deadline = Date.now() + 15_000;
      while (got.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(got[0]?.outcome, 'success');
      assert.deepEqual(got[0].data, { committed: true, repeated: true });
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
    }
    assert.deepEqual(await accounts(), [
      { balance: 890, held: 0, incoming: 0 },
      { balance: 1110, held: 0, incoming: 0 },
    ]);
  });

  it('answers the same transaction for the same idempotency key, 409 for another request', async () => {
    const first = await skald.request<TransactionResource>('POST', '/v1/transactions', {
      ...transferRequest(1),
      idempotencyKey: 'k-1',
    });
    const again = await skald.request<TransactionResource>('POST', '/v1/transactions', {
      ...transferRequest(1),
      idempotencyKey: 'k-1',
    });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const other = await skald.request('POST', '/v1/transactions', {
      ...transferRequest(2),
      idempotencyKey: 'k-1',
    });
    assert.equal(other.status, 409);
    await waitFor(first.body.id, 'committed');
  });

  it('refuses bad requests with 400 naming the field, and answers 404 for an unknown id', async () => {
    const missing = await skald.request<{ message: string }>('POST', '/v1/transactions', {});
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /participants/);
    const badName = await skald.request<{ message: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'no spaces', command: 'debit', payload: {} }],
    });
    assert.equal(badName.status, 400);
    assert.match(badName.body.message, /participants\.0\.participant/);
    const badTimeout = await skald.request<{ message: string }>('POST', '/v1/transactions', {
      ...transferRequest(1),
      timeoutMs: 5,
    });
    assert.equal(badTimeout.status, 400);
    assert.match(badTimeout.body.message, /timeoutMs must not be less than 100/);
    const unknownField = await skald.request<{ message: string }>('POST', '/v1/transactions', {
      ...transferRequest(1),
      coordinator: 'me',
    });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.message, /property coordinator should not exist/);
    const badId = await skald.request('GET', '/v1/transactions/not-a-uuid');
    assert.equal(badId.status, 400);
    const notFound = await skald.request<{ statusCode: number; error: string }>(
      'GET',
      `/v1/transactions/${randomUUID()}`,
    );
    assert.deepEqual([notFound.status, notFound.body.error], [404, 'Not Found']);
  });
});
