// Flow-control SQL on skald.participant: one row per participant, shared by every orchestrator.
// ⚠ Lock order: a transaction that locks a saga row locks the participant row after it, never
// before; the relay takes only an advisory lock per participant and no saga row.
import type { QueuedWrites } from './write-statement';

/** A participant's flow-control row; the breaker is stored `closed` or `open` (half-open is derived). */
export interface ParticipantRecord {
  name: string;
  breakerState: 'closed' | 'open';
  /** How an operator last set the breaker by hand, if ever: `open` holds it open until closed by hand. */
  manualState: 'open' | 'closed' | null;
  /** Distinct operations that failed since the last healthy outcome. */
  consecutiveFailures: number;
  /** The latest of those operations (keys made by the breaker), bounded by its threshold. */
  failingOperations: readonly string[];
  /** ms since epoch */
  openedAt: number | null;
  retryTokens: number | null;
  /** ms since epoch */
  tokensAt: number | null;
  /** The rate limit's bucket (every attempt spends a token). */
  rateTokens: number | null;
  /** ms since epoch */
  rateTokensAt: number | null;
}

/** A participant with commands waiting in the outbox, and how many of its commands are in flight. */
export interface ParticipantWithWork extends ParticipantRecord {
  inFlight: number;
}

export type BreakerUpdate = Pick<
  ParticipantRecord,
  'breakerState' | 'consecutiveFailures' | 'failingOperations' | 'openedAt'
>;

/** A breaker set by hand: how, why, by whom (the API key's name) and when. */
export interface ManualBreaker {
  state: 'open' | 'closed';
  reason: string;
  actor: string;
  /** ms since epoch */
  at: number;
}

type TimeColumn = 'openedAt' | 'tokensAt' | 'rateTokensAt';

interface ParticipantRow extends Omit<ParticipantRecord, TimeColumn> {
  openedAt: Date | null;
  tokensAt: Date | null;
  rateTokensAt: Date | null;
  inFlight?: number;
}

const MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

export const PARTICIPANT_COLUMNS = `p.name, p.breaker_state AS "breakerState",
  p.manual_state AS "manualState",
  p.consecutive_failures AS "consecutiveFailures", p.failing_operations AS "failingOperations",
  p.opened_at AS "openedAt", p.retry_tokens AS "retryTokens", p.tokens_at AS "tokensAt",
  p.rate_tokens AS "rateTokens", p.rate_tokens_at AS "rateTokensAt"`;

/** PARTICIPANT_COLUMNS with times in ms since epoch, for rows read as JSON. */
export const PARTICIPANT_JSON_COLUMNS = `p.name, p.breaker_state AS "breakerState",
  p.manual_state AS "manualState",
  p.consecutive_failures AS "consecutiveFailures", p.failing_operations AS "failingOperations",
  ${MS('p.opened_at')} AS "openedAt", p.retry_tokens AS "retryTokens",
  ${MS('p.tokens_at')} AS "tokensAt", p.rate_tokens AS "rateTokens",
  ${MS('p.rate_tokens_at')} AS "rateTokensAt"`;

/** An outbox row `o` no live handoff is sending: a relay may claim it. */
export const UNLEASED_SQL = (o: string) =>
  `(${o}.leased_until IS NULL OR ${o}.leased_until <= now())`;

/**
 * Commands of participant `p` sent and neither answered nor timed out, and those a handoff has
 * leased to send (the bulkhead's count).
 */
export const IN_FLIGHT_SQL = `((SELECT count(*)::int FROM skald.step_execution e
  WHERE e.participant = p.name AND e.dispatched_at IS NOT NULL AND e.released_at IS NULL)
  + (SELECT count(*)::int FROM skald.outbox o
     WHERE o.leased_until > now() AND o.participant = p.name))`;

/**
 * How many more commands the breaker and the bulkhead let participant `s` have in flight now
 * (negative when over): `s` has the participant's row with its `in_flight`, `max_in_flight`,
 * `half_open_probes` and `open_ms`; `now` is a timestamptz. A breaker opened by hand allows none.
 */
export const SEND_ALLOWANCE_SQL = (s: string, now: string) => `CASE
  WHEN ${s}.manual_state = 'open' THEN 0
  WHEN ${s}.breaker_state = 'closed' THEN ${s}.max_in_flight - ${s}.in_flight
  WHEN ${now} - COALESCE(${s}.opened_at, 'epoch') >= ${s}.open_ms * interval '1 millisecond'
    THEN ${s}.half_open_probes - ${s}.in_flight
  ELSE 0 END`;

export function toParticipantRecord<T extends ParticipantRow>(
  row: T,
): Omit<T, TimeColumn> & Pick<ParticipantRecord, TimeColumn> {
  return {
    ...row,
    openedAt: row.openedAt ? row.openedAt.getTime() : null,
    tokensAt: row.tokensAt ? row.tokensAt.getTime() : null,
    rateTokensAt: row.rateTokensAt ? row.rateTokensAt.getTime() : null,
  };
}

const at = (ms: number | null) => (ms === null ? null : new Date(ms));

export class ParticipantTransaction {
  /** Participants this transaction created rows for (remembered by the store once committed). */
  readonly registered: string[] = [];

  constructor(
    private readonly known: ReadonlySet<string>,
    private readonly writes: QueuedWrites,
  ) {}

  /** Makes sure each participant has its row; costs nothing after the first time per process. */
  register(names: string[]): void {
    const unknown = [...new Set(names)].filter((n) => !this.known.has(n));
    if (unknown.length === 0) return;
    this.writes.add(
      'INSERT INTO skald.participant (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING',
      [unknown],
    );
    this.registered.push(...unknown);
  }

  /** The rows whose breaker is not closed (open or half-open), unlocked: fail-fast only reads them. */
  async notClosed(): Promise<ParticipantRecord[]> {
    const rows: ParticipantRow[] = await this.writes.read(
      `SELECT ${PARTICIPANT_COLUMNS} FROM skald.participant p WHERE p.breaker_state <> 'closed'`,
    );
    return rows.map(toParticipantRecord);
  }

  /** Queues a change of the breaker, from the row as locked by this transaction. */
  updateBreaker(name: string, update: BreakerUpdate, now: number): void {
    this.writes.add(
      `UPDATE skald.participant
         SET breaker_state = $2, consecutive_failures = $3, failing_operations = $4::text[],
             opened_at = $5::timestamptz, updated_at = $6::timestamptz
       WHERE name = $1`,
      [
        name,
        update.breakerState,
        update.consecutiveFailures,
        update.failingOperations,
        at(update.openedAt),
        new Date(now),
      ],
    );
  }
}
