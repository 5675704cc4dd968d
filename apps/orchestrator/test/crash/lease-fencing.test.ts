import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  OrchestratorHarness,
  spawnOrchestrator,
  startScriptedParticipant,
  waitForHttp,
  waitUntil,
  type OrchestratorProcess,
  type ScriptedParticipant,
} from '@skald/testing';

const sagas = [join(__dirname, '../fixtures/versioned-v1.ts')];
const LEASE_MS = '1500';

/** `T` when the process is stopped (SIGSTOP), from /proc/<pid>/stat. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

async function metric(instance: OrchestratorProcess, line: string): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.split(' ').pop()) : 0;
}

describe('an orchestrator paused past its lease (SIGSTOP, then SIGCONT)', () => {
  let skald: OrchestratorHarness;
  let paused: OrchestratorProcess;
  let cars: ScriptedParticipant;
  let db: Client;

  const lease = async () =>
    (
      await db.query<{ holder: string; token: string }>(
        "SELECT holder, token FROM skald.lease WHERE name = 'housekeeping'",
      )
    ).rows[0];

  before(async () => {
    skald = await OrchestratorHarness.start({ sagas, env: { SKALD_LEASE_MS: LEASE_MS } });
    db = new Client(skald.db.url);
    await db.connect();
    cars = await startScriptedParticipant({
      name: 'cars',
      brokers: skald.brokers,
      topicPrefix: skald.topicPrefix,
      answer: () => ({ outcome: 'success', data: { id: 'car-1' } }),
    });
  });
  after(async () => {
    if (paused) {
      paused.child.kill('SIGCONT');
      await paused.stop('SIGKILL');
    }
    await cars.stop();
    await db.end();
    await skald.stop();
  });

  it('loses the lease to another instance, which takes over; its stale write is refused by the fencing token', async () => {
    // A second instance on the same database and prefix, armed to freeze itself once it holds the
    // housekeeping lease, right before its first guarded write.
    paused = await spawnOrchestrator({
      DATABASE_URL: skald.db.url,
      KAFKA_BROKERS: skald.brokers.join(','),
      SKALD_TOPIC_PREFIX: skald.topicPrefix,
      SKALD_SAGAS: sagas.join(','),
      SKALD_LEASE_MS: LEASE_MS,
      SKALD_CRASH_AT: 'orchestrator:housekeeping-before-write',
      SKALD_CRASH_SIGNAL: 'SIGSTOP',
    });
    await waitForHttp(`${paused.url}/health`, { process: paused });
    const pausedPid = paused.child.pid!;
    assert.notEqual((await lease())?.holder.split('/')[0], `orchestrator-${pausedPid}`);

    // the first instance dies: the armed one takes the lease over and freezes before writing
    await skald.process.stop('SIGKILL');
    await waitUntil(() => processState(pausedPid) === 'T', { what: 'the instance to freeze' });
    const frozenWith = await lease();
    assert.equal(frozenWith.holder.split('/')[0], `orchestrator-${pausedPid}`);

    // a fresh instance takes the lease once the frozen holder stops renewing it, and does the work
    await skald.restart({ env: { SKALD_LEASE_MS: LEASE_MS } });
    await waitUntil(async () => Number((await lease()).token) > Number(frozenWith.token), {
      what: 'another instance to take the lease',
    });
    const current = await lease();
    assert.notEqual(current.holder, frozenWith.holder);
    const saga = await skald.startSaga('versioned', {});
    await skald.waitForStatus(saga.id, 'completed', 45_000);

    // resumed, the old holder carries on from where it froze: its write carries a stale token
    paused.child.kill('SIGCONT');
    await waitUntil(
      async () => (await metric(paused, 'skald_fenced_writes_total{lease="housekeeping"}')) >= 1,
      { what: "the resumed instance's write to be refused" },
    );
    assert.deepEqual(await lease(), current, 'the lease stayed with the instance that took it');
    assert.equal(processState(pausedPid) === 'T', false);
  });
});
