// Kafka credentials from the environment: KAFKA_SASL_* and KAFKA_TLS_*, read the same way by the
// orchestrator, the demo participants and the conformance kit. kafkajs stays out of this lib: the
// shapes below are the parts of kafkajs' `sasl` and `ssl` client options (node's
// tls.ConnectionOptions) that Skald sets, and are assignable to them.
import { readFileSync } from 'node:fs';

export const KAFKA_SASL_MECHANISMS = {
  plain: 'plain',
  scramSha256: 'scram-sha-256',
  scramSha512: 'scram-sha-512',
} as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[keyof typeof KAFKA_SASL_MECHANISMS];

/** A union over the mechanisms, as kafkajs types its `sasl` option. */
export type KafkaSasl = {
  [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string };
}[KafkaSaslMechanism];

/** TLS towards the brokers; without `ca`, the brokers' certificates are checked against node's CAs. */
export interface KafkaTls {
  /** PEM: the CA certificates that signed the brokers' certificates. */
  ca?: string;
  /** PEM: the client certificate and its key, for brokers that require mutual TLS. */
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/** What a kafkajs client needs to log in: spread it into `new Kafka({ brokers, ...credentials })`. */
export interface KafkaCredentials {
  sasl?: KafkaSasl;
  ssl?: KafkaTls;
}

type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => string;

/**
 * Reads KAFKA_SASL_* and KAFKA_TLS_* (docs/operations.md#credentials). `problems` has one line per
 * bad variable, naming it; no line quotes a password or a key. Unset variables mean no SASL and
 * no TLS, as before they existed.
 */
export function kafkaCredentialsFromEnv(
  env: Env,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
): { credentials: KafkaCredentials; problems: string[] } {
  const problems: string[] = [];
  const given = (name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const fileOf = (name: string): string | undefined => {
    const path = given(name);
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      problems.push(`${name} ${path} cannot be read (${reason})`);
      return undefined;
    }
  };
  const sasl = saslFromEnv(given, fileOf, problems);
  const ssl = tlsFromEnv(given, fileOf, problems);
  return { credentials: { ...(sasl ? { sasl } : {}), ...(ssl ? { ssl } : {}) }, problems };
}

function saslFromEnv(
  given: (name: string) => string | undefined,
  fileOf: (name: string) => string | undefined,
  problems: string[],
): KafkaSasl | undefined {
  const mechanisms = Object.values(KAFKA_SASL_MECHANISMS);
  const mechanism = given('KAFKA_SASL_MECHANISM')?.toLowerCase();
  if (mechanism === undefined) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'])
      if (given(name) !== undefined)
        problems.push(
          `${name} is set but KAFKA_SASL_MECHANISM is not: set it to ${mechanisms.join(', ')}`,
        );
    return undefined;
  }
  if (!(mechanisms as string[]).includes(mechanism)) {
    problems.push(`KAFKA_SASL_MECHANISM must be one of ${mechanisms.join(', ')}`);
    return undefined;
  }
  const username = given('KAFKA_SASL_USERNAME');
  if (username === undefined)
    problems.push(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM`);
  let password = given('KAFKA_SASL_PASSWORD');
  if (password !== undefined && given('KAFKA_SASL_PASSWORD_FILE') !== undefined) {
    problems.push('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: keep one');
    return undefined;
  }
  if (password === undefined && given('KAFKA_SASL_PASSWORD_FILE') !== undefined) {
    // a file written by `echo` or a secrets mount ends with a newline that is not the password's
    password = fileOf('KAFKA_SASL_PASSWORD_FILE')?.replace(/\r?\n$/, '');
    if (password === '') problems.push('KAFKA_SASL_PASSWORD_FILE holds an empty password');
    if (!password) return undefined;
  } else if (password === undefined) {
    problems.push(
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM',
    );
  }
  if (username === undefined || password === undefined) return undefined;
  return { mechanism: mechanism as KafkaSaslMechanism, username, password };
}

function tlsFromEnv(
  given: (name: string) => string | undefined,
  fileOf: (name: string) => string | undefined,
  problems: string[],
): KafkaTls | undefined {
  const files = ['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'] as const;
  const tls = booleanOf(given, 'KAFKA_TLS', problems);
  const rejectUnauthorized = booleanOf(given, 'KAFKA_TLS_REJECT_UNAUTHORIZED', problems);
  const named = [...files, 'KAFKA_TLS_REJECT_UNAUTHORIZED'].filter((n) => given(n) !== undefined);
  if (tls === false || (tls === undefined && named.length === 0)) {
    if (tls === false)
      for (const name of named) problems.push(`${name} is set but KAFKA_TLS is false`);
    return undefined;
  }
  if ((given('KAFKA_TLS_CERT_FILE') === undefined) !== (given('KAFKA_TLS_KEY_FILE') === undefined))
    problems.push('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together: set both or neither');
  const pem = (name: (typeof files)[number], label: RegExp): string | undefined => {
    const text = fileOf(name);
    if (text !== undefined && !label.test(text))
      problems.push(
        `${name} ${given(name)} holds no PEM ${name === 'KAFKA_TLS_KEY_FILE' ? 'private key' : 'certificate'}`,
      );
    return text;
  };
  const ca = pem('KAFKA_TLS_CA_FILE', /-----BEGIN CERTIFICATE-----/);
  const cert = pem('KAFKA_TLS_CERT_FILE', /-----BEGIN CERTIFICATE-----/);
  const key = pem('KAFKA_TLS_KEY_FILE', /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    rejectUnauthorized: rejectUnauthorized ?? true,
  };
}

function booleanOf(
  given: (name: string) => string | undefined,
  name: string,
  problems: string[],
): boolean | undefined {
  const value = given(name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  problems.push(`${name} must be true or false`);
  return undefined;
}
