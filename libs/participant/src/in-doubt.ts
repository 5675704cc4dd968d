// In-doubt resolution: a participant that prepared and heard no decision asks the coordinator.
// Until the coordinator itself answers with a decision (or that it has no record: presumed
// abort), the transaction stays prepared here; each question that gets no decision is logged
// and the next one backs off.
import { backoffDelayMs } from '@skald/protocol';
import { type ParticipantDatabase } from './database';
import {
  askCoordinator,
  findInDoubt,
  processDecision,
  type InDoubt,
  type InvokeTwoPhase,
} from './two-phase';

export interface InDoubtResolverOptions {
  db: ParticipantDatabase;
  participant: string;
  coordinatorUrl: string;
  inDoubtAfterMs: number;
  checkEveryMs: number;
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

/** Looks for prepared records older than `inDoubtAfterMs` at start and every `checkEveryMs`. */
export class InDoubtResolver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** In memory: a restart asks about every record again at once, then backs off afresh. */
  private readonly asking = new Map<string, Asking & { transactionId: string; step: string }>();

  constructor(private readonly options: InDoubtResolverOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.resolveAll()
        .then(() => undefined)
        .catch((error: unknown) => this.options.log(`in-doubt check failed: ${String(error)}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.checkEveryMs);
        });
    };
    tick();
  }

  /** Resolves what it can now (asking only about records whose backoff is over); returns how many. */
  async resolveAll(): Promise<number> {
    const { db, participant, coordinatorUrl } = this.options;
    const now = Date.now();
    const records = await findInDoubt(db, participant, this.options.inDoubtAfterMs);
    // a record no longer prepared was decided meanwhile (e.g. the coordinator's own re-send)
    const present = new Set(records.map(keyOf));
    for (const key of this.asking.keys()) if (!present.has(key)) this.asking.delete(key);
    let resolved = 0;
    for (const record of records) {
      if (this.stopped) break;
      const asking = this.asking.get(keyOf(record));
      if (asking && asking.nextAskAt > now) continue;
      const answer = await askCoordinator(coordinatorUrl, record.transactionId);
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
    return resolved;
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
    await this.running;
  }
}
