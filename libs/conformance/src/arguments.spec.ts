import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCliArguments } from './arguments';
import { ConformanceUsageError } from './errors';

const complete = [
  '--participant',
  'cars',
  '--brokers',
  'a:9092, b:9092',
  '--command',
  'reserve',
  '--payload',
  '{"model":"mini"}',
  '--compensation',
  'cancel',
];

const usageError = (pattern: RegExp) => (error: unknown) =>
  error instanceof ConformanceUsageError &&
  error.code === 'CONFORMANCE_USAGE' &&
  pattern.test(error.message);

describe('skald-conformance arguments', () => {
  it('reads every option; the compensation payload defaults to none given', () => {
    const parsed = parseCliArguments([...complete, '--timeout-ms', '500', '--json']);
    assert.deepEqual(parsed, {
      help: false,
      json: true,
      options: {
        participant: 'cars',
        brokers: ['a:9092', 'b:9092'],
        command: 'reserve',
        payload: { model: 'mini' },
        compensation: 'cancel',
        compensationPayload: undefined,
        topicPrefix: undefined,
        timeoutMs: 500,
      },
    });
  });

  it('names every missing required flag', () => {
    assert.throws(
      () => parseCliArguments(['--participant', 'cars', '--command', 'reserve']),
      usageError(/missing required options --brokers, --payload, --compensation/),
    );
  });

  it('refuses a payload that is not JSON, naming the flag', () => {
    assert.throws(
      () => parseCliArguments([...complete, '--compensation-payload', '{oops']),
      usageError(/--compensation-payload must be JSON/),
    );
  });

  it('refuses an unknown flag and a timeout that is not a positive integer', () => {
    assert.throws(() => parseCliArguments([...complete, '--colour']), usageError(/--colour/));
    assert.throws(
      () => parseCliArguments([...complete, '--timeout-ms', '0']),
      usageError(/--timeout-ms must be a positive integer/),
    );
  });

  it('answers --help without asking for the other flags', () => {
    assert.deepEqual(parseCliArguments(['--help']), { help: true });
  });
});
