import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka } from 'kafkajs';
import type * as KafkaJs from 'kafkajs';
import { isKafkaClient } from './kafka-client';
import { createParticipant } from './participant';

/** kafkajs loaded a second time, as when the user's service has its own copy beside the SDK's. */
function anotherCopyOfKafkajs(): typeof KafkaJs {
  const cached = Object.keys(require.cache).filter((path) => /[/\\]kafkajs[/\\]/.test(path));
  const saved = cached.map((path) => [path, require.cache[path]] as const);
  for (const path of cached) delete require.cache[path];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module instance on purpose
    return require('kafkajs') as typeof KafkaJs;
  } finally {
    for (const [path, module] of saved) require.cache[path] = module;
  }
}

describe('a kafkajs client of the user', () => {
  it('is recognised by its shape, not by the class of the SDK’s kafkajs', () => {
    const { Kafka: OtherKafka } = anotherCopyOfKafkajs();
    const theirs = new OtherKafka({ brokers: ['127.0.0.1:1'] });
    assert.equal(theirs instanceof Kafka, false, 'the test needs a second copy of kafkajs');
    assert.equal(isKafkaClient(theirs), true);
    assert.equal(isKafkaClient({ brokers: ['127.0.0.1:1'] }), false);
  });

  it('is the client the participant uses', () => {
    const { Kafka: OtherKafka } = anotherCopyOfKafkajs();
    const theirs = new OtherKafka({ brokers: ['127.0.0.1:1'], clientId: 'theirs' });
    const participant = createParticipant({ name: 'cars', kafka: theirs });
    assert.equal((participant as unknown as { kafka: unknown }).kafka, theirs);
  });
});
