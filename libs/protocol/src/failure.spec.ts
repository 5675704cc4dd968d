import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from './errors';
import { describeFailure, isTransientFailure, printable } from './failure';

/** An error shaped like the ones pg, TypeORM and kafkajs throw (only their shape counts). */
function shaped(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('isTransientFailure', () => {
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
  for (const [name, error] of transient)
    it(`retries ${name}`, () => assert.ok(isTransientFailure(error)));

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
    it(`dead-letters ${name}`, () => assert.equal(isTransientFailure(error), false));

  it('stops following causes after a few links (a cycle cannot hang it)', () => {
    const a = shaped('a', {});
    const b = shaped('b', { cause: a });
    Object.assign(a, { cause: b });
    assert.equal(isTransientFailure(a), false);
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
