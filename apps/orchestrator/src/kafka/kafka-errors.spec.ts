import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { isTopicError, kafkaErrorCode } from './kafka-errors';

// the errors kafkajs' producer throws, as built by kafkajs itself
const brokerAnswer = (type: string) =>
  Object.assign(new KafkaJSProtocolError('refused'), { type }) as Error;
const afterRetries = (cause: Error) =>
  new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1_600 });

describe('kafkaErrorCode', () => {
  it("finds the broker's code behind the retrier's wrapper", () => {
    assert.equal(
      kafkaErrorCode(afterRetries(brokerAnswer('UNKNOWN_TOPIC_OR_PARTITION'))),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    assert.equal(
      kafkaErrorCode(brokerAnswer('TOPIC_AUTHORIZATION_FAILED')),
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it('names the innermost error when the broker gave no code', () => {
    const down = new KafkaJSConnectionError('Connection error: ECONNREFUSED');
    assert.equal(kafkaErrorCode(afterRetries(down)), 'KafkaJSConnectionError');
  });
});

describe('isTopicError', () => {
  it('tells a refused topic from an unreachable broker', () => {
    assert.equal(isTopicError(afterRetries(brokerAnswer('UNKNOWN_TOPIC_OR_PARTITION'))), true);
    assert.equal(isTopicError(brokerAnswer('MESSAGE_TOO_LARGE')), true);
    assert.equal(isTopicError(afterRetries(new KafkaJSConnectionError('ECONNREFUSED'))), false);
    assert.equal(isTopicError(brokerAnswer('NOT_LEADER_FOR_PARTITION')), false);
  });
});
