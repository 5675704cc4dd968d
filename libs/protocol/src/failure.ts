// The one retry decision: may the same work succeed if tried again later? Every retry-or-not
// choice in Skald asks isRetryable — the consumers (retry a message, or dead-letter it and move
// its partition on: a retry would fail the same way, and everything behind it would wait for
// ever), the engine's timers, the API's 503. A SkaldError says so itself; any other error is
// told apart by shape only — `code`, `retriable`, its causes — so no pg or kafkajs here.
import { SkaldError } from './errors';

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
/** PostgreSQL SQLSTATEs of a lost or refused connection: 08 connection, 57P01-03/05 shutdown and session ends. */
const CONNECTION_SQLSTATE = /^08|^57P0[1235]$/;
/**
 * Other PostgreSQL SQLSTATEs a retry can clear: 40 transaction rollback (serialization,
 * deadlock), 53 insufficient resources, 58 system error, 57014 statement timeout, 55P03 lock timeout.
 */
const TRANSIENT_SQLSTATE = /^(40|53|58)|^57014$|^55P03$/;

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

/** `error` and its causes, outermost first; a few links at most, so a cycle cannot hang a caller. */
export function* causeChain(error: unknown): Generator<ErrorShape> {
  let link: unknown = error;
  for (let depth = 0; depth < 8 && typeof link === 'object' && link !== null; depth++) {
    const e = link as ErrorShape;
    yield e;
    link = e.cause ?? e.originalError ?? e.driverError;
  }
}

function isConnectionLink(e: ErrorShape): boolean {
  if (typeof e.code === 'string') {
    if (UNREACHABLE.has(e.code)) return true;
    if (SQLSTATE.test(e.code) && CONNECTION_SQLSTATE.test(e.code)) return true;
  }
  return typeof e.message === 'string' && LOST_CONNECTION.test(e.message);
}

function isTransientLink(e: ErrorShape): boolean {
  if (e.retryable === true || e.retriable === true || isConnectionLink(e)) return true;
  return typeof e.code === 'string' && SQLSTATE.test(e.code) && TRANSIENT_SQLSTATE.test(e.code);
}

/** True when `error` or one of its causes says the database or broker cannot be reached right now. */
export function isUnreachable(error: unknown): boolean {
  for (const e of causeChain(error)) if (isConnectionLink(e)) return true;
  return false;
}

/**
 * True when the work may succeed if tried again later. A SkaldError answers with its own
 * `retryable` (a non-retryable one stays so whatever its cause, e.g. retries exhausted). Any
 * other error is retryable when the database or broker is unavailable, a transaction was rolled
 * back for a conflict, or it is marked `retryable: true` / kafkajs' `retriable: true` — itself or
 * any of its causes (kafkajs wraps a broker outage in a non-retriable "retries exceeded").
 * Everything else — bad data (pg 22xxx), constraint violations (23xxx: every dedupe insert is ON
 * CONFLICT DO NOTHING, so one that reaches here is not a race), programmer errors, refusals by
 * the broker, errors of unknown shape — is permanent.
 */
export function isRetryable(error: unknown): boolean {
  for (const e of causeChain(error)) {
    if (e instanceof SkaldError) return e.retryable;
    if (isTransientLink(e)) return true;
  }
  return false;
}

/** @deprecated The same function as {@link isRetryable}, under its former name. */
export const isTransientFailure = isRetryable;

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
