// The timer poller: due retries, step timeouts and deadlines of sagas and of 2PC transactions.
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { TwoPhaseModule } from '../two-phase/two-phase.module';
import { TimerPoller } from './timer-poller.service';

@Module({
  imports: [EngineModule, TwoPhaseModule],
  providers: [TimerPoller],
})
export class TimersModule {}
