import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { SagaEngine } from '../engine/saga-engine.service';
import { WakeableLoop } from '../engine/wakeable-loop';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';

/**
 * Fires due timers from PostgreSQL — sagas' (retry backoff, step timeouts, deadlines) and 2PC
 * transactions' (resends, prepare timeout) — one of each kind per round; survives restarts.
 */
@Injectable()
export class TimerPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: WakeableLoop;

  constructor(
    private readonly engine: SagaEngine,
    private readonly twoPhase: TwoPhaseCoordinator,
    @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig,
  ) {
    this.loop = new WakeableLoop('timer poller', () => this.fireDue(), config.timerPollMs);
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

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
