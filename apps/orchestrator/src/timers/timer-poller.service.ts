import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  listenForNotifications,
  SagaStore,
  TIMER_CHANNEL,
  TwoPhaseStore,
  type NotificationListener,
} from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { SagaEngine } from '../engine/saga-engine.service';
import { WakeableLoop } from '../engine/wakeable-loop';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';

/**
 * A timer that is due but was not claimed is being fired by another instance (SKIP LOCKED): look
 * again this much later, in case that instance dies and its lock goes with it.
 */
const CLAIMED_ELSEWHERE_RECHECK_MS = 20;

/**
 * Fires due timers from PostgreSQL — sagas' (retry backoff, step timeouts, deadlines) and 2PC
 * transactions' (resends, prepare timeout) — one of each kind per round; survives restarts.
 * Between rounds it sleeps until the next due time, read from the database at each round.
 * A commit that sets an earlier one wakes it sooner: in-process from the stores, and by NOTIFY
 * on TIMER_CHANNEL from other instances. `timerPollMs` caps the sleep, a safety net only.
 */
@Injectable()
export class TimerPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TimerPoller.name);
  private readonly loop: WakeableLoop;
  private listener: NotificationListener | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly engine: SagaEngine,
    private readonly twoPhase: TwoPhaseCoordinator,
    private readonly sagaStore: SagaStore,
    private readonly twoPhaseStore: TwoPhaseStore,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {
    this.loop = new WakeableLoop('timer poller', () => this.round(), config.timerPollMs);
  }

  /**
   * One round of the loop: fires one due saga timer and one due 2PC timer, if any; true when
   * either fired. Public so that in-process tests can run the poller one round at a time.
   */
  async fireDue(): Promise<boolean> {
    const [saga, transaction] = await Promise.all([
      this.engine.fireDueTimer(),
      this.twoPhase.fireDueTimer(),
    ]);
    return saga || transaction;
  }

  /**
   * Reads the next due times (one statement): fires the kinds that are due, else sets the loop's
   * wake-up for the earliest. A wake-up for a timer deleted meanwhile (its step replied) costs
   * only that statement.
   */
  private async round(): Promise<boolean> {
    const next = await this.sagaStore.nextTimersDue();
    const now = Date.now();
    const due = (at: number | undefined) => at !== undefined && at <= now;
    if (!due(next.saga) && !due(next.transaction)) {
      this.loop.wakeBy(Math.min(next.saga ?? Infinity, next.transaction ?? Infinity));
      return false;
    }
    const fired = await Promise.all([
      due(next.saga) && this.engine.fireDueTimer(),
      due(next.transaction) && this.twoPhase.fireDueTimer(),
    ]);
    if (fired.some(Boolean)) return true;
    this.loop.wakeBy(now + CLAIMED_ELSEWHERE_RECHECK_MS);
    return false;
  }

  onApplicationBootstrap(): void {
    const wakeBy = (dueAt: number) => this.loop.wakeBy(dueAt);
    this.unsubscribe = [
      this.sagaStore.onTimersCommitted(wakeBy),
      this.twoPhaseStore.onTimersCommitted(wakeBy),
    ];
    this.listener = listenForNotifications(
      this.config.databaseUrl,
      TIMER_CHANNEL,
      // a due time set by any instance; none after (re)connecting: some may have been missed
      (payload) => {
        const dueAt = Number(payload);
        if (payload && Number.isFinite(dueAt)) wakeBy(dueAt);
        else this.loop.poke();
      },
      (error) => this.logger.warn(`timer notifications interrupted: ${error.message}`),
    );
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    await this.loop.stop();
    await this.listener?.close();
  }
}
