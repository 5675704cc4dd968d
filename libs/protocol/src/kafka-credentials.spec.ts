import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaCredentialsFromEnv } from './kafka-credentials';

const PASSWORD = 'p4ss-w0rd-not-to-be-printed';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const FILES: Record<string, string> = {
  '/run/secrets/kafka-password': `${PASSWORD}\n`,
  '/etc/kafka/ca.pem': CERT,
  '/etc/kafka/client.pem': CERT,
  '/etc/kafka/client.key': KEY,
  '/etc/kafka/empty': '\n',
};
const readFile = (path: string) => {
  if (path in FILES) return FILES[path];
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};
const read = (env: Record<string, string>) => kafkaCredentialsFromEnv(env, readFile);

describe('kafkaCredentialsFromEnv', () => {
  it('means no SASL and no TLS when nothing is set (empty counts as unset)', () => {
    assert.deepEqual(read({}), { credentials: {}, problems: [] });
    assert.deepEqual(read({ KAFKA_SASL_MECHANISM: '', KAFKA_TLS: '' }), {
      credentials: {},
      problems: [],
    });
  });

  it('reads each mechanism, in any case, with the password given or from a file', () => {
    for (const mechanism of ['plain', 'SCRAM-SHA-256', 'scram-sha-512']) {
      const { credentials, problems } = read({
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'skald',
        KAFKA_SASL_PASSWORD: PASSWORD,
      });
      assert.deepEqual(problems, []);
      assert.deepEqual(credentials.sasl, {
        mechanism: mechanism.toLowerCase(),
        username: 'skald',
        password: PASSWORD,
      });
    }
    const fromFile = read({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'skald',
      KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-password',
    });
    assert.equal(fromFile.credentials.sasl?.password, PASSWORD, 'the trailing newline dropped');
  });

  it('reads TLS: on by KAFKA_TLS or by any file, certificates and key from PEM files', () => {
    assert.deepEqual(read({ KAFKA_TLS: 'true' }).credentials, {
      ssl: { rejectUnauthorized: true },
    });
    assert.deepEqual(
      read({
        KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem',
        KAFKA_TLS_CERT_FILE: '/etc/kafka/client.pem',
        KAFKA_TLS_KEY_FILE: '/etc/kafka/client.key',
        KAFKA_TLS_REJECT_UNAUTHORIZED: 'false',
      }),
      {
        credentials: { ssl: { ca: CERT, cert: CERT, key: KEY, rejectUnauthorized: false } },
        problems: [],
      },
    );
  });

  it('names the variable of each bad value and never quotes a secret', () => {
    const cases: [Record<string, string>, string][] = [
      [
        { KAFKA_SASL_MECHANISM: 'gssapi' },
        'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512',
      ],
      [
        { KAFKA_SASL_PASSWORD: PASSWORD },
        'KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is not',
      ],
      [
        { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD },
        'KAFKA_SASL_USERNAME is required',
      ],
      [
        { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
        'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required',
      ],
      [
        {
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD: PASSWORD,
          KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-password',
        },
        'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set',
      ],
      [
        {
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD_FILE: '/nope',
        },
        'KAFKA_SASL_PASSWORD_FILE /nope cannot be read (ENOENT)',
      ],
      [
        {
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD_FILE: '/etc/kafka/empty',
        },
        'KAFKA_SASL_PASSWORD_FILE holds an empty password',
      ],
      [{ KAFKA_TLS: 'yes' }, 'KAFKA_TLS must be true or false'],
      [
        { KAFKA_TLS: 'false', KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem' },
        'KAFKA_TLS_CA_FILE is set but KAFKA_TLS is false',
      ],
      [
        { KAFKA_TLS_CERT_FILE: '/etc/kafka/client.pem' },
        'KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together',
      ],
      [
        { KAFKA_TLS_CA_FILE: '/etc/kafka/client.key' },
        'KAFKA_TLS_CA_FILE /etc/kafka/client.key holds no PEM certificate',
      ],
      [
        { KAFKA_TLS_CERT_FILE: '/etc/kafka/client.pem', KAFKA_TLS_KEY_FILE: '/etc/kafka/ca.pem' },
        'KAFKA_TLS_KEY_FILE /etc/kafka/ca.pem holds no PEM private key',
      ],
      [
        { KAFKA_TLS_REJECT_UNAUTHORIZED: 'no' },
        'KAFKA_TLS_REJECT_UNAUTHORIZED must be true or false',
      ],
    ];
    for (const [env, expected] of cases) {
      const { problems } = read(env);
      assert.equal(problems.length, 1, `${JSON.stringify(env)}: ${problems.join(' | ')}`);
      assert.ok(problems[0].startsWith(expected), `${problems[0]} should start with ${expected}`);
      assert.ok(!problems[0].includes(PASSWORD) && !problems[0].includes('MIIE'));
    }
  });
});
