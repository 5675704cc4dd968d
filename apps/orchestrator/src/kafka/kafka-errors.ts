// What a kafkajs error is about: one topic (hold that topic) or the broker (retry everything).

/** Errors about one topic or its records, not about the broker: only that topic is held. */
const TOPIC_ERRORS = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'KafkaJSMetadataNotLoaded',
]);

/**
 * The code of a kafkajs error: the broker's error code if it gave one (the retrier wraps it as
 * the cause), else the name of the innermost error.
 */
export function kafkaErrorCode(error: Error): string {
  let innermost = error;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    innermost = e;
  }
  return innermost.name;
}

export function isTopicError(error: Error): boolean {
  return TOPIC_ERRORS.has(kafkaErrorCode(error));
}
