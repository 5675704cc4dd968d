import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParticipant, type Participant } from '@skald/participant';
import {
  runtimeDir,
  startLocalKafka,
  uniqueName,
  waitUntil,
  type LocalKafka,
} from '@skald/testing';
import { CommandRig } from './command-bench';

describe('a participant across a Kafka broker restart', () => {
  const dataDir = runtimeDir(uniqueName('restart'), 'kafka');
  // a broker of its own (same port and data after the restart), since this test stops it
  let kafka: LocalKafka;
  let rig: CommandRig;
  let boats: Participant;

  before(async () => {
    kafka = await startLocalKafka({ dataDir, persistent: true });
    rig = new CommandRig(kafka.brokers);
    await rig.start();
    boats = createParticipant({
      name: 'boats',
      kafka: { brokers: kafka.brokers },
      topicPrefix: rig.prefix,
      log: () => undefined,
    }).on('reserve', () => ({ boat: 'b-1' }));
    await boats.start();
  });
  after(async () => {
    await boats.stop();
    await rig.stop();
    await kafka.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('reconnects by itself and answers commands sent after the broker is back', async () => {
    const before = rig.command('boats');
    await rig.send('boats', before);
    assert.equal((await rig.waitForReplies(before.id))[0].outcome, 'success');

    await kafka.stop();
    kafka = await startLocalKafka({ dataDir, persistent: true });
    const after = rig.command('boats');
    await rig.send('boats', after);
    const [reply] = await rig.waitForReplies(after.id, 1, 90_000);
    assert.deepEqual(reply.data, { boat: 'b-1' });
    // every consumer of the participant back in its group; the one that answered may have been
    // first, another may still be in its restart backoff
    await waitUntil(() => boats.health().status === 'up', {
      what: 'every consumer of the participant to rejoin its group',
      timeoutMs: 30_000,
    });
  });
});
