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
  it('reads every option; the compensation payload is left to default to the payload', () => {
    const parsed = parseCliArguments([...complete, '--timeout-ms', '500', '--json']);
    assert.deepEqual(parsed, {
      json: true,
      options: {
        participant: 'cars',
        brokers: ['a:9092', 'b:9092'],
        command: 'reserve',
        payload: { model: 'mini' },
        compensation: 'cancel',
        compensationPayload: undefined,
        topicPrefix: 'skald',
        timeoutMs: 500,
      },
    });
  });

  it('names a missing required flag', () => {
    assert.throws(
      () => parseCliArguments(['--participant', 'cars', '--command', 'reserve']),
      usageError(/^required option '--brokers <host:port,...>' not specified$/),
    );
  });

  it('refuses a payload that is not JSON, naming the flag', () => {
    assert.throws(
      () => parseCliArguments([...complete, '--compensation-payload', '{oops']),
      usageError(
        /^option '--compensation-payload <json>' argument '\{oops' is invalid. It must be JSON/,
      ),
    );
  });

  it('refuses an unknown flag and a timeout that is not a positive integer', () => {
    assert.throws(
      () => parseCliArguments([...complete, '--colour']),
      usageError(/^unknown option '--colour'$/),
    );
    assert.throws(
      () => parseCliArguments([...complete, '--timeout-ms', '0']),
      usageError(
        /^option '--timeout-ms <ms>' argument '0' is invalid. It must be a positive integer/,
      ),
    );
  });

  it('answers --help with the help text, without asking for the other flags', () => {
    const parsed = parseCliArguments(['--help']);
    assert.ok(parsed.help !== undefined);
    assert.match(parsed.help, /^Usage: skald-conformance --participant <name> /);
    assert.match(parsed.help, /Exit status: 0 every check passed/);
  });
});
