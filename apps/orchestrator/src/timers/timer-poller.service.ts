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
    engine: SagaEngine,
    twoPhase: TwoPhaseCoordinator,
    @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig,
  ) {
    const fireOne = async () => {
      const [saga, transaction] = await Promise.all([
        engine.fireDueTimer(),
        twoPhase.fireDueTimer(),
      ]);
      return saga || transaction;
    };
    this.loop = new WakeableLoop('timer poller', fireOne, config.timerPollMs);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
