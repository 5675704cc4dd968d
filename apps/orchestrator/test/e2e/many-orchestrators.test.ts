import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  waitUntil,
  type OrchestratorProcess,
  type ScriptedParticipant,
} from '@skald/testing';
import { replyConsumerGroup } from '../../src/replies/reply-consumer.service';

/** Until both instances consume replies: each has members of the group with partitions. */
async function untilRepliesShared(skald: OrchestratorHarness): Promise<void> {
  const admin = new Kafka({ brokers: skald.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitUntil(
      async () => {
        const { groups } = await admin.describeGroups([replyConsumerGroup(skald.topicPrefix)]);
        const [group] = groups;
        // each instance runs several members; its client id names its process
        const consuming = new Set(
          group?.members
            .filter((m) => {
              const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
              return Object.values(decoded?.assignment ?? {}).some((p) => p.length > 0);
            })
            .map((m) => m.clientId),
        );
        return group?.state === 'Stable' && consuming.size === 2;
      },
      { what: 'both instances to consume replies', timeoutMs: 30_000 },
    );
  } finally {
    await admin.disconnect();
  }
}

describe('two orchestrator processes on one PostgreSQL and one Kafka', () => {
  let skald: OrchestratorHarness;
  let second: OrchestratorProcess;
  const participants: ScriptedParticipant[] = [];
  const received: CommandEnvelope[] = [];

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/patient-trip.ts')],
    });
    second = await skald.addInstance();
    for (const name of ['cars', 'hotels', 'flights', 'payments']) {
      participants.push(
        await startScriptedParticipant({
          name,
          brokers: skald.brokers,
          topicPrefix: skald.topicPrefix,
          answer: (command) => {
            received.push(command);
            return { outcome: 'success', data: {} };
          },
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(participants.map((p) => p.stop()));
    await second.stop('SIGKILL');
    await skald.stop();
  });

  it('share the work: every saga completes once, each command published once, nothing left in the outbox', async () => {
    await untilRepliesShared(skald);
    const urls = [skald.url, second.url];
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${urls[i % 2]}/v1/sagas`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'patient-trip', input: { n: i } }),
      });
      assert.equal(res.status, 201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await skald.waitForStatus(id, 'completed', 60_000);

    const perSaga = new Map<string, CommandEnvelope[]>();
    for (const c of received) perSaga.set(c.sagaId, [...(perSaga.get(c.sagaId) ?? []), c]);
    for (const id of ids) {
      const commands = perSaga.get(id) ?? [];
      assert.deepEqual(
        commands.map((c) => c.step),
        ['reserve-car', 'reserve-hotel', 'book-flight', 'charge-card'],
        `saga ${id}: each step's command once, in order`,
      );
    }
    const client = new Client(skald.db.url);
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM skald.outbox',
      );
      assert.equal(rows[0].n, 0);
    } finally {
      await client.end();
    }
    // both instances applied replies: the reply partitions were split between them
    const applied = await Promise.all(
      urls.map(async (url) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => l.startsWith('skald_replies_total{result="applied"}'));
        return Number(line?.split(' ').pop() ?? 0);
      }),
    );
    assert.equal(applied[0] + applied[1], 40 * 4);
    assert.ok(applied[0] > 0 && applied[1] > 0, `both applied replies: ${applied.join(' + ')}`);
  });
});
