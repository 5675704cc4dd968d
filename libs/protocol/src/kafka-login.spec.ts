import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkKafkaLogin, KafkaAuthenticationError, type KafkaLoginCheck } from './kafka-login';

const PASSWORD = 'hunter2-hunter2';
const hint = { sasl: 'Check the SASL settings.', tls: 'Check the TLS settings.' };

/** Errors shaped as kafkajs 2.2.4 throws them (the real ones: test/integration/kafka-credentials). */
const saslRefused = () =>
  Object.assign(new Error(`SASL PLAIN authentication failed: bad password ${PASSWORD}`), {
    name: 'KafkaJSSASLAuthenticationError',
  });
const retriesExceeded = (cause: Error) =>
  Object.assign(new Error(cause.message, { cause }), { name: 'KafkaJSNumberOfRetriesExceeded' });
const connectionError = (code: string) =>
  Object.assign(new Error(`Connection error: ${code}`), { name: 'KafkaJSConnectionError', code });

function check(failures: Record<string, Error>): { tried: string[]; run: Promise<void> } {
  const tried: string[] = [];
  const options: KafkaLoginCheck = {
    brokers: ['a:1', 'b:2', 'c:3'],
    sasl: { mechanism: 'plain', username: 'skald', password: PASSWORD },
    hint,
    connect: (broker) => {
      tried.push(broker);
      return failures[broker] ? Promise.reject(failures[broker]) : Promise.resolve();
    },
  };
  return { tried, run: checkKafkaLogin(options) };
}

describe('checkKafkaLogin', () => {
  it('passes over unreachable brokers until one lets the client in', async () => {
    const { tried, run } = check({ 'a:1': retriesExceeded(connectionError('ECONNREFUSED')) });
    await run;
    assert.deepEqual(tried, ['a:1', 'b:2']);
  });

  it('returns when no broker can be reached: an outage is waited out, not a deploy error', async () => {
    const down = retriesExceeded(connectionError('ECONNREFUSED'));
    const { tried, run } = check({ 'a:1': down, 'b:2': down, 'c:3': down });
    await run;
    assert.equal(tried.length, 3);
  });

  it('throws on a refused login, naming user, mechanism and broker, with the password blanked', async () => {
    const { run } = check({
      'a:1': retriesExceeded(connectionError('ECONNREFUSED')),
      'b:2': saslRefused(),
    });
    const error = await run.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KafkaAuthenticationError);
    assert.equal(error.code, 'KAFKA_AUTHENTICATION_FAILED');
    assert.equal(error.retryable, false);
    assert.match(
      error.message,
      /^Kafka SASL authentication failed for user "skald" with mechanism plain at broker b:2 \(.*\*\*\*\)\. Check the SASL settings\.$/,
    );
    assert.ok(!error.message.includes(PASSWORD));
  });

  it('throws on a failed TLS handshake: an untrusted certificate, a port without TLS', async () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_SSL_WRONG_VERSION_NUMBER']) {
      const { run } = check({ 'a:1': retriesExceeded(connectionError(code)) });
      await assert.rejects(run, (e: Error) => {
        assert.ok(e instanceof KafkaAuthenticationError);
        assert.match(
          e.message,
          /^Kafka TLS handshake failed at broker a:1 \(Connection error: .*\)\. Check the TLS settings\.$/,
        );
        return true;
      });
    }
  });
});
