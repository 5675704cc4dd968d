// Message signatures (docs/protocol.md#signatures): an HMAC-SHA256 over the identifying headers,
// the key and the value of a record, carried in `ce_signature` as `v1:<key id>:<base64url MAC>`.
// The orchestrator and @skald/participant both sign and verify with these functions only; a
// participant in another language follows the documented canonical form instead.
// ⚠ Changing SIGNED_HEADERS or the canonical form breaks every signature in flight: that is v2.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WireMessage } from './envelope';
import { printable } from './failure';
import { HEADERS } from './wire';

/** A shared secret and the id that names it in `ce_signature` (so two can be valid at once). */
export interface SigningKey {
  readonly id: string;
  /** Its UTF-8 bytes are the HMAC key. Never logged, never part of an error. */
  readonly secret: string;
}

/** The headers a signature covers, in this order (then the record's key, then its value). */
export const SIGNED_HEADERS = [
  HEADERS.id,
  HEADERS.type,
  HEADERS.source,
  HEADERS.time,
  HEADERS.sagaId,
  HEADERS.sagaStep,
  HEADERS.stepRun,
  HEADERS.attempt,
  HEADERS.phase,
  HEADERS.replyTo,
  HEADERS.correlationId,
  HEADERS.outcome,
] as const;

/** The version of the canonical form, the first part of `ce_signature`. */
export const SIGNATURE_VERSION = 'v1';

/** Why a signature check refused a message. */
export const SIGNATURE_FAILURES = {
  /** No `ce_signature` header (or an empty one). */
  missing: 'missing',
  /** It names a key id that is not configured here. */
  unknownKey: 'unknown-key',
  /** Not `v1:<key id>:<MAC>`, or the MAC does not match. */
  badSignature: 'bad-signature',
} as const;
export type SignatureFailure = (typeof SIGNATURE_FAILURES)[keyof typeof SIGNATURE_FAILURES];

export type SignatureCheck =
  | { ok: true; keyId: string }
  /** `reason` names the check that failed and the key id, never a secret or a MAC. */
  | { ok: false; failure: SignatureFailure; reason: string };

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Visible ASCII but `,`: what an environment variable's list carries unchanged. */
const SECRET = /^[\x21-\x2b\x2d-\x7e]+$/;
export const MIN_SIGNING_SECRET_LENGTH = 32;
export const MAX_SIGNING_SECRET_LENGTH = 512;
/** `v1:<key id>:<43 base64url characters: 32 bytes, no padding>`. */
const SIGNATURE = /^v1:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9_-]{43})$/;

type Bytes = Buffer | string | null | undefined;

const bytesOf = (value: Bytes): Buffer =>
  value === null || value === undefined
    ? Buffer.alloc(0)
    : typeof value === 'string'
      ? Buffer.from(value, 'utf8')
      : value;

/** A header's bytes as the decoders read it: the last value if repeated; absent: undefined. */
function lastHeader(message: WireMessage, name: string): Buffer | string | undefined {
  const raw = message.headers?.[name];
  return Array.isArray(raw) ? raw[raw.length - 1] : raw;
}

/**
 * The bytes the MAC is computed over: for each signed header in order, then `key` and `value`,
 * one field `<name>:<byte length>:<bytes>\n` (an absent header is empty). The length makes the
 * form unambiguous whatever the bytes hold.
 */
export function signingInput(message: WireMessage): Buffer {
  const parts: Buffer[] = [];
  const field = (name: string, value: Bytes) => {
    const bytes = bytesOf(value);
    parts.push(Buffer.from(`${name}:${bytes.length}:`, 'utf8'), bytes, Buffer.from('\n'));
  };
  for (const name of SIGNED_HEADERS) field(name, lastHeader(message, name));
  field('key', message.key);
  field('value', message.value);
  return Buffer.concat(parts);
}

const macOf = (secret: string, input: Buffer): Buffer =>
  createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest();

/** The `ce_signature` value of `message` under `key`. */
export function signatureOf(message: WireMessage, key: SigningKey): string {
  return `${SIGNATURE_VERSION}:${key.id}:${macOf(key.secret, signingInput(message)).toString('base64url')}`;
}

/** The record's headers with `ce_signature` set (replacing any) for `key`. */
export function withSignature<H extends Record<string, string | Buffer>>(
  message: Omit<WireMessage, 'headers'> & { headers: H },
  key: SigningKey,
): H & Record<typeof HEADERS.signature, string> {
  const { [HEADERS.signature]: _replaced, ...unsigned } = message.headers;
  return {
    ...unsigned,
    [HEADERS.signature]: signatureOf(message, key),
  } as H & Record<typeof HEADERS.signature, string>;
}

const refused = (failure: SignatureFailure, reason: string): SignatureCheck => ({
  ok: false,
  failure,
  reason,
});

/**
 * Checks `ce_signature` against `keys` (any of them: the one its key id names). The MACs are
 * compared in constant time.
 */
export function verifySignature(message: WireMessage, keys: readonly SigningKey[]): SignatureCheck {
  const header = lastHeader(message, HEADERS.signature);
  const text = header === undefined ? '' : header.toString();
  if (text === '') return refused('missing', `no ${HEADERS.signature} header`);
  const match = SIGNATURE.exec(text);
  if (!match)
    return refused(
      'bad-signature',
      `${HEADERS.signature} is not ${SIGNATURE_VERSION}:<key id>:<43 base64url characters>`,
    );
  const [, keyId, mac] = match;
  const key = keys.find((k) => k.id === keyId);
  if (!key)
    return refused(
      'unknown-key',
      `${HEADERS.signature} names key id "${printable(keyId, 64)}", which is not configured here (known: ${keys.map((k) => k.id).join(', ')})`,
    );
  const expected = macOf(key.secret, signingInput(message));
  if (!timingSafeEqual(Buffer.from(mac, 'base64url'), expected))
    return refused(
      'bad-signature',
      `the signature does not match (key ${key.id}): the message was changed, or signed with another secret`,
    );
  return { ok: true, keyId: key.id };
}

/**
 * What is wrong with a set of signing keys, one line each; `where` names the setting (e.g.
 * `SKALD_SIGNING_KEYS`). Lines name key ids, never secrets.
 */
export function signingKeyProblems(keys: readonly SigningKey[], where: string): string[] {
  if (keys.length === 0) return [`${where}: no signing key given`];
  const problems: string[] = [];
  const ids = new Set<string>();
  keys.forEach(({ id, secret }, i) => {
    const which = `${where} key ${i + 1}`;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      problems.push(`${which}: the key id must be 1-64 letters, digits, ".", "_" or "-"`);
      return;
    }
    if (ids.has(id)) problems.push(`${where}: key id ${id} is used twice`);
    ids.add(id);
    if (typeof secret !== 'string' || secret.length === 0)
      problems.push(`${which} (${id}): the secret is empty`);
    else if (secret.length < MIN_SIGNING_SECRET_LENGTH || secret.length > MAX_SIGNING_SECRET_LENGTH)
      problems.push(
        `${which} (${id}): the secret must be ${MIN_SIGNING_SECRET_LENGTH}-${MAX_SIGNING_SECRET_LENGTH} characters long`,
      );
    else if (!SECRET.test(secret))
      problems.push(
        `${which} (${id}): the secret may contain only visible ASCII characters other than ","`,
      );
  });
  return problems;
}
