import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError, SkaldError } from './errors';
import {
  describeFailure,
  isRetryable,
  isTransientFailure,
  isUnreachable,
  printable,
} from './failure';

/** An error shaped like the ones pg, TypeORM and kafkajs throw (only their shape counts). */
function shaped(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

/** Two Skald errors, one of each answer. */
class Transient extends SkaldError {
  readonly code = 'TEST_TRANSIENT';
  readonly retryable = true;
}
class Permanent extends SkaldError {
  readonly code = 'TEST_PERMANENT';
  readonly retryable = false;
}

describe('isRetryable', () => {
  const transient: [string, unknown][] = [
    [
      'a refused connection',
      shaped('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
    ],
    ['a reset socket', shaped('read ECONNRESET', { code: 'ECONNRESET' })],
    ['pg: connection terminated (no code)', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg 08006 connection failure', shaped('connection failure', { code: '08006' })],
    ['pg 40001 serialization failure', shaped('could not serialize', { code: '40001' })],
    ['pg 40P01 deadlock', shaped('deadlock detected', { code: '40P01' })],
    ['pg 57P01 admin shutdown', shaped('terminating connection', { code: '57P01' })],
    [
      'pg 57P03 cannot connect now',
      shaped('the database system is starting up', { code: '57P03' }),
    ],
    ['pg 53300 too many connections', shaped('too many clients', { code: '53300' })],
    ['pg 55P03 lock timeout', shaped('lock timeout', { code: '55P03' })],
    [
      'TypeORM QueryFailedError around a pg connection error',
      shaped('Query failed', { driverError: shaped('terminating', { code: '57P01' }) }),
    ],
    [
      'kafkajs: a retriable error',
      shaped('Connection error', { name: 'KafkaJSConnectionError', retriable: true }),
    ],
    [
      'kafkajs: retries exceeded on a broker outage',
      shaped('Connection timeout', {
        retriable: false,
        cause: shaped('Connection timeout', { retriable: true }),
      }),
    ],
    [
      'a Skald error marked retryable',
      shaped('lease lost', { code: 'LEASE_LOST', retryable: true }),
    ],
  ];
  for (const [name, error] of transient) it(`retries ${name}`, () => assert.ok(isRetryable(error)));

  const permanent: [string, unknown][] = [
    [
      'pg 22P05 untranslatable character',
      shaped('unsupported Unicode escape sequence', { code: '22P05' }),
    ],
    [
      'pg 22021 bad byte sequence',
      shaped('invalid byte sequence for encoding "UTF8": 0x00', { code: '22021' }),
    ],
    ['pg 22P02 invalid json', shaped('invalid input syntax for type json', { code: '22P02' })],
    [
      'pg 23505 unique violation (every dedupe is ON CONFLICT DO NOTHING)',
      shaped('duplicate key', { code: '23505' }),
    ],
    [
      'pg 54000 index row too large',
      shaped('index row size 4016 exceeds maximum 2704', { code: '54000' }),
    ],
    ['pg 42P01 undefined table', shaped('relation does not exist', { code: '42P01' })],
    [
      'kafkajs: invalid topic (non-retriable, cause non-retriable)',
      shaped('invalid topic', {
        retriable: false,
        cause: shaped('invalid topic', { type: 'INVALID_TOPIC_EXCEPTION', retriable: false }),
      }),
    ],
    [
      'kafkajs: message too large',
      shaped('too large', { type: 'MESSAGE_TOO_LARGE', retriable: false }),
    ],
    ['a ProtocolError', new ProtocolError('missing header ce_id')],
    ['a Skald error marked not retryable', shaped('definition missing', { retryable: false })],
    ['a programmer error', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a stack overflow', new RangeError('Maximum call stack size exceeded')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ];
  for (const [name, error] of permanent)
    it(`dead-letters ${name}`, () => assert.equal(isRetryable(error), false));

  it('stops following causes after a few links (a cycle cannot hang it)', () => {
    const a = shaped('a', {});
    const b = shaped('b', { cause: a });
    Object.assign(a, { cause: b });
    assert.equal(isRetryable(a), false);
  });

  it('lets a SkaldError answer for itself, whatever its cause says', () => {
    const outage = shaped('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' });
    assert.equal(isRetryable(new Permanent('retries exhausted', { cause: outage })), false);
    assert.equal(isRetryable(new Transient('lease lost')), true);
    // a foreign wrapper marked non-retriable still defers to its causes (kafkajs' retries exceeded)
    assert.equal(isRetryable(shaped('wrapped', { retriable: false, cause: outage })), true);
  });

  it('finds a SkaldError among the causes of a foreign error', () => {
    assert.equal(isRetryable(shaped('query failed', { cause: new Transient('busy') })), true);
    assert.equal(isRetryable(shaped('query failed', { cause: new Permanent('bad') })), false);
  });

  it('is the function isTransientFailure names (its former name)', () =>
    assert.equal(isTransientFailure, isRetryable));
});

describe('isUnreachable', () => {
  it('is true for a lost or refused connection, also as a cause', () => {
    assert.ok(isUnreachable(shaped('connect ECONNREFUSED', { code: 'ECONNREFUSED' })));
    assert.ok(
      isUnreachable(shaped('Query failed', { driverError: shaped('x', { code: '57P01' }) })),
    );
    assert.ok(isUnreachable(new Error('Connection terminated unexpectedly')));
  });

  it('is false for a failure a retry may clear with the database up (deadlock, retryable flag)', () => {
    assert.equal(isUnreachable(shaped('deadlock detected', { code: '40P01' })), false);
    assert.equal(isUnreachable(new Transient('busy')), false);
    assert.equal(isUnreachable(shaped('duplicate key', { code: '23505' })), false);
  });
});

describe('SkaldError', () => {
  it('carries its code, retryable, class name, message and cause', () => {
    const cause = new Error('socket closed');
    const error = new Transient('the broker is away', { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'Transient');
    assert.equal(error.code, 'TEST_TRANSIENT');
    assert.equal(error.retryable, true);
    assert.equal(error.message, 'the broker is away');
    assert.equal(error.cause, cause);
    assert.match(error.stack ?? '', /^Transient: the broker is away/);
  });

  it('is the base of ProtocolError, which keeps its wire code', () => {
    const error = new ProtocolError('missing header ce_id');
    assert.ok(error instanceof SkaldError);
    assert.deepEqual(
      [error.name, error.code, error.retryable],
      ['ProtocolError', 'MALFORMED_MESSAGE', false],
    );
    assert.equal(describeFailure(error), 'ProtocolError MALFORMED_MESSAGE: missing header ce_id');
  });
});

describe('describeFailure and printable', () => {
  it('name the error and its code on one printable line', () => {
    const error = shaped('unsupported Unicode escape sequence\n\u0000 here', { code: '22P05' });
    assert.equal(
      describeFailure(error),
      'Error 22P05: unsupported Unicode escape sequence\\u000a\\u0000 here',
    );
  });

  it('cut long text and escape lone surrogates and noncharacters', () => {
    assert.equal(printable('x'.repeat(10), 4), 'xxxx…');
    assert.equal(printable('a\ud800b\uffffc😀'), 'a\\ud800b\\uffffc😀');
  });
});
