// The 2PC coordinator (issue #6); it sends through the same outbox as the engine.
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { TwoPhaseCoordinator } from './two-phase-coordinator.service';

@Module({
  imports: [EngineModule],
  providers: [TwoPhaseCoordinator],
  exports: [TwoPhaseCoordinator],
})
export class TwoPhaseModule {}
