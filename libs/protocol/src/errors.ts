// The one shape of Skald's errors. Every error Skald throws extends SkaldError: a stable `code`
// for machines (REST bodies, replies, logs, tests), `retryable` for the one retry decision
// (isRetryable in failure.ts), the class name as `name`, and ES2022 `{ cause }`.
import { PROTOCOL_ERROR_CODES } from './wire';

export abstract class SkaldError extends Error {
  /** Stable and machine-readable, SCREAMING_SNAKE (e.g. `SAGA_NOT_FOUND`); never reworded. */
  abstract readonly code: string;
  /** Whether the same operation may succeed when tried again later. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A Kafka message does not follow the wire protocol; the message names the header or field. Never retried. */
export class ProtocolError extends SkaldError {
  readonly code = PROTOCOL_ERROR_CODES.malformed;
  readonly retryable = false;
}
