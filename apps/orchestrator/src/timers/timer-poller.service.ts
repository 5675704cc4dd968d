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

/** Fires due timers (retry backoff, step timeouts, deadlines) from PostgreSQL; survives restarts. */
@Injectable()
export class TimerPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: WakeableLoop;

  constructor(engine: SagaEngine, @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig) {
    this.loop = new WakeableLoop('timer poller', () => engine.fireDueTimer(), config.timerPollMs);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
