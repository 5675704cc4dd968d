// Message signing (docs/protocol.md#signatures): what SKALD_SIGNING_KEYS / _FILE and
// SKALD_SIGNING_PARTICIPANTS say, and the orchestrator's two uses of it: the relay signs every
// command, the reply consumer refuses replies that are badly signed, or unsigned from a participant
// that must sign. The secrets stay in here: no message, log line or error holds one.
import {
  HEADERS,
  signingKeyProblems,
  verifySignature,
  withSignature,
  type SignatureFailure,
  type SigningKey,
  type WireMessage,
} from '@skald/protocol';

/** SKALD_SIGNING_PARTICIPANTS' value for every participant (its default). */
export const ALL_PARTICIPANTS = '*';
/** SKALD_SIGNING_PARTICIPANTS' value for nobody: commands signed, replies checked only if signed (to roll signing out). */
export const NO_PARTICIPANTS = 'none';

/** Signing as configured: the keys (the first signs, any verifies) and whose replies must be signed. */
export interface SigningSettings {
  readonly keys: readonly SigningKey[];
  /** `*`, or the names (none: `[]`). */
  readonly participants: typeof ALL_PARTICIPANTS | readonly string[];
}

const PARTICIPANT = /^[A-Za-z0-9._-]{1,100}$/;

/** One `id:secret` (the secret may hold `:`); `where` names it in problems. */
function parseKey(text: string, where: string): SigningKey | string {
  const colon = text.indexOf(':');
  if (colon <= 0) return `${where} must look like keyId:secret`;
  return { id: text.slice(0, colon), secret: text.slice(colon + 1) };
}

/**
 * Signing from its three variables (the file's text already read): keys from SKALD_SIGNING_KEYS
 * (comma-separated) or the file (one a line; blank lines and `#` lines skipped), never both, so
 * that which key signs is never in doubt. No keys: signing is off (undefined).
 */
export function parseSigningSettings(sources: {
  keys?: string;
  file?: { path: string; text: string };
  participants?: string;
}): { settings?: SigningSettings; problems: string[] } {
  const { keys, file, participants } = sources;
  if (keys && file)
    return {
      problems: [
        'SKALD_SIGNING_KEYS and SKALD_SIGNING_KEYS_FILE are both set: set one (its first key signs)',
      ],
    };
  const where = file ? `SKALD_SIGNING_KEYS_FILE ${file.path}` : 'SKALD_SIGNING_KEYS';
  const items = file
    ? file.text.split(/\r?\n/).map((line, i) => ({ text: line.trim(), at: `line ${i + 1}` }))
    : (keys ?? '').split(',').map((item, i) => ({ text: item.trim(), at: `entry ${i + 1}` }));
  const parsed = items
    .filter(({ text }) => text !== '' && !(file && text.startsWith('#')))
    .map(({ text, at }) => parseKey(text, `${where} ${at}`));
  if (parsed.length === 0) {
    if (file) return { problems: [`${where} holds no key`] };
    return participants === undefined
      ? { problems: [] }
      : {
          problems: [
            'SKALD_SIGNING_PARTICIPANTS is set, but there are no signing keys: set SKALD_SIGNING_KEYS or SKALD_SIGNING_KEYS_FILE',
          ],
        };
  }
  const problems = parsed.filter((p): p is string => typeof p === 'string');
  const parsedKeys = parsed.filter((p): p is SigningKey => typeof p !== 'string');
  if (problems.length === 0) problems.push(...signingKeyProblems(parsedKeys, where));
  const names = (participants ?? ALL_PARTICIPANTS).split(',').map((name) => name.trim());
  const only = names.length === 1 ? names[0] : undefined;
  const special = only === ALL_PARTICIPANTS || only === NO_PARTICIPANTS;
  if (!special && !names.every((name) => PARTICIPANT.test(name) && name !== NO_PARTICIPANTS))
    problems.push(
      `SKALD_SIGNING_PARTICIPANTS must be *, none, or a comma-separated list of participant names (letters, digits, ".", "_", "-"), got ${JSON.stringify(participants)}`,
    );
  if (problems.length > 0) return { problems };
  const whose =
    only === ALL_PARTICIPANTS
      ? ALL_PARTICIPANTS
      : only === NO_PARTICIPANTS
        ? []
        : [...new Set(names)];
  return { settings: { keys: parsedKeys, participants: whose }, problems };
}

/** What the signature check of a consumed reply found. */
export type ReplySignature =
  | { signed: boolean }
  /** To refuse: `reason` names the check, never a secret. */
  | { refused: SignatureFailure; reason: string };

/** Signs commands and checks replies; with no settings, does neither. */
export class MessageSigning {
  private readonly required: ReadonlySet<string> | typeof ALL_PARTICIPANTS;

  constructor(private readonly settings: SigningSettings | undefined) {
    const participants = settings?.participants ?? [];
    this.required = participants === ALL_PARTICIPANTS ? participants : new Set(participants);
  }

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** One line for the start-up log: key ids and participants, no secrets. */
  describe(): string {
    if (!this.settings) return 'message signing is off';
    const { keys, participants } = this.settings;
    const whose =
      participants === ALL_PARTICIPANTS
        ? 'replies must be signed by every participant'
        : participants.length === 0
          ? 'replies need no signature (SKALD_SIGNING_PARTICIPANTS=none), a signed one must verify'
          : `replies must be signed by ${participants.join(', ')}`;
    return `message signing is on: commands signed with key ${keys[0].id} (accepted: ${keys.map((k) => k.id).join(', ')}); ${whose}`;
  }

  /**
   * The headers to publish an outbox record with: with signing on, signed with the first key. Every
   * command is signed, whichever participant it goes to: a participant that does not check
   * ignores the header, and one that checks must not wait for SKALD_SIGNING_PARTICIPANTS.
   */
  commandHeaders(record: {
    key: string;
    payload: string;
    headers: Record<string, string>;
  }): Record<string, string> {
    const { key, payload, headers } = record;
    return this.settings
      ? withSignature({ key, value: payload, headers }, this.settings.keys[0])
      : headers;
  }

  /** Whether replies to commands of `participant` must be signed. */
  requiredFor(participant: string): boolean {
    return this.required === ALL_PARTICIPANTS || this.required.has(participant);
  }

  /**
   * The signature of a consumed reply. With signing on, a `ce_signature` is always checked (a bad
   * one is refused whoever sent it); a reply without one is refused at once when every
   * participant must sign, else once its command's participant is known (`requiredFor`).
   */
  checkReply(message: WireMessage): ReplySignature {
    if (!this.settings) return { signed: false };
    const check = verifySignature(message, this.settings.keys);
    if (check.ok) return { signed: true };
    if (check.failure !== 'missing') return { refused: check.failure, reason: check.reason };
    if (this.required === ALL_PARTICIPANTS)
      return {
        refused: check.failure,
        reason: `${check.reason}, and every participant must sign its replies (SKALD_SIGNING_PARTICIPANTS=*)`,
      };
    return { signed: false };
  }
}

/** The reason of a refused reply that had no signature, once its participant was known. */
export const unsignedFrom = (participant: string) =>
  `no ${HEADERS.signature} header, and participant ${participant} must sign its replies (SKALD_SIGNING_PARTICIPANTS)`;
