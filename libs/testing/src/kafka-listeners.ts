// The local broker's listeners: one PLAINTEXT listener for clients, or, with credentials asked
// for, a client listener that takes SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and/or TLS, beside
// a PLAINTEXT listener only the broker itself uses (inter-broker) and the PLAINTEXT controller.
import { LocalStackError } from './errors';

/** What clients of the local broker must present. */
export interface LocalKafkaSecurity {
  /**
   * Users who may log in with any of PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. SCRAM users are
   * written into the metadata log when the storage is formatted: a persistent data dir keeps the
   * users it was formatted with. Names and passwords: letters, digits, `.`, `_`, `~`, `-`.
   */
  saslUsers?: { username: string; password: string }[];
  /** TLS on the client listener: a PEM certificate (chain) and its unencrypted PKCS#8 PEM key. */
  tls?: { certificate: string; key: string };
}

export interface ListenerPorts {
  port: number;
  controllerPort: number;
  /** The broker's own PLAINTEXT listener, when clients need credentials. */
  internalPort?: number;
}

/** Kafka's `--add-scram` and JAAS values are not quoted: keep them to characters they never split on. */
const PLAIN_WORD = /^[A-Za-z0-9._~-]{1,100}$/;

export function isSecured(security: LocalKafkaSecurity): boolean {
  return Boolean(security.saslUsers?.length || security.tls);
}

function clientProtocol(security: LocalKafkaSecurity): string {
  const sasl = Boolean(security.saslUsers?.length);
  if (security.tls) return sasl ? 'SASL_SSL' : 'SSL';
  return sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
}

/** A PEM value on one line of a properties file: Properties.load turns `\n` back into a newline. */
const oneLine = (pem: string) => pem.trim().replace(/\r?\n/g, '\\n');

/** The server.properties lines about listeners and client security. */
export function listenerProperties(ports: ListenerPorts, security: LocalKafkaSecurity): string[] {
  const controller = `CONTROLLER://127.0.0.1:${ports.controllerPort}`;
  if (!isSecured(security))
    return [
      `listeners=PLAINTEXT://127.0.0.1:${ports.port},${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    ];
  if (ports.internalPort === undefined)
    throw new LocalStackError('a broker with client credentials needs an internal port');
  const internal = `INTERNAL://127.0.0.1:${ports.internalPort}`;
  const lines = [
    `listeners=CLIENT://127.0.0.1:${ports.port},${internal},${controller}`,
    `advertised.listeners=CLIENT://127.0.0.1:${ports.port},${internal}`,
    'inter.broker.listener.name=INTERNAL',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,CLIENT:${clientProtocol(security)}`,
  ];
  const users = security.saslUsers ?? [];
  if (users.length) {
    for (const { username, password } of users)
      if (!PLAIN_WORD.test(username) || !PLAIN_WORD.test(password))
        throw new LocalStackError(
          `SASL user ${JSON.stringify(username)}: names and passwords may hold only letters, digits, ".", "_", "~" and "-"`,
        );
    const plainUsers = users.map((u) => `user_${u.username}="${u.password}"`).join(' ');
    lines.push(
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      `listener.name.client.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      'listener.name.client.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    );
  }
  if (security.tls)
    lines.push(
      'listener.name.client.ssl.keystore.type=PEM',
      `listener.name.client.ssl.keystore.certificate.chain=${oneLine(security.tls.certificate)}`,
      `listener.name.client.ssl.keystore.key=${oneLine(security.tls.key)}`,
    );
  return lines;
}

/** `kafka-storage format` arguments that add each SASL user's SCRAM credentials. */
export function scramFormatArguments(security: LocalKafkaSecurity): string[] {
  return (security.saslUsers ?? []).flatMap(({ username, password }) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
      '--add-scram',
      `${mechanism}=[name=${username},password=${password}]`,
    ]),
  );
}

/** How the start-up check's client logs in: the first user, and TLS without checking the certificate. */
export function readinessCredentials(security: LocalKafkaSecurity): {
  sasl?: { mechanism: 'scram-sha-256'; username: string; password: string };
  ssl?: { rejectUnauthorized: false };
} {
  const user = security.saslUsers?.[0];
  return {
    ...(user ? { sasl: { mechanism: 'scram-sha-256', ...user } } : {}),
    ...(security.tls ? { ssl: { rejectUnauthorized: false } } : {}),
  };
}
