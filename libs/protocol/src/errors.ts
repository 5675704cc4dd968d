/** A Kafka message does not follow the wire protocol; the message names the header or field. Never retried. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code = 'MALFORMED_MESSAGE';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
