// A participant's stop() keeps its bound (shutdownTimeoutMs) while Kafka is down: before, one
// stopped the README's way was still running 65 s after SIGTERM, kafkajs restarting its consumer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  repoRoot,
  startLocalKafka,
  startTestProcess,
  uniqueName,
  type LocalKafka,
  type TestProcess,
} from '@skald/testing';

const SHUTDOWN_TIMEOUT_MS = 3_000;
/** Process exit after stop() resolved, and the signal's way there. */
const SLACK_MS = 2_000;

describe('a participant stopped while Kafka is down', () => {
  // a broker of its own, since this test stops it
  let kafka: LocalKafka;
  let boats: TestProcess;

  before(async () => {
    kafka = await startLocalKafka();
  });
  after(async () => {
    await boats?.stop('SIGKILL');
    await kafka?.stop();
  });

  it('exits within shutdownTimeoutMs of SIGTERM', async (t) => {
    boats = startTestProcess(
      join(repoRoot, 'libs/participant/test/fixtures/idle-participant-process.ts'),
      {
        KAFKA_BROKERS: kafka.brokers.join(','),
        SKALD_TOPIC_PREFIX: uniqueName('stop'),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      'boats ready',
    );
    await boats.ready;
    await kafka.stop();
    // long enough for kafkajs to lose the broker and start retrying: a fixed wait, as the SDK
    // exposes no sign of that state to wait for
    await sleep(5_000);

    const signalled = Date.now();
    boats.child.kill('SIGTERM');
    const exited = await Promise.race([boats.exit, sleep(30_000).then(() => 'still running')]);
    const tookMs = Date.now() - signalled;
    t.diagnostic(`exited ${tookMs} ms after SIGTERM`);
    assert.equal(exited, 0, `after ${tookMs} ms:\n${boats.output()}`);
    assert.ok(
      tookMs < SHUTDOWN_TIMEOUT_MS + SLACK_MS,
      `exited ${tookMs} ms after SIGTERM (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS}):\n${boats.output()}`,
    );
  });
});
