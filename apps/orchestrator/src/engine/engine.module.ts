// The saga engine, the one writer of its decisions, and the in-process signal that wakes the
// relay when it wrote outbox rows.
import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { OutboxSignal } from './outbox-signal';
import { SagaEngine } from './saga-engine.service';
import { SagaWriter } from './saga-writer';

@Module({
  imports: [ResilienceModule],
  providers: [SagaEngine, SagaWriter, OutboxSignal],
  exports: [SagaEngine, OutboxSignal],
})
export class EngineModule {}
