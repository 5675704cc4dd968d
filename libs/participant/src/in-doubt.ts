// In-doubt resolution: a participant that prepared and heard no decision asks the coordinator.
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
  invoke: (record: InDoubt) => InvokeTwoPhase;
  log: (message: string) => void;
}

/** Looks for prepared records older than `inDoubtAfterMs` at start and every `checkEveryMs`. */
export class InDoubtResolver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

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

  /** Resolves what it can now; returns how many records it resolved. */
  async resolveAll(): Promise<number> {
    const { db, participant, coordinatorUrl } = this.options;
    let resolved = 0;
    for (const record of await findInDoubt(db, participant, this.options.inDoubtAfterMs)) {
      if (this.stopped) break;
      const decision = await askCoordinator(coordinatorUrl, record.transactionId);
      if (!decision) continue;
      const reply = await processDecision(
        db,
        participant,
        record,
        decision,
        this.options.invoke(record),
      );
      if (reply.outcome === 'success') resolved++;
      this.options.log(
        `in-doubt transaction ${record.transactionId} resolved by asking the coordinator: ${decision} (${reply.outcome})`,
      );
    }
    return resolved;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
