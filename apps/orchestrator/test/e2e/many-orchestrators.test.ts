import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { CommandEnvelope } from '@skald/protocol';
import {
  OrchestratorHarness,
  startScriptedParticipant,
  type OrchestratorProcess,
  type ScriptedParticipant,
} from '@skald/testing';

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
