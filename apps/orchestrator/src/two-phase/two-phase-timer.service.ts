import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { WakeableLoop } from '../engine/wakeable-loop';
import { TwoPhaseCoordinator } from './two-phase-coordinator.service';

/** Fires 2PC transaction timers (prepare timeout, resends) from PostgreSQL; survives restarts. */
@Injectable()
export class TwoPhaseTimerPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: WakeableLoop;

  constructor(
    coordinator: TwoPhaseCoordinator,
    @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig,
  ) {
    this.loop = new WakeableLoop(
      '2PC timer poller',
      () => coordinator.fireDueTimer(),
      config.timerPollMs,
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
