// In-doubt resolution: a participant that prepared and heard no decision asks the coordinator.
// Until the coordinator itself answers with a decision (or that it has no record: presumed
// abort), the transaction stays prepared here; each question that gets no decision is logged
// and the next one backs off.
// It looks only when something may be in doubt: at start, once a transaction prepared here (or
// seen prepared at the last look) has waited `inDoubtAfterMs`, when a question's backoff ends,
// and every `rescanEveryMs` for records another replica of this participant left behind.
import { backoffDelayMs } from '@skald/protocol';
import { type ParticipantDatabase } from './database';
import {
  askCoordinator,
  findInDoubt,
  IN_DOUBT_BATCH,
  processDecision,
  type InDoubt,
  type InvokeTwoPhase,
} from './two-phase';

/** setTimeout's longest delay. */
const MAX_TIMEOUT_MS = 2_147_483_647;
/** Looks for a record coming of age this much after it should have: the database's clock decides. */
const COMING_OF_AGE_SLACK_MS = 100;

export interface InDoubtResolverOptions {
  db: ParticipantDatabase;
  participant: string;
  coordinatorUrl: string;
  /** Sent as `Authorization: Bearer` with each question; never logged. */
  apiKey?: string;
  inDoubtAfterMs: number;
  /** The shortest wait between two looks, and the first backoff step of a question. */
  checkEveryMs: number;
  /** The longest wait between two looks, with nothing prepared in sight. */
  rescanEveryMs: number;
  /** The longest wait between two questions about one transaction. */
  askAgainMaxMs: number;
  invoke: (record: InDoubt) => InvokeTwoPhase;
  log: (message: string) => void;
}

/** A transaction prepared here that the coordinator was asked about and gave no decision for. */
export interface InDoubtTransaction {
  transactionId: string;
  step: string;
  /** Questions asked without getting a decision. */
  asks: number;
  /** Why the last one gave none, e.g. `HTTP 502` or `undecided (preparing)`. */
  lastAnswer: string;
  /** ISO time of the first question without a decision. */
  since: string;
  /** ISO time of the next question. */
  nextAskAt: string;
}

interface Asking {
  asks: number;
  lastAnswer: string;
  since: number;
  nextAskAt: number;
}

const keyOf = (record: { transactionId: string; step: string }) =>
  `${record.transactionId}/${record.step}`;

/** Looks for prepared records older than `inDoubtAfterMs` and asks the coordinator about them. */
export class InDoubtResolver {
  private timer: NodeJS.Timeout | undefined;
  /** When the next look is due (ms since epoch). */
  private nextLookAt = Infinity;
  private looking: Promise<void> | undefined;
  private stopped = false;
  /** In memory: a restart asks about every record again at once, then backs off afresh. */
  private readonly asking = new Map<string, Asking & { transactionId: string; step: string }>();

  constructor(private readonly options: InDoubtResolverOptions) {}

  start(): void {
    this.lookBy(Date.now());
  }

  /** A transaction was just prepared here: look once it may be in doubt. */
  prepared(): void {
    this.lookBy(Date.now() + this.options.inDoubtAfterMs + COMING_OF_AGE_SLACK_MS);
  }

  /** Looks no later than `at` (ms since epoch); a later look changes nothing. */
  private lookBy(at: number): void {
    if (this.stopped || at >= this.nextLookAt) return;
    this.nextLookAt = at;
    if (!this.looking) this.arm(); // else armed once the current look ends
  }

  private arm(): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, this.nextLookAt - Date.now()), MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => this.look(), delay);
  }

  private look(): void {
    this.nextLookAt = Infinity;
    this.looking = this.resolveAll()
      .then(
        ({ nextLookAt }) => this.lookBy(nextLookAt),
        (error: unknown) => {
          this.options.log(`in-doubt check failed: ${String(error)}`);
          this.lookBy(Date.now() + this.options.checkEveryMs);
        },
      )
      .finally(() => {
        this.looking = undefined;
        if (!this.stopped && this.nextLookAt !== Infinity) this.arm();
      });
  }

  /**
   * Resolves what it can now (asking only about records whose backoff is over); returns how many,
   * and when to look next: when the next question is due or the next prepared record comes of age.
   */
  async resolveAll(): Promise<{ resolved: number; nextLookAt: number }> {
    const { db, participant, coordinatorUrl } = this.options;
    const now = Date.now();
    const { records, nextInMs } = await findInDoubt(db, participant, this.options.inDoubtAfterMs);
    // a record no longer prepared was decided meanwhile (e.g. the coordinator's own re-send)
    const present = new Set(records.map(keyOf));
    for (const key of this.asking.keys()) if (!present.has(key)) this.asking.delete(key);
    let resolved = 0;
    for (const record of records) {
      if (this.stopped) break;
      const asking = this.asking.get(keyOf(record));
      if (asking && asking.nextAskAt > now) continue;
      const answer = await askCoordinator(
        coordinatorUrl,
        record.transactionId,
        this.options.apiKey,
      );
      if (answer.decision === undefined) {
        this.stayInDoubt(record, asking, answer.why, now);
        continue;
      }
      const reply = await processDecision(
        db,
        participant,
        record,
        answer.decision,
        this.options.invoke(record),
      );
      if (reply.outcome !== 'success') {
        this.stayInDoubt(
          record,
          asking,
          `${answer.decision}, but applying it answered ${reply.outcome}: ${JSON.stringify(reply.data)}`,
          now,
        );
        continue;
      }
      this.asking.delete(keyOf(record));
      resolved++;
      this.options.log(
        `in-doubt transaction ${record.transactionId} resolved by asking the coordinator: ${answer.decision}` +
          (answer.presumed ? ' (presumed: the coordinator has no record of it)' : ''),
      );
    }
    const askAgainAt = Math.max(
      now + this.options.checkEveryMs,
      Math.min(
        records.length >= IN_DOUBT_BATCH ? now : Infinity, // more than one look returns
        ...[...this.asking.values()].map((a) => a.nextAskAt),
      ),
    );
    const comesOfAgeAt =
      nextInMs === undefined ? Infinity : now + Math.max(0, nextInMs) + COMING_OF_AGE_SLACK_MS;
    return {
      resolved,
      nextLookAt: Math.min(now + this.options.rescanEveryMs, comesOfAgeAt, askAgainAt),
    };
  }

  /** Transactions asked about without a decision, for the participant's health. */
  inDoubt(): InDoubtTransaction[] {
    return [...this.asking.values()].map((a) => ({
      transactionId: a.transactionId,
      step: a.step,
      asks: a.asks,
      lastAnswer: a.lastAnswer,
      since: new Date(a.since).toISOString(),
      nextAskAt: new Date(a.nextAskAt).toISOString(),
    }));
  }

  private stayInDoubt(record: InDoubt, asking: Asking | undefined, why: string, now: number) {
    const asks = (asking?.asks ?? 0) + 1;
    const waitMs = backoffDelayMs(
      {
        backoff: 'exponential',
        initialMs: this.options.checkEveryMs,
        maxMs: Math.max(this.options.checkEveryMs, this.options.askAgainMaxMs),
        jitter: 'full',
      },
      asks,
      Math.random,
    );
    this.asking.set(keyOf(record), {
      transactionId: record.transactionId,
      step: record.step,
      asks,
      lastAnswer: why,
      since: asking?.since ?? now,
      nextAskAt: now + waitMs,
    });
    // one line per question, and the questions back off: no flood while the coordinator is away
    this.options.log(
      `transaction ${record.transactionId} stays in doubt (prepared here, no decision from ${this.options.coordinatorUrl} ` +
        `after ${asks} question${asks === 1 ? '' : 's'}): ${why}; asking again in about ${Math.max(waitMs, this.options.checkEveryMs)} ms`,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.looking;
  }
}
