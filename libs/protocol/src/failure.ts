// What a consumer does with a message whose processing threw after it was decoded: wait and try
// again (the database or broker is away for now), or dead-letter it and move its partition on (a
// retry would fail the same way, and everything behind it would wait for ever). Errors are told
// apart by shape only — `code`, `retryable`/`retriable`, their causes — so no pg or kafkajs here.

/** Node socket errors: the database or broker cannot be reached right now. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const SQLSTATE = /^[0-9A-Z]{5}$/;
/**
 * PostgreSQL SQLSTATEs a retry can clear: 08 connection, 40 transaction rollback (serialization,
 * deadlock), 53 insufficient resources, 58 system error, 57P01-03/05 shutdown and session ends,
 * 57014 statement timeout, 55P03 lock timeout.
 */
const TRANSIENT_SQLSTATE = /^(08|40|53|58)|^57P0[1235]$|^57014$|^55P03$/;

/** pg and pg-pool errors without a code, where the connection failed rather than the statement. */
const LOST_CONNECTION =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|cannot use a pool after calling end/i;

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  retryable?: unknown;
  retriable?: unknown;
  cause?: unknown;
  /** kafkajs */
  originalError?: unknown;
  /** TypeORM's QueryFailedError */
  driverError?: unknown;
}

function isTransientLink(e: ErrorShape): boolean {
  if (e.retryable === true || e.retriable === true) return true;
  if (typeof e.code === 'string') {
    if (UNREACHABLE.has(e.code)) return true;
    if (SQLSTATE.test(e.code) && TRANSIENT_SQLSTATE.test(e.code)) return true;
  }
  return typeof e.message === 'string' && LOST_CONNECTION.test(e.message);
}

/**
 * True when the failure may pass if the message is tried again later: the database or broker is
 * unavailable, a transaction was rolled back for a conflict, or the error says it is retryable
 * (Skald's `retryable`, kafkajs' `retriable`). Any such error among its causes counts (kafkajs
 * wraps a broker outage in a non-retriable "retries exceeded"). Everything else — bad data (pg
 * 22xxx), constraint violations (23xxx: every dedupe insert is ON CONFLICT DO NOTHING, so one
 * that reaches here is not a race), programmer errors, refusals by the broker — is permanent.
 */
export function isTransientFailure(error: unknown): boolean {
  let link: unknown = error;
  for (let depth = 0; depth < 8 && typeof link === 'object' && link !== null; depth++) {
    const e = link as ErrorShape;
    if (isTransientLink(e)) return true;
    link = e.cause ?? e.originalError ?? e.driverError;
  }
  return false;
}

/** Characters CloudEvents forbids in attribute values: controls, lone surrogates, noncharacters. */
export const FORBIDDEN_IN_ATTRIBUTES = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;
const FORBIDDEN_EVERYWHERE = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/gu;

/** `text` cut to `max` characters, with forbidden characters written as `\uXXXX`: safe for headers, logs and JSON. */
export function printable(text: string, max = 300): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(
    FORBIDDEN_EVERYWHERE,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

/** One line for a dead letter's reason and the log: error name, code and message, printable. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return printable(String(error));
  const code = (error as ErrorShape).code;
  return printable(`${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`);
}
