// The start-up check of Kafka credentials, shared by the orchestrator and the SDK. A broker that
// refuses the SASL login, or a TLS handshake that fails, is a deploy error a person must fix, not
// an outage to wait out: kafkajs would otherwise log it on every reconnect (SASL) or retry it
// (TLS) for ever. The caller's kafkajs does the connecting; this lib only reads the errors' shape.
import { SkaldError } from './errors';
import { causeChain } from './failure';

/** The brokers refused the credentials, or the TLS handshake with them failed. Never retried. */
export class KafkaAuthenticationError extends SkaldError {
  readonly code = 'KAFKA_AUTHENTICATION_FAILED';
  readonly retryable = false;
}

export interface KafkaLoginCheck {
  brokers: readonly string[];
  /** The message names the mechanism and the user; the password is blanked out of kafkajs' reason. */
  sasl?: { mechanism: string; username?: string; password?: string };
  /** What to check, appended to the message, e.g. `Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.` */
  hint: { sasl: string; tls: string };
  /** Connects a new client of the caller's kafkajs to `broker` alone, with no retries, then disconnects. */
  connect: (broker: string) => Promise<void>;
}

/** OpenSSL's certificate verdicts as node reports them; `ERR_SSL_*` and `ERR_TLS_*` codes too. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);

function isTlsCode(code: unknown): code is string {
  return typeof code === 'string' && (CERTIFICATE_CODES.has(code) || /^ERR_(SSL|TLS)_/.test(code));
}

/**
 * Connects to the brokers one at a time until one lets the client in. A refused SASL login or a
 * failed TLS handshake throws KafkaAuthenticationError naming the broker (and the user and
 * mechanism); a broker that cannot be reached is passed over, and when none can, this returns:
 * the clients' own retries wait for the outage, as without credentials.
 */
export async function checkKafkaLogin(check: KafkaLoginCheck): Promise<void> {
  for (const broker of check.brokers) {
    try {
      await check.connect(broker);
      return;
    } catch (error) {
      const refusal = describeRefusal(error, check, broker);
      if (refusal) throw new KafkaAuthenticationError(refusal, { cause: error });
    }
  }
}

/** The message for a refusal; undefined when the broker was unreachable. */
function describeRefusal(
  error: unknown,
  check: KafkaLoginCheck,
  broker: string,
): string | undefined {
  const blank = (text: string) =>
    check.sasl?.password ? text.split(check.sasl.password).join('***') : text;
  for (const e of causeChain(error)) {
    const reason = blank(typeof e.message === 'string' ? e.message : String(e));
    if ((e as { name?: unknown }).name === 'KafkaJSSASLAuthenticationError' && check.sasl)
      return (
        `Kafka SASL authentication failed for user ${JSON.stringify(check.sasl.username ?? '')} ` +
        `with mechanism ${check.sasl.mechanism} at broker ${broker} (${reason}). ${check.hint.sasl}`
      );
    if (isTlsCode(e.code))
      return `Kafka TLS handshake failed at broker ${broker} (${reason}). ${check.hint.tls}`;
  }
  return undefined;
}
