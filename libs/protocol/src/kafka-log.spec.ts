import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaLogLine, kafkaLogSeverity, type KafkaLogEntry } from './kafka-log';

const ERROR = 1;
/** `[Namespace] message`, as kafkajs' own console logger prints an entry. */
const entry = (line: string, extra: Record<string, unknown> = {}, level = ERROR) => {
  const [, namespace = '', message] = /^(?:\[(\w+)\] )?(.*)$/.exec(line)!;
  return { namespace, level, log: { message, ...extra } } satisfies KafkaLogEntry;
};

describe('kafkaLogSeverity', () => {
  // lines a normal `npm start` printed at ERROR before "Skald is up"
  it('quiets the error answers kafkajs retries during start-up', () => {
    for (const error of [
      'Topic creation errors',
      'This server does not host this topic-partition',
      'The group coordinator is not available',
      "The coordinator is loading and hence can't process requests for this group",
    ]) {
      const response = entry('[Connection] Response Metadata(key: 3, version: 6)', { error });
      assert.equal(kafkaLogSeverity(response), 'debug', error);
    }
    const crash = entry(
      "[Consumer] Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
    );
    assert.equal(kafkaLogSeverity(crash), 'debug');
    assert.equal(kafkaLogSeverity(entry('[Consumer] Restarting the consumer in 300ms')), 'debug');
  });

  it('keeps a broker out of reach and other crashes as warnings', () => {
    const refused = '[Connection] Connection error: connect ECONNREFUSED 127.0.0.1:9092';
    assert.equal(kafkaLogSeverity(entry(refused)), 'warn');
    assert.equal(
      kafkaLogSeverity(entry('[BrokerPool] Failed to connect to seed broker, trying another')),
      'warn',
    );
    assert.equal(
      kafkaLogSeverity(entry('[Consumer] Crash: KafkaJSNonRetriableError: connect ECONNREFUSED')),
      'warn',
    );
  });

  it('keeps real errors as errors', () => {
    const denied = entry('[Connection] Response Produce(key: 0, version: 7)', {
      error: 'Not authorized to access topics: [Topic authorization failed]',
    });
    assert.equal(kafkaLogSeverity(denied), 'error');
    assert.equal(kafkaLogSeverity(entry('[Producer] Failed to send messages')), 'error');
  });

  it('keeps warnings, and counts INFO and DEBUG as debug', () => {
    assert.equal(kafkaLogSeverity(entry('Limiting retries', {}, 2)), 'warn');
    assert.equal(kafkaLogSeverity(entry('Consumer has joined the group', {}, 4)), 'debug');
    assert.equal(kafkaLogSeverity(entry('Request Fetch', {}, 5)), 'debug');
  });
});

describe('kafkaLogLine', () => {
  it('drops the timestamp, logger name and stack kafkajs repeats on every entry', () => {
    const line = kafkaLogLine({
      namespace: 'Connection',
      level: ERROR,
      log: {
        message: 'Response Metadata',
        timestamp: '2026-12-01T21:44:54.285Z',
        logger: 'kafkajs',
        stack: 'Error: …',
        broker: '127.0.0.1:9092',
      },
    });
    assert.equal(line, 'Connection: Response Metadata {"broker":"127.0.0.1:9092"}');
  });
});
